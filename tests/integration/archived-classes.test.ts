/**
 * An archived class (its platform course archived, or it left a roster bundle): kept with all its
 * work, listed apart on the teacher's "Lớp của tôi" with a banner on its page, and gone from the
 * student's "Hôm nay" and from the classes a new live session can be shared with.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classes } from "../../db/schema/index.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Hub } from "../support/hub.ts";

const DOMAIN = "nguyendu.lopso.demo";
let hub: Hub;
let toan6: string;

beforeAll(async () => {
  hub = await startHub();
  toan6 = await demoLookup(hub.database.db).class("6A1", "toan");
});
afterAll(async () => {
  await hub?.close();
});

describe("an archived class", () => {
  it("is listed apart for its teacher, with a banner; the student's Hôm nay leaves it out", async () => {
    const lan = await hub.as(`lan.nt@${DOMAIN}`);
    const an = await hub.as(`an.nv@${DOMAIN}`);
    const before = await an.html("/today");
    expect(before.text).toContain(`/my/classes/${toan6}`);
    await hub.database.db.update(classes).set({ archivedAt: new Date() }).where(eq(classes.id, toan6));

    const list = await lan.html("/classes");
    const archived = /data-testid="archived-classes">([\s\S]*?)<\/ul>/.exec(list.text)?.[1] ?? "";
    expect(archived).toContain(`/classes/${toan6}`);
    expect(htmlText(list.text)).toContain("Lớp đã lưu trữ");
    const page = await lan.html(`/classes/${toan6}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-testid="class-archived"');

    const after = await an.html("/today");
    expect(after.text).not.toContain(`/my/classes/${toan6}`);
    await hub.database.db.update(classes).set({ archivedAt: null }).where(eq(classes.id, toan6));
  });
});
