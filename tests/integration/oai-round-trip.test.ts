/**
 * The province's own open lessons, served at /oai, harvested by the harvester over real HTTP into
 * a repository registered by a neighbouring province: both demo open lessons arrive as that repository's records with their title, licence,
 * school subject and grade, and a link back to the lesson; a lesson no longer shared arrives as
 * a deleted record on the next (incremental) harvest and leaves the library; a harvest with
 * nothing new is a success with nothing added.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lessons, organizations, resourceSources, resources } from "../../db/schema/index.ts";
import { registerRepository, runHarvest } from "../../app/services/library/harvest.server.ts";
import { setLessonLicence } from "../../app/services/library/open.server.ts";
import { loadMemberships, type Actor } from "../../app/auth/actor.server.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Hub } from "../support/hub.ts";

let served: Hub;
/** The harvesting side: the same database (one embedded database per process), its own repository row. */
let harvester: { db: Hub["database"]["db"] };
let province: string;
let repositoryId: string;

beforeAll(async () => {
  served = await startHub();
  harvester = { db: served.database.db };
  const [p] = await harvester.db.insert(organizations).values({ kind: "province", name: "Sở GD&ĐT Lân cận", code: "NB" }).returning();
  province = p.id;
});
afterAll(async () => {
  await served?.close();
});

const library = () =>
  harvester.db
    .select({ title: resources.title, licence: resources.licence, subject: resources.subject, grades: resources.grades, url: resources.url, identifier: resourceSources.identifier })
    .from(resources)
    .innerJoin(resourceSources, eq(resourceSources.resourceId, resources.id))
    .where(eq(resourceSources.repositoryId, repositoryId));

describe("our /oai harvested by our harvester", () => {
  it("registers the hub's /oai after Identify and ListMetadataFormats, and brings both open lessons", async () => {
    const { repository, created } = await registerRepository(harvester.db, { ownerOrgId: province, baseUrl: `${served.url}/oai` });
    expect(created).toBe(true);
    expect(repository.granularity).toBe("YYYY-MM-DDThh:mm:ssZ");
    expect(repository.deletedRecord).toBe("persistent");
    repositoryId = repository.id;
    const out = await runHarvest(harvester.db, repositoryId, { full: true });
    expect(out).toMatchObject({ status: "succeeded", added: 2, deleted: 0, skipped: 0 });
    const rows = (await library()).sort((a, b) => a.title.localeCompare(b.title, "vi"));
    expect(rows.map((r) => r.title)).toEqual(["Bài 1. Nguyên tử", "Tập đọc: Ngày khai trường"]);
    expect(rows.map((r) => r.licence)).toEqual(["CC-BY-4.0", "CC-BY-4.0"]);
    expect(rows[0]).toMatchObject({ subject: "khtn", grades: [7] });
    expect(rows[1]).toMatchObject({ subject: "tieng-viet", grades: [3] });
    const [lesson] = await served.database.db.select({ id: lessons.id }).from(lessons).where(eq(lessons.title, "Bài 1. Nguyên tử"));
    expect(rows[0].url).toBe(`${served.url}/lessons/${lesson.id}`);
    expect(rows[0].identifier).toMatch(new RegExp(`^oai:[^:]+:lesson/${lesson.id}$`));
  });

  it("a lesson no longer shared comes as a deleted record next time and leaves the library; nothing new is a success", async () => {
    const db = served.database.db;
    const [lesson] = await db.select({ id: lessons.id }).from(lessons).where(eq(lessons.title, "Bài 1. Nguyên tử"));
    const lanId = await demoLookup(db).user("lan.nt@nguyendu.lopso.demo");
    const lan = { id: lanId, memberships: await loadMemberships(db, lanId) } as Actor;
    // The record's datestamp must be after the last harvest's (one-second granularity).
    await new Promise((r) => setTimeout(r, 1100));
    expect((await setLessonLicence(db, lan, lesson.id, null)).ok).toBe(true);
    const out = await runHarvest(harvester.db, repositoryId);
    expect(out).toMatchObject({ status: "succeeded", mode: "incremental", deleted: 1, added: 0 });
    expect((await library()).map((r) => r.title)).toEqual(["Tập đọc: Ngày khai trường"]);
    const again = await runHarvest(harvester.db, repositoryId);
    expect(again).toMatchObject({ status: "succeeded", added: 0, updated: 0, deleted: 0 });
  });
});
