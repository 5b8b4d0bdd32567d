/**
 * A school's Entra ID app through the real clients (openid-client for the token, undici for
 * Graph) against a local fake that follows Microsoft's contract: the connection check, a rotated
 * secret, an app missing from the tenant, missing admin consent, throttling with a decimal
 * Retry-After, a 503 retried, and a 401 on a cached token re-sent once with a new one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IntegrationError } from "../../integrations/errors.ts";
import { retryAfterDate } from "../../integrations/channels/http.server.ts";
import { checkMicrosoft, type AccessToken, type MicrosoftConfig } from "../../integrations/microsoft/index.server.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";

let fake: FakeMicrosoft;
let cfg: MicrosoftConfig;
const tenant = { tenantId: "3f1c9a7e-0000-4000-8000-00000000a001", clientId: "app-nguyendu", clientSecret: "s3cr3t~value", displayName: "Trường THCS Nguyễn Du", domain: "nguyendu.edu.vn" };
const creds = { tenantId: tenant.tenantId, clientId: tenant.clientId, clientSecret: tenant.clientSecret };

async function refusal(p: Promise<unknown>): Promise<IntegrationError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(IntegrationError);
  return e as IntegrationError;
}

beforeAll(async () => {
  fake = await startFakeMicrosoft([tenant]);
  cfg = { loginUrl: fake.url, graphUrl: `${fake.url}/v1.0` };
});

afterAll(async () => {
  await fake?.close();
});

describe("Microsoft 365 app connection", () => {
  it("checks the connection with GET /organization and names the organization", async () => {
    let token: AccessToken | undefined;
    const check = await checkMicrosoft(cfg, creds, { onToken: (t) => (token = t) });
    expect(check).toEqual({ accountName: "Trường THCS Nguyễn Du", detail: "nguyendu.edu.vn" });
    expect(token!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3000_000);
    // A cached token is used again: no second token call.
    const before = fake.calls.token;
    await checkMicrosoft(cfg, creds, { cached: token });
    expect(fake.calls.token).toBe(before);
  });

  it("a rotated secret needs reconnecting, with Entra's own message", async () => {
    const e = await refusal(checkMicrosoft(cfg, { ...creds, clientSecret: "old-secret" }));
    expect(e.code).toBe("reauth_required");
    expect(e.providerCode).toBe("invalid_client");
    expect(e.providerMessage).toContain("AADSTS7000215");
    expect(e.message).not.toContain("old-secret");
  });

  it("an app that is not in the tenant needs reconnecting; an unknown tenant is refused", async () => {
    expect((await refusal(checkMicrosoft(cfg, { ...creds, clientId: "someone-else" }))).code).toBe("reauth_required");
    const unknown = await refusal(checkMicrosoft(cfg, { ...creds, tenantId: "no-such-tenant" }));
    expect(unknown.code).toBe("rejected");
    expect(unknown.providerMessage).toContain("AADSTS90002");
  });

  it("missing admin consent is refused with Graph's words", async () => {
    fake.denyOrganization(true);
    try {
      const e = await refusal(checkMicrosoft(cfg, creds));
      expect(e.code).toBe("rejected");
      expect(e.providerCode).toBe("Authorization_RequestDenied");
      expect(e.providerMessage).toBe("Insufficient privileges to complete the operation.");
    } finally {
      fake.denyOrganization(false);
    }
  });

  it("waits a short decimal Retry-After in the process, and returns a long one as rate_limited", async () => {
    const before = fake.calls.organization;
    const started = Date.now();
    fake.throttleNext(1, "0.4");
    expect((await checkMicrosoft(cfg, creds)).accountName).toBe(tenant.displayName);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(fake.calls.organization - before).toBe(2);

    fake.throttleNext(3, "120");
    const e = await refusal(checkMicrosoft(cfg, creds));
    expect(e.code).toBe("rate_limited");
    expect(e.retryable).toBe(true);
    expect(e.retryAt!.getTime()).toBeGreaterThan(Date.now() + 100_000);
    fake.throttleNext(0, "0");
  });

  it("retries a 503 and succeeds; gives up after three tries as transient", async () => {
    fake.failNext(2);
    expect((await checkMicrosoft(cfg, creds)).accountName).toBe(tenant.displayName);
    fake.failNext(3);
    const e = await refusal(checkMicrosoft(cfg, creds));
    expect(e.code).toBe("transient");
    fake.failNext(0);
  });

  it("a 401 on a cached token gets a new token and is re-sent once", async () => {
    let token: AccessToken | undefined;
    await checkMicrosoft(cfg, creds, { onToken: (t) => (token = t) });
    fake.revokeTokens();
    const tokensBefore = fake.calls.token;
    let renewed: AccessToken | undefined;
    expect((await checkMicrosoft(cfg, creds, { cached: token, onToken: (t) => (renewed = t) })).accountName).toBe(tenant.displayName);
    expect(fake.calls.token - tokensBefore).toBe(1);
    expect(renewed!.accessToken).not.toBe(token!.accessToken);
  });

  it("reads Retry-After as decimal seconds, an HTTP date or Zoom's ISO date", () => {
    const now = new Date("2026-12-02T10:00:00Z");
    expect(retryAfterDate("2.128", now)!.getTime()).toBe(now.getTime() + 2128);
    expect(retryAfterDate("Wed, 02 Dec 2026 10:01:00 GMT", now)!.toISOString()).toBe("2026-12-02T10:01:00.000Z");
    expect(retryAfterDate("2026-12-03T00:00:00Z", now)!.toISOString()).toBe("2026-12-03T00:00:00.000Z");
    expect(retryAfterDate("soon", now)).toBeUndefined();
  });
});
