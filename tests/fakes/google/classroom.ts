/**
 * The fake Google's Classroom API v1, from the discovery document (contracts/discovery.classroom.v1.json)
 * and the real payloads in samples/google: courses, their teachers and students, courseWork,
 * studentSubmissions (one coursework, or `-` for every coursework of the course) and
 * userProfiles.guardians (one student, or `-` for every student the caller may see). Lists are
 * paged with opaque `nextPageToken`s bound to their query, each list capped at its own largest
 * page whatever `pageSize` asks (students/teachers at 30, as the real server does); the partial
 * response `fields` mask is honoured; every call served is counted by method id.
 */
import type { OidcCore } from "../oidc/core.ts";

export type FakeProfile = { id: string; fullName?: string; email?: string };
export type FakeClassroomCourse = {
  id: string;
  name: string;
  section?: string;
  ownerId: string;
  /** Any string: an unknown state is served as is (a deliberately odd record). */
  courseState?: string;
  updateTime?: string;
  teachers: string[];
  students: string[];
};
export type FakeCourseWork = {
  id: string;
  courseId: string;
  title?: string;
  state?: string;
  maxPoints?: number;
  dueDate?: { year: number; month: number; day: number };
  dueTime?: { hours?: number; minutes?: number };
  updateTime?: string;
  creationTime?: string;
  workType?: string;
  /** Materials as Classroom gives them, e.g. `{ form: { formUrl, responseUrl, title } }` for a Forms quiz. */
  materials?: Record<string, unknown>[];
};
export type FakeSubmission = {
  id: string;
  courseId: string;
  courseWorkId: string;
  userId: string;
  state: string;
  late?: boolean;
  assignedGrade?: number;
  draftGrade?: number;
  updateTime?: string;
};
export type FakeGuardian = { studentId: string; guardianId: string; fullName: string; email: string };

export type FakeClassroom = {
  users: Map<string, FakeProfile>;
  courses: FakeClassroomCourse[];
  courseWork: FakeCourseWork[];
  submissions: FakeSubmission[];
  guardians: FakeGuardian[];
  /** Guardians are not exposed by the domain: userProfiles.guardians answers 403. */
  guardiansExposed: boolean;
  calls: Record<string, number>;
  /** The largest page the server gives per list, whatever pageSize asks. */
  maxPageSize: { courses: number; roster: number; courseWork: number; studentSubmissions: number; guardians: number };
  /** Called for every call served (tests stop a sync mid-way from here). */
  onCall?: (operation: string) => void;
  /** Every call served, total. */
  totalCalls: () => number;
  resetCalls: () => void;
  /** A course's updateTime moves on ("now") — for tests that change things. */
  touch: (rec: { updateTime?: string }) => void;
};

type Reply = { status: number; body: unknown; headers?: Record<string, string> };
const apiError = (code: number, status: string, message: string): Reply => ({ status: code, body: { error: { code, message, status } } });

/** Parses a partial-response mask (`nextPageToken,courses(id,name(fullName)),a/b`) into a tree. */
export function parseFields(mask: string): Record<string, unknown> {
  let i = 0;
  const tree = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (;;) {
      let name = "";
      while (i < mask.length && !",()".includes(mask[i])) name += mask[i++];
      name = name.trim();
      let sub: unknown = true;
      if (mask[i] === "(") {
        i++;
        sub = tree();
        i++; // ")"
      }
      if (name) {
        // a/b/c → nested
        const parts = name.split("/");
        let node = out;
        for (let p = 0; p < parts.length - 1; p++) node = (node[parts[p]] as Record<string, unknown>) ?? (node[parts[p]] = {});
        const last = parts[parts.length - 1];
        node[last] = sub === true && typeof node[last] === "object" ? node[last] : sub;
      }
      if (mask[i] === ",") {
        i++;
        continue;
      }
      return out;
    }
  };
  return tree();
}

export function applyFields(value: unknown, mask: Record<string, unknown> | true): unknown {
  if (mask === true || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => applyFields(v, mask));
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(mask)) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = applyFields(v, sub as Record<string, unknown> | true);
  }
  return out;
}

const encodeToken = (query: string, offset: number) => Buffer.from(JSON.stringify({ q: query, o: offset })).toString("base64url");
function decodeToken(token: string, query: string): number | null {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { q: string; o: number };
    return t.q === query ? t.o : null;
  } catch {
    return null;
  }
}

export function createFakeClassroom(oidc: OidcCore): FakeClassroom & { handle: (method: string, url: URL, authorization: string | undefined) => Reply | null } {
  const calls: Record<string, number> = {};
  const state: FakeClassroom = {
    users: new Map(),
    courses: [],
    courseWork: [],
    submissions: [],
    guardians: [],
    guardiansExposed: true,
    calls,
    maxPageSize: { courses: 500, roster: 30, courseWork: 100, studentSubmissions: 100, guardians: 100 },
    totalCalls: () => Object.values(calls).reduce((a, b) => a + b, 0),
    resetCalls: () => {
      for (const k of Object.keys(calls)) delete calls[k];
    },
    touch: (rec) => {
      rec.updateTime = new Date().toISOString();
    },
  };

  const profile = (id: string) => {
    const u = state.users.get(id);
    return { id, name: { givenName: u?.fullName?.split(" ").slice(-1)[0], familyName: u?.fullName?.split(" ")[0], fullName: u?.fullName }, ...(u?.email ? { emailAddress: u.email } : {}) };
  };
  const courseJson = (c: FakeClassroomCourse) => ({
    id: c.id,
    name: c.name,
    ...(c.section ? { section: c.section } : {}),
    ownerId: c.ownerId,
    creationTime: "2026-08-20T01:00:00.000Z",
    updateTime: c.updateTime ?? "2026-08-20T01:00:00.000Z",
    enrollmentCode: c.id.slice(-6),
    ...(c.courseState === "" ? {} : { courseState: c.courseState ?? "ACTIVE" }),
    alternateLink: `https://classroom.google.com/c/${Buffer.from(c.id).toString("base64url")}`,
    guardiansEnabled: state.guardiansExposed,
  });
  const workJson = (w: FakeCourseWork) => ({
    courseId: w.courseId,
    id: w.id,
    ...(w.title !== undefined ? { title: w.title } : {}),
    state: w.state ?? "PUBLISHED",
    alternateLink: `https://classroom.google.com/c/${Buffer.from(w.courseId).toString("base64url")}/a/${Buffer.from(w.id).toString("base64url")}/details`,
    creationTime: w.creationTime ?? "2026-09-01T01:00:00.000Z",
    updateTime: w.updateTime ?? "2026-09-01T01:00:00.000Z",
    ...(w.dueDate ? { dueDate: w.dueDate } : {}),
    ...(w.dueTime ? { dueTime: w.dueTime } : {}),
    ...(w.maxPoints !== undefined ? { maxPoints: w.maxPoints } : {}),
    workType: w.workType ?? "ASSIGNMENT",
    ...(w.materials ? { materials: w.materials } : {}),
    submissionModificationMode: "MODIFIABLE_UNTIL_TURNED_IN",
    assigneeMode: "ALL_STUDENTS",
    creatorUserId: "creator",
  });
  const subJson = (s: FakeSubmission) => ({
    courseId: s.courseId,
    courseWorkId: s.courseWorkId,
    id: s.id,
    userId: s.userId,
    creationTime: "2026-09-01T01:00:00.000Z",
    updateTime: s.updateTime ?? "2026-09-01T01:00:00.000Z",
    state: s.state,
    ...(s.late ? { late: true } : {}),
    ...(s.draftGrade !== undefined ? { draftGrade: s.draftGrade } : {}),
    ...(s.assignedGrade !== undefined ? { assignedGrade: s.assignedGrade } : {}),
    alternateLink: `https://classroom.google.com/c/x/a/y/submissions/student/${s.userId}`,
    courseWorkType: "ASSIGNMENT",
    assignmentSubmission: {},
  });

  function page<T>(op: string, url: URL, items: T[], max: number, key: string, toJson: (t: T) => unknown): Reply {
    const q = new URLSearchParams(url.searchParams);
    q.delete("pageToken");
    q.delete("fields");
    q.sort();
    const query = `${url.pathname}?${q}`;
    const asked = Number(url.searchParams.get("pageSize") ?? "0");
    const size = asked > 0 ? Math.min(asked, max) : Math.min(30, max);
    const token = url.searchParams.get("pageToken");
    let start = 0;
    if (token) {
      const o = decodeToken(token, query);
      if (o === null) return apiError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.");
      start = o;
    }
    const slice = items.slice(start, start + size);
    const body: Record<string, unknown> = { [key]: slice.map(toJson) };
    if (start + size < items.length) body.nextPageToken = encodeToken(query, start + size);
    if (slice.length === 0) delete body[key]; // Google omits empty lists
    const fields = url.searchParams.get("fields");
    calls[op] = (calls[op] ?? 0) + 1;
    state.onCall?.(op);
    return { status: 200, body: fields ? applyFields(body, parseFields(fields)) : body };
  }

  // Lookups by course (a domain of 2,000 courses has 1.4 M submissions): the lists stay plain
  // arrays that tests push to, splice and edit; each index is rebuilt when its array is replaced
  // or changes length, and a bucket holding a record moved out of its course is not used.
  function byCourse<T extends { courseId: string }>(get: () => T[]) {
    let arr: T[] | null = null;
    let len = -1;
    let index = new Map<string, T[]>();
    return (courseId: string): T[] => {
      const list = get();
      if (list !== arr || list.length !== len) {
        index = new Map();
        for (const x of list) {
          const b = index.get(x.courseId);
          if (b) b.push(x);
          else index.set(x.courseId, [x]);
        }
        arr = list;
        len = list.length;
      }
      const hit = index.get(courseId) ?? [];
      return hit.every((x) => x.courseId === courseId) ? hit : list.filter((x) => x.courseId === courseId);
    };
  }
  const submissionsOf = byCourse(() => state.submissions);
  const courseWorkOf = byCourse(() => state.courseWork);
  const courseById = (() => {
    let arr: FakeClassroomCourse[] | null = null;
    let len = -1;
    let index = new Map<string, FakeClassroomCourse>();
    return (id: string): FakeClassroomCourse | undefined => {
      if (state.courses !== arr || state.courses.length !== len) {
        index = new Map();
        for (const c of state.courses) if (!index.has(c.id)) index.set(c.id, c);
        arr = state.courses;
        len = state.courses.length;
      }
      const c = index.get(id);
      return c && c.id === id ? c : state.courses.find((x) => x.id === id);
    };
  })();

  const handle = (method: string, url: URL, authorization: string | undefined): Reply | null => {
    const path = url.pathname;
    if (method !== "GET" || !(path.startsWith("/v1/courses") || path.startsWith("/v1/userProfiles"))) return null;
    const t = oidc.bearer(authorization);
    if (!t) return apiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
    const denied = apiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");
    let m: RegExpExecArray | null;
    if (path === "/v1/courses") {
      if (!/classroom\.courses/.test(t.scope)) return denied;
      const teacher = url.searchParams.get("teacherId");
      const states = url.searchParams.getAll("courseStates");
      let list = state.courses;
      if (teacher) {
        const tid = [...state.users.values()].find((u) => u.email === teacher || u.id === teacher)?.id;
        list = list.filter((c) => tid !== undefined && c.teachers.includes(tid));
      }
      if (states.length) list = list.filter((c) => states.includes(c.courseState ?? "ACTIVE"));
      return page("courses.list", url, list, state.maxPageSize.courses, "courses", courseJson);
    }
    if ((m = /^\/v1\/courses\/([^/]+)\/(teachers|students)$/.exec(path))) {
      if (!/classroom\.rosters/.test(t.scope)) return denied;
      const c = courseById(m![1]);
      if (!c) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
      const role = m[2] as "teachers" | "students";
      const withEmails = /classroom\.profile\.emails/.test(t.scope);
      return page(`courses.${role}.list`, url, c[role], state.maxPageSize.roster, role, (uid) => {
        const p = profile(uid);
        if (!withEmails) delete (p as { emailAddress?: string }).emailAddress;
        return { courseId: c.id, userId: uid, profile: p };
      });
    }
    if ((m = /^\/v1\/courses\/([^/]+)\/courseWork$/.exec(path))) {
      const c = courseById(m![1]);
      if (!c) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
      const states = url.searchParams.getAll("courseWorkStates");
      const wanted = states.length ? states : ["PUBLISHED"];
      const list = courseWorkOf(c.id).filter((w) => wanted.includes(w.state ?? "PUBLISHED"));
      // orderBy default "updateTime desc"
      const orderBy = url.searchParams.get("orderBy") ?? "updateTime desc";
      const sorted = [...list].sort((a, b) => (a.updateTime ?? "").localeCompare(b.updateTime ?? "") * (/desc/.test(orderBy) ? -1 : 1));
      return page("courses.courseWork.list", url, sorted, state.maxPageSize.courseWork, "courseWork", workJson);
    }
    if ((m = /^\/v1\/courses\/([^/]+)\/courseWork\/([^/]+)\/studentSubmissions$/.exec(path))) {
      const c = courseById(m![1]);
      if (!c) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
      const cw = m[2];
      const list = submissionsOf(c.id).filter((s) => cw === "-" || s.courseWorkId === cw);
      return page("courses.courseWork.studentSubmissions.list", url, list, state.maxPageSize.studentSubmissions, "studentSubmissions", subJson);
    }
    if ((m = /^\/v1\/userProfiles\/([^/]+)\/guardians$/.exec(path))) {
      if (!state.guardiansExposed || !/guardianlinks/.test(t.scope)) {
        calls["userProfiles.guardians.list"] = (calls["userProfiles.guardians.list"] ?? 0) + 1;
        return apiError(403, "PERMISSION_DENIED", "The caller does not have permission");
      }
      const sid = m[1];
      const list = state.guardians.filter((g) => sid === "-" || g.studentId === sid);
      return page("userProfiles.guardians.list", url, list, state.maxPageSize.guardians, "guardians", (g) => ({
        studentId: g.studentId,
        guardianId: g.guardianId,
        guardianProfile: { id: g.guardianId, name: { fullName: g.fullName }, emailAddress: g.email },
        invitedEmailAddress: g.email,
      }));
    }
    return apiError(404, "NOT_FOUND", "Requested entity was not found.");
  };
  return Object.assign(state, { handle });
}
