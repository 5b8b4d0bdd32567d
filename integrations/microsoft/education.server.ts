/**
 * Microsoft Teams classes (Graph education) as a CourseProvider, through the Graph client over
 * the hub's HTTP layer.
 *
 * Reading: classes, their teachers and students, assignments and submissions (with outcomes),
 * each list page by page as Graph gives it — `$select` asks only for the fields mapped, `$top`
 * the largest page, `@odata.nextLink` followed as an opaque link until absent. A page's cursor is
 * that absolute link, so a caller can keep it and resume. A 429's Retry-After (Graph sends
 * decimals, "2.128") is waited out in the HTTP layer when short, else comes back as
 * `rate_limited` with `retryAt`. A record that cannot be mapped is not in `items` but in the
 * page's `skipped`, with its reason.
 *
 * Writing (push-out of the hub's lessons and assignments): a lesson becomes a class module with
 * a link resource back to the hub, published; an assignment becomes an education assignment
 * with the same link resource, published. The link back is also the last line of the text posted
 * with the item: a publish first looks for an item of the class whose text carries that link
 * (a retry after an answer that never arrived), and completes and returns that one instead of
 * posting twice.
 */
import { isIntegrationError } from "../errors.ts";
import type {
  AssignmentInput,
  ConnectionRef,
  CourseProvider,
  MaterialInput,
  Page,
  Pages,
  SkippedRecord,
} from "../ports.ts";
import { assignmentBody, bodyText, linkResource, mapAssignment, mapClass, mapMember, mapSubmission, type Mapped } from "./education-mapping.ts";
import { graphContract, graphSender, type GraphSenderDeps } from "./sender.server.ts";
import type { Client } from "@microsoft/microsoft-graph-client";

export type TeamsClassesDeps = GraphSenderDeps & {
  /** Largest page asked of Graph (`$top`); Graph may give fewer. */
  pageSize?: number;
};

type Raw = Record<string, unknown>;
type GraphPage = { value: Raw[]; "@odata.nextLink"?: string };

const SELECT = {
  classes: ["id", "displayName", "externalName", "classCode", "term"],
  users: ["id", "displayName", "givenName", "surname", "mail", "userPrincipalName", "primaryRole"],
  assignments: ["id", "displayName", "status", "dueDateTime", "grading", "webUrl"],
  submissions: ["id", "status", "recipient", "submittedDateTime", "unsubmittedDateTime", "releasedDateTime", "returnedDateTime", "reassignedDateTime", "excusedDateTime"],
};

const enc = encodeURIComponent;

export function createTeamsClasses(deps: TeamsClassesDeps): CourseProvider {
  const { send, pageLink, absolute } = graphSender(deps);
  const top = deps.pageSize ?? 100;

  function asPage(body: unknown, operation: string): GraphPage {
    const b = body as GraphPage | undefined;
    if (!b || !Array.isArray(b.value)) throw graphContract(operation, "the reply has no value list");
    return { value: b.value.filter((v) => v && typeof v === "object"), "@odata.nextLink": typeof b["@odata.nextLink"] === "string" ? b["@odata.nextLink"] : undefined };
  }

  /** One list request: the first (with `$select`/`$top`/`$expand`) or a page link as Graph gave it. */
  async function fetchPage(conn: ConnectionRef, operation: string, link: string, first: { select: string[]; expand?: string } | null): Promise<GraphPage> {
    const body = await send(conn, { operation, idempotent: true }, (client: Client) => {
      let req = client.api(link);
      if (first) {
        req = req.select(first.select).top(top);
        if (first.expand) req = req.expand(first.expand);
      }
      return req.get();
    });
    return asPage(body, operation);
  }

  /** Every page of a list from `first` (or from a kept cursor), mapped record by record. */
  function pages<T>(conn: ConnectionRef, operation: string, path: string, shape: { select: string[]; expand?: string }, cursor: string | undefined, map: (raw: Raw) => Mapped<T> | null): Pages<T> {
    return {
      async *[Symbol.asyncIterator]() {
        let link: string | null = cursor ? pageLink(cursor, operation) : path;
        let first = !cursor;
        while (link) {
          const page = await fetchPage(conn, operation, link, first ? shape : null);
          first = false;
          const next = page["@odata.nextLink"] ?? null;
          yield collect(page.value, map, next ? absolute(next) : null);
          link = next ? pageLink(next, operation) : null;
        }
      },
    };
  }

  function collect<T>(records: Raw[], map: (raw: Raw) => Mapped<T> | null, nextCursor: string | null): Page<T> {
    const items: T[] = [];
    const skipped: SkippedRecord[] = [];
    for (const raw of records) {
      const m = map(raw);
      if (!m) continue;
      if ("item" in m) items.push(m.item);
      else skipped.push(m.skip);
    }
    return { items, nextCursor, skipped };
  }

  /** Every record of a list (for look-ups: the ids of a class's teachers, the items posted). */
  async function all(conn: ConnectionRef, operation: string, path: string, select: string[]): Promise<Raw[]> {
    const out: Raw[] = [];
    let link: string | null = path;
    let first = true;
    while (link) {
      const page = await fetchPage(conn, operation, link, first ? { select } : null);
      first = false;
      out.push(...page.value);
      link = page["@odata.nextLink"] ? pageLink(page["@odata.nextLink"], operation) : null;
    }
    return out;
  }

  const classPath = (courseId: string) => `/education/classes/${enc(courseId)}`;

  async function post(conn: ConnectionRef, operation: string, path: string, body: unknown): Promise<Raw | undefined> {
    return (await send(conn, { operation, idempotent: false }, (c) => c.api(path).post(body))) as Raw | undefined;
  }

  async function patch(conn: ConnectionRef, operation: string, path: string, body: unknown): Promise<Raw | undefined> {
    return (await send(conn, { operation, idempotent: true }, (c) => c.api(path).patch(body))) as Raw | undefined;
  }

  /** Already gone (404) counts as done. */
  async function remove(conn: ConnectionRef, operation: string, path: string): Promise<void> {
    try {
      await send(conn, { operation, idempotent: true }, (c) => c.api(path).delete());
    } catch (e) {
      if (isIntegrationError(e) && e.code === "not_found") return;
      throw e;
    }
  }

  /** The item of the class whose posted text carries the link back, if one was posted before. */
  async function findPosted(conn: ConnectionRef, path: string, operation: string, link: string, text: "instructions" | "description"): Promise<Raw | null> {
    const items = await all(conn, operation, path, ["id", "status", "webUrl", text]);
    const textOf = (r: Raw) => (text === "instructions" ? (r.instructions as Raw | undefined)?.content : r.description);
    return items.find((r) => typeof textOf(r) === "string" && (textOf(r) as string).includes(link)) ?? null;
  }

  /** The link resources an item needs that it does not have yet (a create interrupted half-way). */
  async function addMissingLinks(conn: ConnectionRef, resourcesPath: string, input: MaterialInput, on: "assignment" | "module", fresh: boolean) {
    const have = new Set<string>();
    if (!fresh) {
      for (const r of await all(conn, `${on}s.resources.list`, resourcesPath, ["id", "resource"])) {
        const l = (r.resource as Raw | undefined)?.link;
        if (typeof l === "string") have.add(l);
      }
    }
    for (const url of input.links) if (!have.has(url)) await post(conn, `${on}s.resources.create`, resourcesPath, linkResource(url, input.title, on));
  }

  const webUrlOf = (...replies: (Raw | undefined | null)[]) => replies.map((r) => r?.webUrl).find((u): u is string => typeof u === "string" && u !== "");

  return {
    provider: "microsoft",

    /** One class at most: the cheapest call that proves the connection reads Teams classes. */
    async check(conn) {
      const page = await fetchPage(conn, "education.classes.list", "/education/classes", { select: ["id"] });
      return { accountName: conn.externalAccount ?? "Microsoft 365", detail: page.value.length ? undefined : "no class visible" };
    },

    listCourses(conn, cursor, filter) {
      // One teacher's classes: that user's taughtClasses (the user by id or userPrincipalName).
      if (filter?.teacher) return pages(conn, "education.users.taughtClasses", `/education/users/${encodeURIComponent(filter.teacher)}/taughtClasses`, { select: SELECT.classes }, cursor, mapClass);
      return pages(conn, "education.classes.list", "/education/classes", { select: SELECT.classes }, cursor, mapClass);
    },

    listRoster(conn, courseId, cursor) {
      const operation = "education.classes.roster";
      const teachersPath = `${classPath(courseId)}/teachers`;
      const membersPath = `${classPath(courseId)}/members`;
      return {
        async *[Symbol.asyncIterator]() {
          // Teachers first ("t:" cursors), then the members who are not teachers ("m:" cursors).
          const phase = cursor?.startsWith("m:") ? "members" : "teachers";
          const teacherIds = new Set<string>();
          if (phase === "teachers") {
            const from = cursor?.startsWith("t:") ? cursor.slice(2) : undefined;
            for await (const page of pages(conn, operation, teachersPath, { select: SELECT.users }, from, (raw) => {
              if (typeof raw.id === "string") teacherIds.add(raw.id);
              return mapMember(raw, "teacher");
            })) {
              yield { ...page, nextCursor: page.nextCursor ? `t:${page.nextCursor}` : `m:${absolute(membersPath)}` };
            }
          }
          if (phase === "members" || cursor?.startsWith("t:")) {
            // Resumed past the first teachers: their ids, to leave them out of the members.
            for (const t of await all(conn, operation, teachersPath, ["id"])) if (typeof t.id === "string") teacherIds.add(t.id);
          }
          const from = cursor?.startsWith("m:") ? cursor.slice(2) : undefined;
          const start = from && from === absolute(membersPath) ? undefined : from;
          for await (const page of pages(conn, operation, membersPath, { select: SELECT.users }, start, (raw) => (typeof raw.id === "string" && teacherIds.has(raw.id) ? null : mapMember(raw)))) {
            yield { ...page, nextCursor: page.nextCursor ? `m:${page.nextCursor}` : null };
          }
        },
      };
    },

    listCoursework(conn, courseId, cursor) {
      return pages(conn, "education.assignments.list", `${classPath(courseId)}/assignments`, { select: SELECT.assignments }, cursor, mapAssignment);
    },

    listSubmissions(conn, courseId, courseworkId, cursor) {
      const operation = "education.submissions.list";
      const assignmentPath = `${classPath(courseId)}/assignments/${enc(courseworkId)}`;
      return {
        async *[Symbol.asyncIterator]() {
          // Graph has no "late" flag: a work turned in after the assignment's due time is late.
          const assignment = (await send(conn, { operation: "education.assignments.get", idempotent: true }, (c) => c.api(assignmentPath).select(["id", "dueDateTime"]).get())) as Raw;
          const due = typeof assignment?.dueDateTime === "string" ? new Date(assignment.dueDateTime) : null;
          yield* pages(conn, operation, `${assignmentPath}/submissions`, { select: SELECT.submissions, expand: "outcomes" }, cursor, (raw) => mapSubmission(raw, courseworkId, due));
        },
      };
    },

    async publishMaterial(conn, courseId, input) {
      if (!input.links[0]) throw graphContract("education.modules.create", "a material needs its link back");
      const modules = `${classPath(courseId)}/modules`;
      const found = await findPosted(conn, modules, "education.modules.list", input.links[0], "description");
      const module = found ?? (await post(conn, "education.modules.create", modules, { displayName: input.title, description: bodyText(input) }));
      const id = typeof module?.id === "string" ? module.id : null;
      if (!id) throw graphContract("education.modules.create", "the module has no id");
      await addMissingLinks(conn, `${modules}/${enc(id)}/resources`, input, "module", !found);
      const published = module?.status === "published" ? module : await post(conn, "education.modules.publish", `${modules}/${enc(id)}/publish`, {});
      const link = webUrlOf(published, module);
      return { externalId: id, ...(link ? { link } : {}) };
    },

    async publishAssignment(conn, courseId, input) {
      if (!input.links[0]) throw graphContract("education.assignments.create", "an assignment needs its link back");
      const list = `${classPath(courseId)}/assignments`;
      const found = await findPosted(conn, list, "education.assignments.list", input.links[0], "instructions");
      const created =
        found ??
        (await post(conn, "education.assignments.create", list, {
          ...assignmentBody(input),
          assignTo: { "@odata.type": "#microsoft.graph.educationAssignmentClassRecipient" },
          status: "draft",
          allowStudentsToAddResourcesToSubmission: true,
        }));
      const id = typeof created?.id === "string" ? created.id : null;
      if (!id) throw graphContract("education.assignments.create", "the assignment has no id");
      await addMissingLinks(conn, `${list}/${enc(id)}/resources`, input, "assignment", !found);
      // Publish answers 200 with the assignment (current docs) or 204 (earlier ones).
      const published = created?.status === "draft" ? await post(conn, "education.assignments.publish", `${list}/${enc(id)}/publish`, {}) : created;
      const link = webUrlOf(published, created);
      return { externalId: id, ...(link ? { link } : {}) };
    },

    async updateMaterial(conn, courseId, externalId, input) {
      const reply = await patch(conn, "education.modules.update", `${classPath(courseId)}/modules/${enc(externalId)}`, { displayName: input.title, description: bodyText(input) });
      const link = webUrlOf(reply);
      return { externalId, ...(link ? { link } : {}) };
    },

    async updateAssignment(conn, courseId, externalId, input) {
      const reply = await patch(conn, "education.assignments.update", `${classPath(courseId)}/assignments/${enc(externalId)}`, assignmentBody(input));
      const link = webUrlOf(reply);
      return { externalId, ...(link ? { link } : {}) };
    },

    async unpublish(conn, courseId, kind, externalId) {
      const what = kind === "material" ? "modules" : "assignments";
      await remove(conn, `education.${what}.delete`, `${classPath(courseId)}/${what}/${enc(externalId)}`);
    },
  };
}
