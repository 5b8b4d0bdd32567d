/**
 * "Quên mật khẩu?" over a real SMTP exchange: the hub sends through nodemailer to an in-process
 * SMTP server (smtp-server, STARTTLS off; the client is told to ignore TLS in SMTP_URL), the
 * message is read back with mailparser, and its link is followed to set a new password. The link
 * works once and for 30 minutes; an unknown email gets the same page and no mail; requests are
 * throttled per email and per address.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passwordResets, rateLimits, sessions, users } from "../../db/schema/index.ts";
import { RESET_THROTTLE } from "../../app/services/recovery.server.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { listenSmtp, type ReceivedMail, type TestSmtp } from "../support/smtp.ts";
import { fieldError } from "../support/html.ts";

let hub: Hub;
let smtp: TestSmtp;

const LAN = "lan.nt@nguyendu.lopso.demo";
const MINH = "minh.tv@nguyendu.lopso.demo";
const AN = "an.nv@nguyendu.lopso.demo";
const DEMO_PASSWORD = "lopso2025";

beforeAll(async () => {
  smtp = await listenSmtp();
  hub = await startHub({ trustProxy: 1 });
});

afterAll(async () => {
  await hub?.close();
  await smtp?.close();
});

/** The next message to `to` that arrives after `after` messages, waiting for the server to get it. */
async function mailTo(to: string, after: number): Promise<ReceivedMail["mail"]> {
  for (let i = 0; i < 400; i++) {
    const found = smtp.received.slice(after).find((r) => r.envelopeTo.includes(to));
    if (found) return found.mail;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no mail to ${to} arrived`);
}

function linkIn(mail: ReceivedMail["mail"]): string {
  const m = /(https?:\/\/\S+\/password\/reset\?token=[A-Za-z0-9_-]+)/.exec(mail.text ?? "");
  if (!m) throw new Error(`no link in the mail:\n${mail.text}`);
  return m[1];
}

async function ask(email: string, address = "10.0.0.1", client: Client = hub.client()) {
  const res = await client.post("/password/forgot", { email }, { "x-forwarded-for": address });
  return { status: res.status, html: await res.text() };
}

function sentNotice(html: string): string {
  const m = /<span data-testid="reset-sent">([\s\S]*?)<\/span>/.exec(html);
  return m ? htmlText(m[1]) : "";
}

async function resetRows(email: string) {
  const [u] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, email));
  return hub.database.db.select().from(passwordResets).where(eq(passwordResets.userId, u.id));
}

async function signIn(identifier: string, password: string) {
  return (await hub.client().post("/login", { identifier, password })).status;
}

describe("a reset link by email", () => {
  it("is offered on the sign-in page", async () => {
    const html = await (await hub.client().get("/login")).text();
    expect(html).toContain('href="/password/forgot"');
    expect(html).toContain("Quên mật khẩu?");
    const page = await (await hub.client().get("/password/forgot")).text();
    expect(page).toContain('name="email"');
  });

  it("arrives in Vietnamese (text and HTML), sets a new password once, and ends every session", async () => {
    const elsewhere = await hub.as(LAN);
    const before = smtp.received.length;
    const { status, html } = await ask(LAN);
    expect(status).toBe(200);
    expect(sentNotice(html)).toContain("Nếu email này thuộc một tài khoản Lớp Số");

    const mail = await mailTo(LAN, before);
    expect(mail.subject).toBe("Đặt lại mật khẩu Lớp Số");
    expect(mail.from?.value[0]).toEqual({ address: "no-reply@lopso.test", name: "Lớp Số" });
    expect(mail.text).toContain("Chào Nguyễn Thị Lan,");
    expect(mail.text).toContain("30 phút");
    const link = linkIn(mail);
    expect(link.startsWith(hub.url + "/password/reset?token=")).toBe(true);
    expect(typeof mail.html).toBe("string");
    expect(mail.html as string).toContain(`href="${link}"`);
    expect(mail.html as string).toContain("Đặt mật khẩu mới");
    expect(mail.headers.get("content-language")).toBe("vi");

    // Only a hash of the token is stored, with a 30-minute expiry.
    const token = new URL(link).searchParams.get("token")!;
    const rows = await resetRows(LAN);
    expect(rows).toHaveLength(1);
    expect(rows[0].tokenHash).not.toContain(token);
    expect(rows[0].usedAt).toBeNull();
    const minutes = (rows[0].expiresAt.getTime() - rows[0].createdAt.getTime()) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThanOrEqual(30.5);

    const path = link.slice(hub.url.length);
    const form = await hub.client().get(path);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="confirm"');

    // The one password rule, and the two fields must agree.
    let res = await hub.client().post(path, { token, password: "ngan", confirm: "ngan" });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "password")).toContain("ít nhất 8 ký tự");
    res = await hub.client().post(path, { token, password: "mat-khau-moi-cua-lan", confirm: "mat-khau-khac" });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "confirm")).toContain("không khớp");

    res = await hub.client().post(path, { token, password: "mat-khau-moi-cua-lan", confirm: "mat-khau-moi-cua-lan" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?reset=1");
    expect(await signIn(LAN, "mat-khau-moi-cua-lan")).toBe(302);
    expect(await signIn(LAN, DEMO_PASSWORD)).toBe(400);
    // The session that was open elsewhere has ended.
    expect((await elsewhere.get("/classes")).headers.get("location")).toMatch(/^\/login/);

    // Single use: the page and the form both refuse it now.
    const again = await hub.client().get(path);
    expect(await again.text()).toContain('data-testid="link-invalid"');
    res = await hub.client().post(path, { token, password: "lan-lan-nua-123", confirm: "lan-lan-nua-123" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Liên kết này không dùng được nữa");
    expect(await signIn(LAN, "lan-lan-nua-123")).toBe(400);
    expect((await resetRows(LAN))[0].usedAt).not.toBeNull();
  });

  it("expires: a link past its 30 minutes changes nothing", async () => {
    const before = smtp.received.length;
    await ask(MINH, "10.0.0.2");
    const link = linkIn(await mailTo(MINH, before));
    const [u] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, MINH));
    await hub.database.db
      .update(passwordResets)
      .set({ expiresAt: sql`now() - interval '1 minute'` })
      .where(eq(passwordResets.userId, u.id));
    const path = link.slice(hub.url.length);
    expect(await (await hub.client().get(path)).text()).toContain('data-testid="link-invalid"');
    const token = new URL(link).searchParams.get("token")!;
    const res = await hub.client().post(path, { token, password: "het-han-roi-1", confirm: "het-han-roi-1" });
    expect(res.status).toBe(400);
    expect(await signIn(MINH, "het-han-roi-1")).toBe(400);
    expect(await signIn(MINH, DEMO_PASSWORD)).toBe(302);
  });

  it("is written in the person's own language", async () => {
    await hub.database.db.update(users).set({ locale: "en" }).where(eq(users.email, AN));
    const before = smtp.received.length;
    await ask(AN, "10.0.0.3");
    const mail = await mailTo(AN, before);
    expect(mail.subject).toBe("Reset your Lớp Số password");
    expect(mail.text).toContain("Hello Nguyễn Văn An,");
    expect(mail.headers.get("content-language")).toBe("en");
  });

  it("answers an unknown email with the same page, and sends nothing", async () => {
    const known = await ask(MINH, "10.0.0.4");
    const before = smtp.received.length;
    const rowsBefore = await hub.database.db.select({ id: passwordResets.id }).from(passwordResets);
    const unknown = await ask("khong-co-ai@nguyendu.lopso.demo", "10.0.0.4");
    expect(unknown.status).toBe(known.status);
    expect(sentNotice(unknown.html)).toBe(sentNotice(known.html));
    expect(sentNotice(unknown.html)).not.toBe("");
    expect(await hub.database.db.select({ id: passwordResets.id }).from(passwordResets)).toEqual(rowsBefore);
    // A later mail to a real account arrives; nothing went to the unknown address before it.
    await ask(LAN, "10.0.0.4");
    await mailTo(LAN, before);
    expect(smtp.received.flatMap((r) => r.envelopeTo)).not.toContain("khong-co-ai@nguyendu.lopso.demo");
  });

  it("is throttled per email: after a few requests the page says to wait, and no more mail is sent", async () => {
    await hub.database.db.delete(rateLimits);
    const email = "hieutruong@nguyendu.lopso.demo";
    for (let i = 0; i < RESET_THROTTLE.email.free; i++) {
      expect((await ask(email, `10.0.1.${i}`)).status).toBe(200);
    }
    const rows = (await resetRows(email)).length;
    expect(rows).toBe(RESET_THROTTLE.email.free);
    const held = await ask(email, "10.0.1.99");
    expect(held.status).toBe(429);
    expect(htmlText(/role="alert">([\s\S]*?)<\/p>/.exec(held.html)?.[1] ?? "")).toMatch(/Vui lòng thử lại sau \d+ phút/);
    expect((await resetRows(email)).length).toBe(rows);
    // An unknown email is counted the same way, so the hold does not tell whether it exists.
    for (let i = 0; i < RESET_THROTTLE.email.free; i++) await ask("ai-do@example.vn", `10.0.2.${i}`);
    expect((await ask("ai-do@example.vn", "10.0.2.99")).status).toBe(429);
  });

  it("is throttled per address over every email", async () => {
    await hub.database.db.delete(rateLimits);
    for (let i = 0; i < RESET_THROTTLE.address.free; i++) {
      expect((await ask(`nguoi-${i}@example.vn`, "10.0.3.1")).status).toBe(200);
    }
    const held = await ask(AN, "10.0.3.1");
    expect(held.status).toBe(429);
    // From another address the same person is served.
    expect((await ask(AN, "10.0.3.2")).status).toBe(200);
    await hub.database.db.delete(rateLimits);
  });
});

describe("sessions after a reset", () => {
  it("a new sign-in after the reset works and the old sessions stay gone", async () => {
    const [u] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, LAN));
    const count = async () => (await hub.database.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, u.id))).length;
    const c = await hub.as(LAN, "mat-khau-moi-cua-lan");
    expect(await count()).toBeGreaterThan(0);
    expect((await c.get("/classes")).status).toBe(200);
  });
});
