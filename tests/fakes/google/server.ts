/**
 * A local Google: the OpenID provider (discovery document, JWKS, authorization endpoint, token
 * endpoint with the code and refresh grants, userinfo, revocation) and Classroom's `courses.list`,
 * following Google's documented shapes — a refresh token only with `access_type=offline`, the same
 * refresh token kept on refresh, `invalid_grant` "Token has been expired or revoked.", API errors
 * as `{error:{code,message,status}}`, 429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE — and Meet REST v2
 * (spaces, conference records, participants and their sessions; see ./meet.ts), and the Forms
 * API's forms.get and forms.responses.list (./forms.ts).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OidcCore, type FakeOidcAccount, type FakeOidcClient } from "../oidc/core.ts";
import { createFakeMeet, type FakeMeet } from "./meet.ts";
import { createFakeClassroom, type FakeClassroom } from "./classroom.ts";
import { createFakeClassroomPublish, type FakeClassroomPublish } from "./classroom-publish.ts";
import { createFakeForms, type FakeForms } from "./forms.ts";

export type { FakeClassroom, FakeClassroomCourse, FakeCourseWork, FakeSubmission, FakeGuardian, FakeProfile } from "./classroom.ts";
export type { FakeMeet, FakeMeetParticipantInput, FakeSpace, FakeConference } from "./meet.ts";
export type { FakeForms, FakeForm, FakeFormResponse, FakeQuestion } from "./forms.ts";

export type FakeCourse = { id: string; name: string; section?: string; ownerId: string; courseState?: string };

export type FakeGoogle = {
  /** The issuer and the API root (one origin). */
  url: string;
  oidc: OidcCore;
  courses: FakeCourse[];
  calls: Record<string, number>;
  /** Meet REST v2: its spaces and conferences, and the setters tests use (`addConference`…). */
  meet: FakeMeet;
  /** Classroom v1: courses, rosters, coursework, submissions, guardians (see ./classroom.ts). */
  classroom: FakeClassroom;
  /** Meet's `addConference` (a conference held in a space, with its participants' sessions). */
  addConference: FakeMeet["addConference"];
  /** Classroom's courseWorkMaterials and courseWork writes (./classroom-publish.ts). */
  classroomPublish: FakeClassroomPublish;
  /** Forms API v1: quizzes and their responses (./forms.ts). */
  forms: FakeForms;
  /** The next N API calls answer 429 RESOURCE_EXHAUSTED. */
  throttleNext: (n: number) => void;
  /** The next N API calls answer 503. */
  failNext: (n: number) => void;
  /** Classroom answers 403 PERMISSION_DENIED (the scope was not granted). */
  denyClassroom: (deny: boolean) => void;
  close: () => Promise<void>;
};

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const apiError = (code: number, status: string, message: string) => ({ error: { code, message, status } });

export async function startFakeGoogle(options: { clients: FakeOidcClient[]; accounts: FakeOidcAccount[]; courses?: FakeCourse[] }): Promise<FakeGoogle> {
  const oidc = new OidcCore({
    clients: options.clients,
    accounts: options.accounts,
    rotateRefreshTokens: false,
    wantsRefreshToken: (p) => p.get("access_type") === "offline",
    invalidGrant: (kind) => ({ error: "invalid_grant", error_description: kind === "refresh" ? "Token has been expired or revoked." : "Bad Request" }),
  });
  const courses = options.courses ?? [];
  const calls: Record<string, number> = { discovery: 0, authorize: 0, token: 0, userinfo: 0, revoke: 0, courses: 0 };
  let throttle = 0;
  let fail = 0;
  let deny = false;
  let base = "";
  const meet = createFakeMeet(oidc);
  const classroom = createFakeClassroom(oidc);
  // The old `courses` option: plain active courses with nobody in them.
  for (const c of courses) classroom.courses.push({ id: c.id, name: c.name, section: c.section, ownerId: c.ownerId, courseState: c.courseState, teachers: [], students: [] });
  const forms = createFakeForms(oidc);
  const classroomPublish = createFakeClassroomPublish(oidc, (id) => classroom.courses.some((c) => c.id === id));

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname;
    if (path === "/.well-known/openid-configuration") {
      calls.discovery++;
      return json(res, 200, {
        issuer: base,
        authorization_endpoint: `${base}/o/oauth2/v2/auth`,
        device_authorization_endpoint: `${base}/device/code`,
        token_endpoint: `${base}/token`,
        userinfo_endpoint: `${base}/v1/userinfo`,
        revocation_endpoint: `${base}/revoke`,
        jwks_uri: `${base}/oauth2/v3/certs`,
        response_types_supported: ["code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token", "none"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        scopes_supported: ["openid", "email", "profile"],
        token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
        claims_supported: ["aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss", "name", "picture", "sub"],
        code_challenge_methods_supported: ["plain", "S256"],
        grant_types_supported: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
      });
    }
    if (path === "/oauth2/v3/certs") return json(res, 200, oidc.jwks());
    if (path === "/o/oauth2/v2/auth" && req.method === "GET") {
      calls.authorize++;
      const r = oidc.authorize(url.searchParams, base);
      if ("redirect" in r) {
        res.writeHead(302, { location: r.redirect });
        return res.end();
      }
      res.writeHead(r.status, { "content-type": "text/plain; charset=utf-8" });
      return res.end(r.text);
    }
    if (path === "/token" && req.method === "POST") {
      calls.token++;
      const r = await oidc.token(new URLSearchParams(await readBody(req)), req.headers.authorization);
      return json(res, r.status, r.body);
    }
    if (path === "/revoke" && req.method === "POST") {
      calls.revoke++;
      const token = new URLSearchParams(await readBody(req)).get("token") ?? url.searchParams.get("token") ?? "";
      return oidc.revoke(token) ? json(res, 200, {}) : json(res, 400, { error: "invalid_token", error_description: "Token expired or revoked" });
    }
    if (path === "/v1/userinfo") {
      calls.userinfo++;
      const t = oidc.bearer(req.headers.authorization);
      if (!t) return json(res, 401, { error: "invalid_request", error_description: "Invalid Credentials" }, { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
      const a = t.account;
      return json(res, 200, { sub: a.sub, name: a.name, email: a.email, email_verified: a.emailVerified ?? true, ...(a.hd ? { hd: a.hd } : {}) });
    }
    if (path.startsWith("/v1/courses") || path.startsWith("/v1/userProfiles")) {
      calls.courses++;
      if (throttle > 0) {
        throttle--;
        return json(res, 429, apiError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'."), { "retry-after": "1" });
      }
      if (fail > 0) {
        fail--;
        return json(res, 503, apiError(503, "UNAVAILABLE", "The service is currently unavailable."));
      }
      if (deny) return json(res, 403, apiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."));
      const method = req.method ?? "GET";
      // Writes of course work and materials, and single items, are the publishing fake's; a course
      // work list holds both fakes' items (what sync reads and what the hub posted).
      const writes = /^\/v1\/courses\/[^/]+\/(courseWorkMaterials(\/[^/]+)?|courseWork\/[^/-][^/]*)$/.test(path) || (/^\/v1\/courses\/[^/]+\/courseWork$/.test(path) && method !== "GET");
      if (!writes) {
        const r = classroom.handle(method, url, req.headers.authorization);
        if (r && /^\/v1\/courses\/[^/]+\/courseWork$/.test(path) && r.status === 200 && !url.searchParams.get("pageToken")) {
          const posted = classroomPublish.handle(method, url, req.headers.authorization, "");
          const extra = (posted?.status === 200 ? ((posted.body as { courseWork?: unknown[] }).courseWork ?? []) : []) as unknown[];
          const body = r.body as { courseWork?: unknown[] };
          if (extra.length) return json(res, 200, { ...body, courseWork: [...(body.courseWork ?? []), ...extra] }, r.headers);
        }
        if (r) return json(res, r.status, r.body, r.headers);
      }
    }
    if (path.startsWith("/v1/forms/")) {
      const r = forms.handle(req.method ?? "GET", url, req.headers.authorization);
      if (r) return json(res, r.status, r.body, r.headers);
    }
    if (path.startsWith("/v2/")) {
      if (throttle > 0) {
        throttle--;
        return json(res, 429, apiError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'meet.googleapis.com'."), { "retry-after": "30" });
      }
      if (fail > 0) {
        fail--;
        return json(res, 503, apiError(503, "UNAVAILABLE", "The service is currently unavailable."));
      }
      const r = meet.handle(req.method ?? "GET", url, req.headers.authorization, await readBody(req));
      if (r) return json(res, r.status, r.body, r.headers);
    }
    const published = /^\/v1\/courses\/[^/]+\/courseWork/.test(path) ? classroomPublish.handle(req.method ?? "GET", url, req.headers.authorization, await readBody(req)) : null;
    if (published) return json(res, published.status, published.body, published.headers);
    json(res, 404, apiError(404, "NOT_FOUND", `No route ${req.method} ${path}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    oidc,
    courses,
    calls,
    meet,
    classroom,
    classroomPublish,
    forms,
    addConference: meet.addConference,
    throttleNext: (n) => (throttle = n),
    failNext: (n) => (fail = n),
    denyClassroom: (d) => (deny = d),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
