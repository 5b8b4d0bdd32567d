/**
 * The SMTP outcome mapping, on the errors nodemailer really raises: a local smtp-server refuses
 * recipients or messages with the reply codes a provider sends, and the email channel's result
 * for each is checked; a closed port gives a real connection error.
 */
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmailChannel, messageIdFor } from "./index.server.ts";
import { emailConfigFromEnv, fromDomain } from "./config.ts";
import { mapSmtpError, providerIdFrom } from "./errors.ts";

type Reply = { code: number; text: string };
/** Recipient local part → the reply to RCPT TO; "data-…" → the reply to the message body. */
const RCPT: Record<string, Reply> = {
  unknown: { code: 550, text: "5.1.1 User unknown" },
  moved: { code: 551, text: "5.1.6 User not local" },
  badname: { code: 553, text: "5.1.3 Mailbox name not allowed" },
  greylist: { code: 450, text: "4.2.0 Greylisted, try again later" },
  full: { code: 452, text: "4.2.2 Mailbox full" },
  policy550: { code: 550, text: "5.7.1 Message refused by policy" },
};
const DATA: Record<string, Reply> = {
  "data-spam": { code: 554, text: "5.7.1 Message rejected as spam" },
  "data-size": { code: 552, text: "5.3.4 Message too big" },
  "data-later": { code: 451, text: "4.3.0 Temporary failure" },
};

let server: SMTPServer;
let url: string;
const received: { to: string[]; messageId?: string; headers: Map<string, unknown>; raw: string; text?: string; html?: string | false }[] = [];

function smtpError(r: Reply) {
  return Object.assign(new Error(r.text), { responseCode: r.code });
}

beforeAll(async () => {
  server = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const r = RCPT[address.address.split("@")[0]];
      callback(r ? smtpError(r) : undefined);
    },
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo.map((r) => r.address);
      simpleParser(stream).then((mail) => {
        const r = DATA[to[0].split("@")[0]];
        if (r) return callback(smtpError(r));
        received.push({ to, messageId: mail.messageId, headers: mail.headers, raw: mail.headerLines.map((h) => h.line).join("\n"), text: mail.text, html: mail.html });
        callback(null, "OK: queued as Q1234ABC");
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}/?ignoreTLS=true`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function channel(to = url) {
  const config = emailConfigFromEnv({ SMTP_URL: to, MAIL_FROM: "Lớp Số <no-reply@lopso.test>", NOTIFY_SMTP_CONNECTIONS: "2" })!;
  return createEmailChannel(config);
}

const message = (to: string) => ({ to, locale: "vi" as const, subject: "Điểm mới", text: "Con có điểm mới.", html: "<p>Con có điểm mới.</p>" });

describe("the email channel's outcomes", () => {
  it("250: sent, with the server's queue id; Message-ID, one-click unsubscribe and language headers", async () => {
    const c = channel();
    const result = await c.send({ ...message("me@phuhuynh.vn"), unsubscribeUrl: "https://lopso.test/unsubscribe/abc" }, "ev:42:u-1:email");
    await c.close?.();
    expect(result).toEqual({ outcome: "sent", providerMessageId: "Q1234ABC" });
    const mail = received.at(-1)!;
    expect(mail.messageId).toBe("<ev.42.u-1.email@lopso.test>");
    expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(mail.raw).toMatch(/^List-Unsubscribe: <https:\/\/lopso\.test\/unsubscribe\/abc>$/m);
    expect(String(mail.headers.get("content-language"))).toBe("vi");
    expect(mail.text?.trim()).toBe("Con có điểm mới.");
    expect(mail.html).toContain("<p>Con có điểm mới.</p>");
  });

  it.each([
    ["unknown", { outcome: "failed", reason: "invalid_address", disableAddress: true }],
    ["moved", { outcome: "failed", reason: "invalid_address", disableAddress: true }],
    ["badname", { outcome: "failed", reason: "invalid_address", disableAddress: true }],
    ["policy550", { outcome: "failed", reason: "rejected", disableAddress: false }],
    ["greylist", { outcome: "retry", reason: "transient" }],
    ["full", { outcome: "retry", reason: "transient" }],
    ["data-spam", { outcome: "failed", reason: "rejected", disableAddress: false }],
    ["data-size", { outcome: "failed", reason: "rejected", disableAddress: false }],
    ["data-later", { outcome: "retry", reason: "transient" }],
  ])("%s → %o", async (local, expected) => {
    const c = channel();
    const result = await c.send(message(`${local}@phuhuynh.vn`), `ev:1:${local}:email`);
    await c.close?.();
    expect(result).toMatchObject(expected);
  });

  it("a server that does not answer: retry", async () => {
    const c = channel("smtp://127.0.0.1:1/?ignoreTLS=true");
    const result = await c.send(message("me@phuhuynh.vn"), "ev:2:u:email");
    await c.close?.();
    expect(result).toEqual({ outcome: "retry", reason: "transient" });
  });

  it("the raw shapes: responseCode wins over code; a code alone is a connection problem", () => {
    expect(mapSmtpError({ code: "EENVELOPE", responseCode: 550, response: "550 5.1.1 <x@y.vn>: Recipient address rejected" })).toMatchObject({ reason: "invalid_address", disableAddress: true });
    expect(mapSmtpError({ code: "EMESSAGE", responseCode: 554, response: "554 5.7.1 spam" })).toMatchObject({ reason: "rejected", disableAddress: false });
    expect(mapSmtpError({ code: "EAUTH", responseCode: 535, response: "535 5.7.8 bad credentials" })).toMatchObject({ outcome: "retry" });
    expect(mapSmtpError({ code: "ETIMEDOUT" })).toMatchObject({ outcome: "retry" });
    expect(mapSmtpError(new Error("socket hang up"))).toMatchObject({ outcome: "retry" });
  });
});

describe("headers and configuration", () => {
  it("the Message-ID is stable per key and safe for any key", () => {
    expect(messageIdFor("digest:daily:2026-12-02:u1:email", "no-reply@lopso.vn")).toBe("<digest.daily.2026-12-02.u1.email@lopso.vn>");
    const odd = messageIdFor("ev 1 <x>", "a@b.vn");
    expect(odd).toMatch(/^<[0-9a-f]{64}@b\.vn>$/);
    expect(messageIdFor("ev 1 <x>", "a@b.vn")).toBe(odd);
  });

  it("reads the environment, null without SMTP_URL, names a bad value", () => {
    expect(emailConfigFromEnv({})).toBeNull();
    expect(emailConfigFromEnv({ SMTP_URL: "smtp://x:25", MAIL_FROM: "a@b.vn", NOTIFY_RATE_EMAIL: "500" })).toMatchObject({ ratePerSecond: 500, maxConnections: 10 });
    expect(() => emailConfigFromEnv({ SMTP_URL: "smtp://x:25", MAIL_FROM: "a@b.vn", NOTIFY_RATE_EMAIL: "lots" })).toThrow(/NOTIFY_RATE_EMAIL/);
    expect(fromDomain("Lớp Số <No-Reply@LopSo.vn>")).toBe("lopso.vn");
    expect(providerIdFrom("250 2.0.0 Ok: queued as 4Xyz12")).toBe("4Xyz12");
    expect(providerIdFrom("250 OK")).toBe("250 OK");
  });
});
