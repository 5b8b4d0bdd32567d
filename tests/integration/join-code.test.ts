/**
 * A class's join code is replaced only once the teacher has confirmed it, having been told that
 * the old code stops working. Both steps are plain form posts (no script needed); another
 * teacher's class is "not found" at either step.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classes } from "../../db/schema/index.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { htmlText } from "../support/html.ts";

let hub: Hub;
let lan: Client;
let minh: Client;
let classId = "";

beforeAll(async () => {
  hub = await startHub();
  lan = await hub.as("lan.nt@nguyendu.lopso.demo"); // teaches Toán 6A1
  minh = await hub.as("minh.tv@nguyendu.lopso.demo"); // teaches Ngữ văn 6A1, not Toán
  classId = await demoLookup(hub.database.db).class("6A1", "toan");
});

afterAll(async () => {
  await hub?.close();
});

const joinCode = async () => (await hub.database.db.select({ code: classes.joinCode }).from(classes).where(eq(classes.id, classId)))[0].code;
const confirmButton = /<button\b(?=[^>]*\bname="intent")(?=[^>]*\bvalue="regenerate-confirm")[^>]*>/;

describe("a new join code", () => {
  it("is refused at both steps for another teacher's class, and the code stays", async () => {
    for (const intent of ["new-code", "regenerate-confirm"]) {
      const res = await minh.post(`/classes/${classId}`, { intent });
      expect(res.status, intent).toBe(404);
      expect(htmlText(await res.text())).toContain("Không tìm thấy trang");
    }
    expect(await joinCode()).toBe("TOAN6A1");
  });

  it("first asks for confirmation, saying the old code stops working, and changes nothing", async () => {
    const page = await lan.html(`/classes/${classId}`);
    // The first button asks; the confirming one appears only on the confirmation step.
    expect(page.text).toMatch(/<input type="hidden" name="intent" value="new-code"\/>/);
    expect(page.text).not.toMatch(confirmButton);

    const res = await lan.post(`/classes/${classId}`, { intent: "new-code" });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(await joinCode()).toBe("TOAN6A1");
    expect(htmlText(html)).toContain("Mã hiện tại TOAN6A1 sẽ ngừng hoạt động ngay");
    expect(html).toMatch(confirmButton);
    expect(html).toContain(`href="/classes/${classId}"`); // keep the code: back to the class page
  });

  it("asks in English for a teacher who reads English", async () => {
    const english = await hub.as("lan.nt@nguyendu.lopso.demo");
    english.cookies.set("lang", "en");
    const res = await english.post(`/classes/${classId}`, { intent: "new-code" });
    expect(htmlText(await res.text())).toContain("The current code TOAN6A1 will stop working at once");
    expect(await joinCode()).toBe("TOAN6A1");
  });

  it("is made on confirmation: the page shows it, the old code no longer joins and the new one does", async () => {
    const res = await lan.post(`/classes/${classId}`, { intent: "regenerate-confirm" });
    expect(res.status).toBe(200);
    const code = await joinCode();
    expect(code).not.toBe("TOAN6A1");
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{7}$/);
    const html = await res.text();
    expect(htmlText(html)).toContain("Đã tạo mã mới. Mã cũ không còn dùng được.");
    expect(html).toMatch(new RegExp(`data-testid="join-code"[^>]*>\\s*${code}\\s*<`));

    const dung = await hub.as("dung.pm@nguyendu.lopso.demo"); // not yet in Toán 6A1
    expect((await dung.post("/join", { code: "TOAN6A1" })).status).toBe(400);
    expect((await dung.post("/join", { code })).status).toBe(200);
  });

  it("refuses an intent it does not know, changing nothing", async () => {
    const before = await joinCode();
    const res = await lan.post(`/classes/${classId}`, { intent: "regenerate" });
    expect(res.status).toBe(400);
    expect(await joinCode()).toBe(before);
  });
});
