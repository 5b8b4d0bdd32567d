/**
 * The fake Google's Classroom writes, after the discovery document and the Classroom guides:
 * `courses.courseWorkMaterials` and `courses.courseWork` create / patch (with `updateMask`, only
 * the fields the API lets a patch change) / delete / list (the items this fake holds, by state),
 * with materials of `link{url}` (the server fills `title`), `alternateLink`, `creationTime`/
 * `updateTime`, and `associatedWithDeveloper`: an item created by one OAuth client (Developer
 * Console project) can be changed only by that client (403 PERMISSION_DENIED,
 * "ProjectPermissionDenied"). The `classroom.courseworkmaterials` and `classroom.coursework.students`
 * scopes are checked. 429 RESOURCE_EXHAUSTED, lost replies (made, answered 500) and refusals on
 * demand.
 */
import crypto from "node:crypto";
import type { OidcCore } from "../oidc/core.ts";

type Raw = Record<string, unknown>;
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

export type FakeClassroomItem = Raw & { id: string; courseId: string; title: string; state: string; creatorClientId: string };

export type FakeClassroomPublish = {
  materials: Map<string, FakeClassroomItem>;
  courseWork: Map<string, FakeClassroomItem>;
  calls: Record<string, number>;
  /** The next N calls answer 429 RESOURCE_EXHAUSTED with this Retry-After. */
  throttleNext: (n: number, retryAfter?: string) => void;
  /** The next N creates are made and answered 500. */
  loseRepliesNext: (n: number) => void;
  /** The next N writes answer this error. */
  refuseWritesNext: (n: number, code: number, status: string, message: string) => void;
  /** Answers a Classroom write path, or null when the path is not one of these. */
  handle: (method: string, url: URL, authorization: string | undefined, body: string) => Reply | null;
};

const apiError = (code: number, status: string, message: string, headers?: Record<string, string>): Reply => ({ status: code, body: { error: { code, message, status } }, headers });

/** Fields a patch may name, per the API reference. */
const PATCHABLE = {
  courseWorkMaterials: ["title", "description", "state", "scheduledTime", "topicId"],
  courseWork: ["title", "description", "state", "dueDate", "dueTime", "maxPoints", "scheduledTime", "submissionModificationMode", "topicId", "gradingPeriodId"],
};

const STATES = { courseWorkMaterials: ["PUBLISHED", "DRAFT"], courseWork: ["PUBLISHED", "DRAFT"] };

/** `courseExists`: the fake's courses (a write to another course is 404). */
export function createFakeClassroomPublish(oidc: OidcCore, courseExists: (id: string) => boolean): FakeClassroomPublish {
  const calls: Record<string, number> = {};
  let throttle = { n: 0, retryAfter: "1" };
  let lose = 0;
  let refuse = { n: 0, code: 400, status: "INVALID_ARGUMENT", message: "" };
  const state: FakeClassroomPublish = {
    materials: new Map(),
    courseWork: new Map(),
    calls,
    throttleNext: (n, retryAfter = "1") => (throttle = { n, retryAfter }),
    loseRepliesNext: (n) => (lose = n),
    refuseWritesNext: (n, code, status, message) => (refuse = { n, code, status, message }),
    handle,
  };
  const count = (k: string) => (calls[k] = (calls[k] ?? 0) + 1);

  const json = (item: FakeClassroomItem): Raw => {
    const { creatorClientId, ...rest } = item;
    void creatorClientId;
    return rest;
  };

  function materialsOf(raw: unknown): Raw[] | Reply {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) return apiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received. materials must be a list.");
    if (raw.length > 20) return apiError(400, "INVALID_ARGUMENT", "The number of materials exceeds the limit of 20.");
    const out: Raw[] = [];
    for (const m of raw as Raw[]) {
      const url = (m?.link as Raw | undefined)?.url;
      if (typeof url !== "string" || !/^https?:\/\//.test(url)) return apiError(400, "INVALID_ARGUMENT", "Material link URL is invalid.");
      out.push({ link: { url, title: url.replace(/^https?:\/\//, "").split("/")[0] } });
    }
    return out;
  }

  function handle(method: string, url: URL, authorization: string | undefined, body: string): Reply | null {
    const m = /^\/v1\/courses\/([^/]+)\/(courseWorkMaterials|courseWork)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return null;
    const [, rawCourse, collection, rawId] = m as unknown as [string, string, "courseWorkMaterials" | "courseWork", string | undefined];
    const courseId = decodeURIComponent(rawCourse);
    const id = rawId === undefined ? undefined : decodeURIComponent(rawId);
    count(`${collection}.${method}`);
    if (throttle.n > 0) {
      throttle.n--;
      return apiError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'classroom.googleapis.com'.", { "retry-after": throttle.retryAfter });
    }
    const t = oidc.bearer(authorization);
    if (!t) return apiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
    const scope = collection === "courseWorkMaterials" ? /classroom\.courseworkmaterials(\s|$)/ : /classroom\.coursework\.students(\s|$)/;
    if (!scope.test(t.scope)) return apiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");
    if (method !== "GET" && refuse.n > 0) {
      refuse.n--;
      return apiError(refuse.code, refuse.status, refuse.message);
    }
    if (!courseExists(courseId)) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
    const store = collection === "courseWorkMaterials" ? state.materials : state.courseWork;
    let parsed: Raw = {};
    if (method === "POST" || method === "PATCH") {
      try {
        parsed = JSON.parse(body || "{}") as Raw;
      } catch {
        return apiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
      }
    }
    if (!id) {
      if (method === "GET") {
        const param = collection === "courseWorkMaterials" ? "courseWorkMaterialStates" : "courseWorkStates";
        const states = url.searchParams.getAll(param);
        const wanted = states.length ? states : ["PUBLISHED"];
        const link = url.searchParams.get("materialLink");
        const hasLink = (i: FakeClassroomItem) => !link || ((i.materials as Raw[] | undefined) ?? []).some((m) => String((m.link as Raw | undefined)?.url ?? "").includes(link));
        const items = [...store.values()].filter((i) => i.courseId === courseId && wanted.includes(i.state) && (collection === "courseWork" || hasLink(i))).map(json);
        // The list's field is singular for materials (ListCourseWorkMaterialResponse.courseWorkMaterial).
        return { status: 200, body: items.length ? { [collection === "courseWorkMaterials" ? "courseWorkMaterial" : "courseWork"]: items } : {} };
      }
      if (method !== "POST") return apiError(404, "NOT_FOUND", `No route ${method} ${url.pathname}`);
      if (typeof parsed.title !== "string" || !parsed.title.trim()) return apiError(400, "INVALID_ARGUMENT", "title: Title is required.");
      const st = (parsed.state as string | undefined) ?? "DRAFT";
      if (!STATES[collection].includes(st)) return apiError(400, "INVALID_ARGUMENT", `Invalid value at 'state' (${st}).`);
      const materials = materialsOf(parsed.materials);
      if (!Array.isArray(materials)) return materials;
      if (collection === "courseWork") {
        if (parsed.workType !== "ASSIGNMENT") return apiError(400, "INVALID_ARGUMENT", "workType: Work type is required.");
        if (parsed.dueTime && !parsed.dueDate) return apiError(400, "INVALID_ARGUMENT", "dueDate: Due date is required when a due time is set.");
        if (parsed.maxPoints !== undefined && !(typeof parsed.maxPoints === "number" && parsed.maxPoints >= 0)) return apiError(400, "INVALID_ARGUMENT", "maxPoints: Invalid value.");
      }
      const now = new Date().toISOString();
      const newId = String(crypto.randomInt(100_000_000, 999_999_999));
      const item: FakeClassroomItem = {
        ...parsed,
        id: newId,
        courseId,
        title: parsed.title,
        state: st,
        materials,
        creationTime: now,
        updateTime: now,
        creatorUserId: t.account.sub,
        alternateLink: `https://classroom.google.com/c/${courseId}/${collection === "courseWork" ? "a" : "m"}/${newId}/details`,
        ...(collection === "courseWork" ? { associatedWithDeveloper: true, assigneeMode: "ALL_STUDENTS", submissionModificationMode: "MODIFIABLE_UNTIL_TURNED_IN" } : {}),
        creatorClientId: t.clientId,
      };
      store.set(newId, item);
      count(`${collection}.created`);
      if (lose > 0) {
        lose--;
        return apiError(500, "INTERNAL", "Internal error encountered.");
      }
      return { status: 200, body: json(item) };
    }
    const item = store.get(id);
    if (!item || item.courseId !== courseId) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
    if (method === "GET") return { status: 200, body: json(item) };
    if (item.creatorClientId !== t.clientId) {
      return apiError(403, "PERMISSION_DENIED", "The Developer Project is not permitted to make the request. (ProjectPermissionDenied)");
    }
    if (method === "DELETE") {
      store.delete(id);
      return { status: 200, body: {} };
    }
    if (method !== "PATCH") return apiError(404, "NOT_FOUND", `No route ${method} ${url.pathname}`);
    // The reference names the fields in snake_case (due_date); JSON field masks take camelCase too.
    const mask = (url.searchParams.get("updateMask") ?? "").split(",").filter(Boolean).map((f) => f.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    if (!mask.length) return apiError(400, "INVALID_ARGUMENT", "updateMask: Update mask is required.");
    const bad = mask.find((f) => !PATCHABLE[collection].includes(f));
    if (bad) return apiError(400, "INVALID_ARGUMENT", `Non-supported update mask fields specified: ${bad}`);
    for (const f of mask) {
      if (parsed[f] === undefined || parsed[f] === null) delete item[f];
      else item[f] = parsed[f];
    }
    if (item.dueTime && !item.dueDate) return apiError(400, "INVALID_ARGUMENT", "dueDate: Due date is required when a due time is set.");
    item.updateTime = new Date().toISOString();
    return { status: 200, body: json(item) };
  }

  return state;
}
