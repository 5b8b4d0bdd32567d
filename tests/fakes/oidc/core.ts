/**
 * The part of an OpenID provider that Google's and Entra ID's fakes share: a signing key and its
 * JWKS, the authorization endpoint (the account chosen by `login_hint` or the fake's current
 * account, consent given at once), single-use codes bound to their client, redirect URI and PKCE
 * challenge (S256), the code and refresh-token grants with RS256-signed ID tokens, rotating or
 * fixed refresh tokens, revocation, and `invalid_grant` answered the providers' way.
 */
import crypto from "node:crypto";

export type FakeOidcClient = { clientId: string; clientSecret: string };

export type FakeOidcAccount = {
  sub: string;
  email: string;
  name: string;
  /** Google: whether the address is verified (default true). */
  emailVerified?: boolean;
  /** Google Workspace domain (`hd`). */
  hd?: string;
  /** Entra ID tenant (`tid`). */
  tid?: string;
};

/** Claims to overwrite in the next ID token issued (a wrong nonce, issuer, audience…). */
export type IdTokenTamper = Partial<Record<"iss" | "aud" | "nonce" | "email" | "hd" | "tid", string>> & { email_verified?: boolean; exp?: number };

type Code = { clientId: string; redirectUri: string; challenge: string; nonce?: string; scope: string; account: FakeOidcAccount; expiresAt: number; issuer: string };
type Grant = { clientId: string; scope: string; account: FakeOidcAccount; issuer: string };
type AccessToken = { clientId: string; scope: string; account: FakeOidcAccount; expiresAt: number };

export type TokenReply = { status: number; body: Record<string, unknown> };

export type OidcCoreOptions = {
  clients: FakeOidcClient[];
  accounts: FakeOidcAccount[];
  /** Entra ID rotates refresh tokens (the old one stops working); Google keeps the same one. */
  rotateRefreshTokens: boolean;
  /** Whether a refresh token is issued: Google wants access_type=offline, Entra the offline_access scope. */
  wantsRefreshToken: (params: URLSearchParams) => boolean;
  /** The error body for a refresh token that is unknown, used up or revoked. */
  invalidGrant: (kind: "code" | "refresh") => Record<string, unknown>;
  accessTokenSeconds?: number;
};

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");
const random = () => crypto.randomBytes(24).toString("base64url");

export class OidcCore {
  readonly keyId = random().slice(0, 12);
  private readonly keys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  private readonly codes = new Map<string, Code>();
  private readonly refreshTokens = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, AccessToken>();
  readonly clients: Map<string, FakeOidcClient>;
  readonly accounts: FakeOidcAccount[];
  /** The account the authorization endpoint signs in when no login_hint names another. */
  current: FakeOidcAccount | undefined;
  /** Overwrites for the next ID token only. */
  tamper: IdTokenTamper | undefined;
  /** Refresh grants answered, successful or not. */
  refreshes = 0;
  /** Milliseconds the token endpoint waits before answering a refresh (to make two callers overlap). */
  refreshDelayMs = 0;
  revoked: string[] = [];

  constructor(readonly options: OidcCoreOptions) {
    this.clients = new Map(options.clients.map((c) => [c.clientId, c]));
    this.accounts = options.accounts;
    this.current = options.accounts[0];
  }

  jwks() {
    const jwk = this.keys.publicKey.export({ format: "jwk" });
    return { keys: [{ ...jwk, kid: this.keyId, use: "sig", alg: "RS256" }] };
  }

  private sign(claims: Record<string, unknown>): string {
    const head = b64url(JSON.stringify({ alg: "RS256", kid: this.keyId, typ: "JWT" }));
    const body = b64url(JSON.stringify(claims));
    const sig = crypto.sign("RSA-SHA256", Buffer.from(`${head}.${body}`), this.keys.privateKey);
    return `${head}.${body}.${b64url(sig)}`;
  }

  account(email: string): FakeOidcAccount | undefined {
    return this.accounts.find((a) => a.email.toLowerCase() === email.toLowerCase());
  }

  /**
   * The authorization endpoint's answer: where to send the browser (the redirect URI with `code`
   * and `state`, or with `error`), or a 400 text for a request that cannot be redirected.
   */
  authorize(params: URLSearchParams, issuer: string): { redirect: string } | { status: number; text: string } {
    const client = this.clients.get(params.get("client_id") ?? "");
    const redirectUri = params.get("redirect_uri");
    if (!client || !redirectUri) return { status: 400, text: "Error 401: invalid_client — The OAuth client was not found." };
    const back = new URL(redirectUri);
    const state = params.get("state");
    if (state !== null) back.searchParams.set("state", state);
    const fail = (error: string, description: string) => {
      back.searchParams.set("error", error);
      back.searchParams.set("error_description", description);
      return { redirect: back.toString() };
    };
    if (params.get("response_type") !== "code") return fail("unsupported_response_type", "response_type must be code");
    if (params.get("code_challenge_method") !== "S256" || !params.get("code_challenge")) return fail("invalid_request", "PKCE with S256 is required");
    const hint = params.get("login_hint");
    const account = (hint && this.account(hint)) || this.current;
    if (!account) return fail("access_denied", "The user did not sign in");
    const code = random();
    this.codes.set(code, {
      clientId: client.clientId,
      redirectUri,
      challenge: params.get("code_challenge")!,
      nonce: params.get("nonce") ?? undefined,
      scope: params.get("scope") ?? "",
      account,
      expiresAt: Date.now() + 60_000,
      issuer,
    });
    // Remember whether this request asked for a refresh token, on the code itself.
    if (this.options.wantsRefreshToken(params)) this.codes.get(code)!.scope += " __offline";
    back.searchParams.set("code", code);
    return { redirect: back.toString() };
  }

  private clientOf(form: URLSearchParams, authorization: string | undefined): FakeOidcClient | null {
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    const basic = /^Basic (.+)$/.exec(authorization ?? "")?.[1];
    if (basic) {
      const [u, p] = Buffer.from(basic, "base64").toString("utf8").split(":");
      id = decodeURIComponent(u);
      secret = decodeURIComponent(p ?? "");
    }
    const client = this.clients.get(id ?? "");
    return client && client.clientSecret === secret ? client : null;
  }

  private issue(grant: Grant, nonce: string | undefined, withRefresh: boolean, refreshToken?: string): Record<string, unknown> {
    const accessToken = random();
    const seconds = this.options.accessTokenSeconds ?? 3599;
    this.accessTokens.set(accessToken, { clientId: grant.clientId, scope: grant.scope, account: grant.account, expiresAt: Date.now() + seconds * 1000 });
    const body: Record<string, unknown> = { access_token: accessToken, token_type: "Bearer", expires_in: seconds, scope: grant.scope.replace(" __offline", "").trim() };
    if (withRefresh) {
      const rt = refreshToken ?? random();
      this.refreshTokens.set(rt, grant);
      body.refresh_token = rt;
    }
    if (/\bopenid\b/.test(grant.scope)) {
      const now = Math.floor(Date.now() / 1000);
      const a = grant.account;
      const claims: Record<string, unknown> = {
        iss: grant.issuer,
        aud: grant.clientId,
        sub: a.sub,
        iat: now,
        exp: now + 3600,
        email: a.email,
        name: a.name,
        ...(nonce ? { nonce } : {}),
        ...(a.hd ? { hd: a.hd, email_verified: a.emailVerified ?? true, azp: grant.clientId } : {}),
        ...(a.tid ? { tid: a.tid, oid: a.sub, preferred_username: a.email, ver: "2.0" } : {}),
        ...(!a.hd && !a.tid ? { email_verified: a.emailVerified ?? true } : {}),
        ...this.tamper,
      };
      this.tamper = undefined;
      body.id_token = this.sign(claims);
    }
    return body;
  }

  /** The token endpoint: authorization_code and refresh_token grants. */
  async token(form: URLSearchParams, authorization: string | undefined): Promise<TokenReply> {
    const client = this.clientOf(form, authorization);
    if (!client) return { status: 401, body: { error: "invalid_client", error_description: "The OAuth client was not found." } };
    const grantType = form.get("grant_type");
    if (grantType === "authorization_code") {
      const code = this.codes.get(form.get("code") ?? "");
      this.codes.delete(form.get("code") ?? "");
      if (!code || code.expiresAt < Date.now() || code.clientId !== client.clientId) return { status: 400, body: this.options.invalidGrant("code") };
      if (code.redirectUri !== form.get("redirect_uri")) return { status: 400, body: { error: "redirect_uri_mismatch", error_description: "Bad Request" } };
      const verifier = form.get("code_verifier") ?? "";
      if (b64url(crypto.createHash("sha256").update(verifier).digest()) !== code.challenge) {
        return { status: 400, body: { error: "invalid_grant", error_description: "Invalid code verifier." } };
      }
      const offline = code.scope.includes("__offline");
      return { status: 200, body: this.issue({ clientId: client.clientId, scope: code.scope.replace(" __offline", ""), account: code.account, issuer: code.issuer }, code.nonce, offline) };
    }
    if (grantType === "refresh_token") {
      this.refreshes++;
      if (this.refreshDelayMs) await new Promise((r) => setTimeout(r, this.refreshDelayMs));
      const rt = form.get("refresh_token") ?? "";
      const grant = this.refreshTokens.get(rt);
      if (!grant || grant.clientId !== client.clientId) return { status: 400, body: this.options.invalidGrant("refresh") };
      if (this.options.rotateRefreshTokens) {
        this.refreshTokens.delete(rt);
        return { status: 200, body: this.issue(grant, undefined, true) };
      }
      const body = this.issue(grant, undefined, false);
      return { status: 200, body };
    }
    return { status: 400, body: { error: "unsupported_grant_type", error_description: `Invalid grant_type: ${grantType}` } };
  }

  /**
   * A grant as if the account had consented to `clientId` for `scope` (for tests that start from
   * a connected account): its access and refresh tokens.
   */
  mint(clientId: string, email: string, scope: string, issuer = "fake"): { accessToken: string; refreshToken: string; expiresIn: number } {
    const account = this.account(email);
    if (!account) throw new Error(`no fake account ${email}`);
    const body = this.issue({ clientId, scope, account, issuer }, undefined, true);
    return { accessToken: String(body.access_token), refreshToken: String(body.refresh_token), expiresIn: Number(body.expires_in) };
  }

  /** The account behind a Bearer token that is still good, or null. */
  bearer(authorization: string | undefined): AccessToken | null {
    const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    const t = token ? this.accessTokens.get(token) : undefined;
    return t && t.expiresAt > Date.now() ? t : null;
  }

  /** Revoke a refresh or access token (and, for a refresh token, the access tokens of that grant). */
  revoke(token: string): boolean {
    this.revoked.push(token);
    const grant = this.refreshTokens.get(token);
    if (grant) {
      this.refreshTokens.delete(token);
      for (const [k, t] of this.accessTokens) if (t.clientId === grant.clientId && t.account.sub === grant.account.sub) this.accessTokens.delete(k);
      return true;
    }
    return this.accessTokens.delete(token);
  }

  /** The person withdrew the hub's access (or an admin reset it): every grant is dead. */
  revokeAll() {
    this.refreshTokens.clear();
    this.accessTokens.clear();
  }

  /** Expire every access token issued so far; refresh tokens stay good. */
  expireAccessTokens() {
    for (const t of this.accessTokens.values()) t.expiresAt = 0;
  }

  get refreshTokenCount() {
    return this.refreshTokens.size;
  }
}
