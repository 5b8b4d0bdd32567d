/**
 * Temporary passwords: made by the hub when an admin adds a person, by the CSV import (then
 * downloadable as a CSV with a BOM or printable as slips, from that one response only), and by an
 * admin's or teacher's reset. A temporary password must be changed at the first sign-in: until it
 * is, every page leads to "Đổi mật khẩu". Without SMTP_URL, "Quên mật khẩu?" says to ask the school.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { passwordResets, users } from "../../db/schema/index.ts";
import { demoLookup } from "../support/demo.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let admin: Client;
let schoolId: string;

beforeAll(async () => {
  delete process.env.SMTP_URL;
  hub = await startHub();
  admin = await hub.as("hieutruong@nguyendu.lopso.demo");
  schoolId = await demoLookup(hub.database.db).school("79001");
});

afterAll(async () => {
  await hub?.close();
});

function shownPassword(html: string): string {
  const notice = /data-testid="temporary-password">([\s\S]*?)<\/span>/.exec(html)?.[1] ?? "";
  return /(?:Mật khẩu tạm|mới của [^:]+\)): ([a-z2-9]{10})/.exec(htmlText(notice))?.[1] ?? "";
}

async function flag(email: string) {
  const [u] = await hub.database.db.select({ must: users.mustChangePassword }).from(users).where(eq(users.email, email));
  return u.must;
}

describe("without SMTP_URL", () => {
  it("the forgot-password page says to ask the school, and sends nothing", async () => {
    const page = await (await hub.client().get("/password/forgot")).text();
    expect(page).toContain('data-testid="no-mail"');
    expect(htmlText(/data-testid="no-mail">([\s\S]*?)<\/p>/.exec(page)?.[1] ?? "")).toContain("Hãy nhờ nhà trường đặt lại mật khẩu");
    expect(page).not.toContain('name="email"');
    const res = await hub.client().post("/password/forgot", { email: "lan.nt@nguyendu.lopso.demo" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data-testid="no-mail"');
    expect(await hub.database.db.select().from(passwordResets)).toEqual([]);
  });
});

describe("a person added by an admin", () => {
  it("gets a generated temporary password, shown once, which must be changed at the first sign-in", async () => {
    const form = await (await admin.get(`/admin/schools/${schoolId}/users`)).text();
    expect(form).not.toMatch(/<input[^>]*name="password"/);
    const res = await admin.post(`/admin/schools/${schoolId}/users`, { fullName: "Đặng Văn Tú", email: "tu.dv@nguyendu.lopso.demo", role: "teacher" });
    expect(res.status).toBe(200);
    const password = shownPassword(await res.text());
    expect(password).toMatch(/^[a-z2-9]{10}$/);
    // Not shown again, and not stored as it is.
    expect(await (await admin.get(`/admin/schools/${schoolId}/users`)).text()).not.toContain(password);
    expect(JSON.stringify(await hub.database.query("select * from users"))).not.toContain(password);
    expect(await flag("tu.dv@nguyendu.lopso.demo")).toBe(true);

    const tu = await hub.as("tu.dv@nguyendu.lopso.demo", password);
    // Every page, for reading or for changing something, leads to the change first.
    for (const path of ["/classes", "/account", "/today", "/", `/admin/schools/${schoolId}/users`]) {
      const r = await tu.get(path);
      expect(r.status, path).toBe(302);
      expect(r.headers.get("location"), path).toMatch(/^\/account\/password(\?next=|$)/);
    }
    expect((await tu.get("/classes")).headers.get("location")).toBe("/account/password?next=%2Fclasses");
    const data = await tu.get("/classes.data");
    // A client navigation gets React Router's redirect (a 202 naming where to go).
    expect(data.status).toBe(202);
    expect(await data.text()).toContain("/account/password?next=%2Fclasses");
    const post = await tu.post("/account", { intent: "signout-all" });
    expect(post.headers.get("location")).toBe("/account/password");
    expect(tu.cookies.has("lopso_session")).toBe(true);

    const step = await tu.get("/account/password?next=%2Fclasses");
    expect(step.status).toBe(200);
    const html = await step.text();
    expect(html).toContain("Đổi mật khẩu");
    expect(html).not.toContain('name="currentPassword"');

    // The temporary one cannot be kept, and the one rule applies.
    let r = await tu.post("/account/password", { password, confirm: password, next: "/classes" });
    expect(r.status).toBe(400);
    expect(fieldError(await r.text(), "password")).toContain("khác mật khẩu tạm");
    r = await tu.post("/account/password", { password: "ngan", confirm: "ngan", next: "/classes" });
    expect(r.status).toBe(400);
    r = await tu.post("/account/password", { password: "mat-khau-cua-tu", confirm: "mat-khau-cua-tu", next: "/classes" });
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("/classes");
    expect(await flag("tu.dv@nguyendu.lopso.demo")).toBe(false);
    expect((await tu.get("/classes")).status).toBe(200);
    expect((await tu.get("/account")).status).toBe(200);
    expect((await tu.get("/account/password")).headers.get("location")).toBe("/account");
    expect((await hub.client().post("/login", { identifier: "tu.dv@nguyendu.lopso.demo", password })).status).toBe(400);
  });

  it("may sign out while the change is pending", async () => {
    const res = await admin.post(`/admin/schools/${schoolId}/users`, { fullName: "Lý Thị Mai", email: "mai.lt@nguyendu.lopso.demo", role: "teacher" });
    const mai = await hub.as("mai.lt@nguyendu.lopso.demo", shownPassword(await res.text()));
    const out = await mai.post("/logout", {});
    expect(out.headers.get("location")).toBe("/login?signedout=1");
    expect(mai.cookies.has("lopso_session")).toBe(false);
  });
});

describe("after a CSV import", () => {
  const CSV = ["name,email,phone,role,class", "Hoàng Thị Yến,yen.ht@nguyendu.lopso.demo,,student,6A1:toan", "Bùi Văn Nam,,0901234567,parent,"].join("\n");

  it("the temporary passwords can be downloaded as CSV with a BOM or printed as slips, from that response only", async () => {
    const res = await admin.post(`/admin/schools/${schoolId}/import`, { csv: CSV });
    expect(res.status).toBe(200);
    const html = await res.text();
    const href = /<a[^>]*data-testid="credentials-csv"[^>]*>/.exec(html)?.[0] ?? "";
    expect(href).toMatch(/download="lopso-mat-khau-tam-79001\.csv"/);
    const url = /href="([^"]+)"/.exec(href)?.[1].replaceAll("&amp;", "&") ?? "";
    expect(url.startsWith("data:text/csv;charset=utf-8,")).toBe(true);
    const csv = decodeURIComponent(url.slice(url.indexOf(",") + 1));
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).trim().split("\r\n");
    expect(lines[0]).toBe("Họ và tên,Lớp,Tên đăng nhập,Mật khẩu tạm");
    const yen = lines.find((l) => l.startsWith("Hoàng Thị Yến,"))!.split(",");
    expect(yen.slice(0, 3)).toEqual(["Hoàng Thị Yến", "6A1", "yen.ht@nguyendu.lopso.demo"]);
    const nam = lines.find((l) => l.startsWith("Bùi Văn Nam,"))!.split(",");
    expect(nam.slice(0, 3)).toEqual(["Bùi Văn Nam", "", "0901 234 567"]);

    // The slips: name, class, sign-in and password, in a section only print shows.
    const slips = html.slice(html.indexOf('data-testid="credential-slips"'));
    const slipText = htmlText(slips.slice(0, slips.indexOf("</section>")));
    expect(slipText).toContain("Hoàng Thị Yến — Lớp 6A1");
    expect(slipText).toContain(yen[3]);
    expect(slipText).toContain("0901 234 567");

    // The passwords are nowhere else: not in the database, not on the page later.
    expect(JSON.stringify(await hub.database.query("select * from users"))).not.toContain(yen[3]);
    expect(await (await admin.get(`/admin/schools/${schoolId}/import`)).text()).not.toContain(yen[3]);

    // Each imported person changes theirs at the first sign-in.
    const pupil = await hub.as("yen.ht@nguyendu.lopso.demo", yen[3]);
    expect((await pupil.get("/today")).headers.get("location")).toBe("/account/password?next=%2Ftoday");
  });

  it("prints only the slips", async () => {
    const css = await (await hub.client().get("/login")).text();
    const sheet = /<link\b[^>]*href="(\/assets\/[^"]+\.css)"/.exec(css)?.[1];
    expect(sheet).toBeTruthy();
    const text = await (await hub.client().get(sheet!)).text();
    expect(text).toMatch(/@media print/);
    expect(text).toMatch(/\.slips\s*\{\s*display:\s*none/);
    expect(text).toMatch(/main>:not\(\.slips\)|main > :not\(\.slips\)/);
  });
});
