/**
 * The fake Graph's education API, after the Graph docs and their samples: classes, their members
 * and teachers, assignments (create as draft, publish → `published` with a Teams `webUrl`, PATCH,
 * DELETE then 404) with their resources, submissions with `$expand=outcomes`, class modules with
 * their resources (create, publish, PATCH, DELETE), and a user's `taughtClasses`. Lists are paged: `$top` capped at the
 * server's page size, absolute `@odata.nextLink` with `$skiptoken` that keep the query's
 * `$select`/`$expand`; `$select` trims every record to the fields asked. Records are kept as raw
 * objects, so tests can add odd ones (an unknown status, a missing name) next to the samples.
 * 429 TooManyRequests with a decimal Retry-After on demand; a create can be stored and still
 * answered 500 (the reply lost), and any call can be refused with a 4xx of a test's choosing.
 */
import crypto from "node:crypto";

type Raw = Record<string, unknown>;
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export type FakeEduAssignment = Raw & { id: string; classId: string; status: string; resources: Raw[] };
export type FakeEduModule = Raw & { id: string; status: string; resources: Raw[] };

export type FakeEducation = {
  /** Raw educationClass records, in order. */
  classes: Raw[];
  /** Raw educationUser records per class id (teachers are members too). */
  members: Map<string, Raw[]>;
  /** Teachers' user ids per class id. */
  teachers: Map<string, string[]>;
  assignments: Map<string, FakeEduAssignment>;
  modules: Map<string, FakeEduModule & { classId: string }>;
  /** Raw educationSubmission records (with `outcomes`) per assignment id. */
  submissions: Map<string, Raw[]>;
  calls: Record<string, number>;
  /** Each education request's path and query, as received. */
  requests: string[];
  /** The server's largest page (a bigger `$top` is capped). */
  maxPageSize: number;
  /** The next N education calls answer 429 with this Retry-After. */
  throttleNext: (n: number, retryAfter: string) => void;
  /** The next N creates (assignments, modules, resources) are made and answered 500. */
  loseRepliesNext: (n: number) => void;
  /** The next N writes answer this error. */
  refuseWritesNext: (n: number, status: number, code: string, message: string) => void;
  handle: (method: string, url: URL, body: string) => Reply;
};

const error = (status: number, code: string, message: string, headers?: Record<string, string>): Reply => ({
  status,
  body: { error: { code, message, innerError: { date: new Date().toISOString(), "request-id": crypto.randomUUID() } } },
  headers,
});

function select(raw: Raw, url: URL): Raw {
  const fields = url.searchParams.get("$select");
  if (!fields) return raw;
  const keep = new Set(fields.split(","));
  return Object.fromEntries(Object.entries(raw).filter(([k]) => keep.has(k) || k === "@odata.type"));
}

export function createFakeEducation(base: () => string): FakeEducation {
  const calls: Record<string, number> = {};
  const requests: string[] = [];
  let throttle = { n: 0, retryAfter: "1" };
  let lose = 0;
  let refuse = { n: 0, status: 400, code: "BadRequest", message: "" };
  const state: FakeEducation = {
    classes: [],
    members: new Map(),
    teachers: new Map(),
    assignments: new Map(),
    modules: new Map(),
    submissions: new Map(),
    calls,
    requests,
    maxPageSize: 20,
    throttleNext: (n, retryAfter) => (throttle = { n, retryAfter }),
    loseRepliesNext: (n) => (lose = n),
    refuseWritesNext: (n, status, code, message) => (refuse = { n, status, code, message }),
    handle,
  };
  const count = (k: string) => (calls[k] = (calls[k] ?? 0) + 1);

  function paged(url: URL, items: Raw[], context: string): Reply {
    const top = Math.min(Number(url.searchParams.get("$top")) || state.maxPageSize, state.maxPageSize);
    const skip = url.searchParams.get("$skiptoken");
    const offset = skip ? Number(Buffer.from(skip, "base64url").toString("utf8").replace(/^o:/, "")) : 0;
    if (!Number.isInteger(offset) || offset < 0) return error(400, "BadRequest", "Invalid skip token.");
    const expand = url.searchParams.get("$expand");
    const value = items.slice(offset, offset + top).map((r) => {
      const { outcomes, resources, ...rest } = r as Raw & { outcomes?: unknown; resources?: unknown };
      void resources;
      return { ...select(rest, url), ...(expand === "outcomes" && outcomes ? { outcomes } : {}) };
    });
    const body: Raw = { "@odata.context": `https://graph.microsoft.com/v1.0/$metadata#${context}`, value };
    if (offset + top < items.length) {
      const q = new URLSearchParams();
      for (const k of ["$select", "$expand"]) if (url.searchParams.get(k)) q.set(k, url.searchParams.get(k)!);
      q.set("$top", String(top));
      q.set("$skiptoken", Buffer.from(`o:${offset + top}`).toString("base64url"));
      body["@odata.nextLink"] = `${base()}${url.pathname}?${decodeURIComponent(q.toString())}`;
    }
    return { status: 200, body };
  }

  const assignmentJson = (a: FakeEduAssignment, url?: URL): Raw => {
    const { resources, ...rest } = a;
    void resources;
    return url ? select(rest, url) : rest;
  };

  const webUrl = (classId: string, id: string) =>
    `https://teams.microsoft.com/l/entity/66aeee93-507d-479a-a3ef-8f494af43945/classroom?context=${encodeURIComponent(JSON.stringify({ subEntityId: JSON.stringify({ version: "1.0", config: { classes: [{ id: classId, assignmentIds: [id] }] }, action: "navigate", view: "assignment-viewer" }) }))}`;

  function parse(body: string): Raw | null {
    try {
      const v = JSON.parse(body || "{}");
      return v && typeof v === "object" ? (v as Raw) : null;
    } catch {
      return null;
    }
  }

  /** A create: stored, then answered (or, when a lost reply is due, answered 500). */
  function created(value: Raw): Reply {
    if (lose > 0) {
      lose--;
      count("lostReplies");
      return error(500, "InternalServerError", "An internal server error occurred.");
    }
    return { status: 201, body: value };
  }

  function resourceOf(body: Raw | null): Raw | Reply {
    const r = body?.resource as Raw | undefined;
    if (!r || r["@odata.type"] !== "#microsoft.graph.educationLinkResource" || typeof r.link !== "string" || !/^https?:\/\//.test(r.link)) {
      return error(400, "BadRequest", "Resource must be a link resource with a valid link.");
    }
    const now = new Date().toISOString();
    return { id: crypto.randomUUID(), ...(body!.distributeForStudentWork !== undefined ? { distributeForStudentWork: body!.distributeForStudentWork } : {}), resource: { ...r, createdDateTime: now, lastModifiedDateTime: now } };
  }

  function handle(method: string, url: URL, body: string): Reply {
    requests.push(`${method} ${url.pathname}${url.search}`);
    if (throttle.n > 0) {
      throttle.n--;
      count("throttled");
      return error(429, "TooManyRequests", "Please retry again later.", { "retry-after": throttle.retryAfter });
    }
    if (method !== "GET" && refuse.n > 0) {
      refuse.n--;
      return error(refuse.status, refuse.code, refuse.message);
    }
    const parts = url.pathname.replace(/^\/v1\.0\/education\//, "").split("/").map(decodeURIComponent);
    if (parts[0] === "classes" && parts.length === 1 && method === "GET") {
      count("classes.list");
      return paged(url, state.classes, "education/classes");
    }
    if (parts[0] === "users" && parts[1] && parts[2] === "taughtClasses" && parts.length === 3 && method === "GET") {
      // The user by id or by userPrincipalName (mail here), as Graph takes either in the path.
      count("taughtClasses.list");
      const key = parts[1].toLowerCase();
      const user = [...state.members.values()].flat().find((m) => String(m.id).toLowerCase() === key || String(m.mail ?? "").toLowerCase() === key || String(m.userPrincipalName ?? "").toLowerCase() === key);
      if (!user) return error(404, "ResourceNotFound", "Resource not found for the segment 'users'.");
      const taught = state.classes.filter((c) => (state.teachers.get(String(c.id)) ?? []).includes(String(user.id)));
      return paged(url, taught, `education/users('${parts[1]}')/taughtClasses`);
    }
    if (parts[0] !== "classes" || !parts[1]) return error(404, "ResourceNotFound", `No route ${method} ${url.pathname}`);
    const classId = parts[1];
    const cls = state.classes.find((c) => c.id === classId);
    if (!cls) return error(404, "ResourceNotFound", "Resource not found for the segment 'classes'.");
    const [, , segment, itemId, sub] = parts;
    if ((segment === "members" || segment === "teachers") && !itemId && method === "GET") {
      count(`${segment}.list`);
      const members = state.members.get(classId) ?? [];
      const teachers = new Set(state.teachers.get(classId) ?? []);
      return paged(url, segment === "members" ? members : members.filter((m) => teachers.has(String(m.id))), `education/classes('${classId}')/${segment}`);
    }
    if (segment === "assignments") return assignments(method, url, classId, itemId, sub, body);
    if (segment === "modules") return modules(method, url, classId, itemId, sub, body);
    return error(404, "ResourceNotFound", `No route ${method} ${url.pathname}`);
  }

  function assignments(method: string, url: URL, classId: string, id: string | undefined, sub: string | undefined, body: string): Reply {
    if (!id) {
      if (method === "GET") {
        count("assignments.list");
        return paged(url, [...state.assignments.values()].filter((a) => a.classId === classId), `education/classes('${classId}')/assignments`);
      }
      if (method !== "POST") return error(405, "BadRequest", "Method not allowed.");
      count("assignments.create");
      const b = parse(body);
      if (!b || typeof b.displayName !== "string" || !b.displayName.trim()) return error(400, "BadRequest", "Required property 'displayName' is missing.");
      const grading = b.grading as Raw | null | undefined;
      if (grading && !(typeof grading.maxPoints === "number" && grading.maxPoints > 0)) return error(400, "BadRequest", "maxPoints must be greater than zero.");
      const now = new Date().toISOString();
      const newId = crypto.randomUUID();
      const a: FakeEduAssignment = {
        id: newId,
        classId,
        displayName: b.displayName,
        instructions: b.instructions ?? { contentType: "text", content: "" },
        dueDateTime: b.dueDateTime ?? null,
        grading: grading ? { ...grading, "@odata.type": "#microsoft.graph.educationAssignmentPointsGradeType" } : null,
        assignTo: { "@odata.type": "#microsoft.graph.educationAssignmentClassRecipient" },
        allowLateSubmissions: true,
        allowStudentsToAddResourcesToSubmission: b.allowStudentsToAddResourcesToSubmission ?? true,
        addedStudentAction: "none",
        createdDateTime: now,
        lastModifiedDateTime: now,
        status: "draft",
        webUrl: null,
        resources: [],
      };
      state.assignments.set(newId, a);
      return created(assignmentJson(a));
    }
    const a = state.assignments.get(id);
    if (!a || a.classId !== classId) return error(404, "ResourceNotFound", "The requested resource does not exist.");
    if (sub === "publish" && method === "POST") {
      count("assignments.publish");
      a.status = "published";
      a.assignedDateTime = new Date().toISOString();
      a.webUrl = webUrl(classId, a.id);
      return { status: 200, body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#educationAssignment", "@odata.type": "#microsoft.graph.educationAssignment", ...assignmentJson(a) } };
    }
    if (sub === "resources") {
      if (method === "GET") return paged(url, a.resources, `education/classes('${classId}')/assignments('${id}')/resources`);
      if (method !== "POST") return error(405, "BadRequest", "Method not allowed.");
      count("assignments.resources.create");
      const r = resourceOf(parse(body));
      if ("status" in r && typeof r.status === "number") return r as Reply;
      a.resources.push(r as Raw);
      return created(r as Raw);
    }
    if (sub === "submissions" && method === "GET") {
      count("submissions.list");
      return paged(url, state.submissions.get(id) ?? [], `education/classes('${classId}')/assignments('${id}')/submissions`);
    }
    if (sub) return error(404, "ResourceNotFound", `No route ${method} ${url.pathname}`);
    if (method === "GET") return { status: 200, body: assignmentJson(a, url) };
    if (method === "DELETE") {
      count("assignments.delete");
      state.assignments.delete(id);
      return { status: 204 };
    }
    if (method === "PATCH") {
      count("assignments.update");
      const b = parse(body);
      if (!b) return error(400, "BadRequest", "Invalid request body.");
      for (const k of ["displayName", "instructions", "dueDateTime", "grading"]) if (k in b) a[k] = b[k];
      a.lastModifiedDateTime = new Date().toISOString();
      return { status: 200, body: assignmentJson(a) };
    }
    return error(405, "BadRequest", "Method not allowed.");
  }

  function modules(method: string, url: URL, classId: string, id: string | undefined, sub: string | undefined, body: string): Reply {
    if (!id) {
      if (method === "GET") {
        count("modules.list");
        return paged(url, [...state.modules.values()].filter((m) => m.classId === classId), `education/classes('${classId}')/modules`);
      }
      if (method !== "POST") return error(405, "BadRequest", "Method not allowed.");
      count("modules.create");
      const b = parse(body);
      if (!b || typeof b.displayName !== "string" || !b.displayName.trim()) return error(400, "BadRequest", "Required property 'displayName' is missing.");
      const now = new Date().toISOString();
      const m = { id: crypto.randomUUID(), classId, displayName: b.displayName, description: b.description ?? null, status: "draft", isPinned: false, createdDateTime: now, lastModifiedDateTime: now, resourcesFolderUrl: null, resources: [] as Raw[] };
      state.modules.set(m.id, m);
      const { resources, classId: _c, ...json } = m;
      void resources;
      void _c;
      return created(json);
    }
    const m = state.modules.get(id);
    if (!m || m.classId !== classId) return error(404, "ResourceNotFound", "The requested resource does not exist.");
    const json = () => {
      const { resources, classId: _c, ...rest } = m;
      void resources;
      void _c;
      return rest;
    };
    if (sub === "publish" && method === "POST") {
      count("modules.publish");
      m.status = "published";
      return { status: 200, body: json() };
    }
    if (sub === "resources") {
      if (method === "GET") return paged(url, m.resources, `education/classes('${classId}')/modules('${id}')/resources`);
      if (method !== "POST") return error(405, "BadRequest", "Method not allowed.");
      count("modules.resources.create");
      const r = resourceOf(parse(body));
      if ("status" in r && typeof r.status === "number") return r as Reply;
      m.resources.push(r as Raw);
      return created(r as Raw);
    }
    if (sub) return error(404, "ResourceNotFound", `No route ${method} ${url.pathname}`);
    if (method === "DELETE") {
      count("modules.delete");
      state.modules.delete(id);
      return { status: 204 };
    }
    if (method === "PATCH") {
      count("modules.update");
      const b = parse(body);
      if (!b) return error(400, "BadRequest", "Invalid request body.");
      for (const k of ["displayName", "description"]) if (k in b) m[k] = b[k];
      return { status: 200, body: json() };
    }
    if (method === "GET") return { status: 200, body: json() };
    return error(405, "BadRequest", "Method not allowed.");
  }

  return state;
}
