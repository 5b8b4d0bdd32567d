/**
 * Google Classroom as a CourseProvider, through @googleapis/classroom over the hub's HTTP layer.
 *
 * Every list asks for the largest page and, with a partial-response `fields` mask, only what the
 * sync keeps, and follows `nextPageToken` (the server may give less than asked: rosters come 30
 * at a time). Submissions are listed for the whole course at once (`courseWorkId: "-"`) and
 * guardians for the whole domain (`studentId: "-"`), so a sync costs a few calls per course.
 * Each call spends the project's budget (50 requests/s) and the connection's user budget
 * (20 requests/s), shared by every process; a 429's Retry-After blocks both for everyone.
 * Publishing to Classroom lives elsewhere (the push-out of lessons); here it throws.
 */
import { classroom, type classroom_v1 } from "@googleapis/classroom";
import { IntegrationError } from "../errors.ts";
import { providerFetch } from "../http/fetch.server.ts";
import { spendAll } from "../http/budgets.ts";
import type { ConnectionRef, CoursePublisher, CourseProvider, GuardianPage, Page, RateBudgets, TokenSource } from "../ports.ts";
import { CLASSROOM_ROOT, type GoogleConfig } from "./config.ts";
import { googleError } from "./errors.ts";
import { courseOf, courseworkOf, guardianOf, memberOf, split, submissionOf } from "./classroom-mapping.ts";
import { createClassroomPublisher } from "./classroom-publish.server.ts";

/** Classroom: 3,000 queries per minute per project (50/s) and 1,200 per minute per user (20/s). */
export const CLASSROOM_PROJECT_BUDGET = { key: "google:classroom:project", limit: 50, windowMs: 1000 } as const;
export const classroomUserBudget = (connectionId: string) => ({ key: `google:classroom:user:${connectionId}`, limit: 20, windowMs: 1000 });

/** What we ask for; the server caps each page (rosters at 30). */
export const CLASSROOM_PAGE_SIZE = { courses: 500, roster: 1000, courseWork: 1000, studentSubmissions: 1000, guardians: 1000 } as const;

export const CLASSROOM_FIELDS = {
  courses: "nextPageToken,courses(id,name,section,courseState,alternateLink,updateTime)",
  teachers: "nextPageToken,teachers(userId,profile(name/fullName,emailAddress))",
  students: "nextPageToken,students(userId,profile(name/fullName,emailAddress))",
  courseWork: "nextPageToken,courseWork(id,title,state,workType,alternateLink,updateTime,dueDate,dueTime,maxPoints,materials(form(formUrl,title)))",
  studentSubmissions: "nextPageToken,studentSubmissions(id,courseWorkId,userId,state,late,assignedGrade,updateTime)",
  guardians: "nextPageToken,guardians(studentId,guardianId,guardianProfile(name/fullName,emailAddress),invitedEmailAddress)",
} as const;

export type ClassroomDeps = {
  config: GoogleConfig;
  tokens: TokenSource;
  /** Shared budgets (PostgreSQL); without them calls are not held back here. */
  budgets?: RateBudgets;
  /** Every attempt that reached the network (the run's API-call count). */
  onAttempt?: (outcome: { status?: number; throttled: boolean }) => void;
};

type Classroom = classroom_v1.Classroom;
const next = (t: string | null | undefined) => (t ? t : null);

export function createClassroomProvider(deps: ClassroomDeps): CourseProvider {
  function client(token: string, operation: string): Classroom {
    return classroom({
      version: "v1",
      rootUrl: deps.config.apiRoot ?? CLASSROOM_ROOT,
      headers: { authorization: `Bearer ${token}` },
      retry: false,
      fetchImplementation: providerFetch({ provider: "google", operation, idempotent: true, onAttempt: deps.onAttempt }),
    });
  }

  /** One read with the connection's token; a 401 expires that token and the call is sent once more. */
  async function call<T>(conn: ConnectionRef, operation: string, fn: (c: Classroom) => Promise<{ data: T }>): Promise<T> {
    let t = await deps.tokens.accessToken(conn);
    for (let attempt = 1; ; attempt++) {
      // Both budgets or neither, waiting at most 10 s for them, else `rate_limited` for the job to re-schedule.
      if (deps.budgets) await spendAll(deps.budgets, [CLASSROOM_PROJECT_BUDGET, classroomUserBudget(conn.id)], { provider: "google", operation });
      try {
        return (await fn(client(t.token, operation))).data;
      } catch (e) {
        const err = googleError(e, operation);
        if (err.code === "reauth_required" && err.status === 401 && attempt === 1) {
          await deps.tokens.rejected(conn, t.version);
          t = await deps.tokens.accessToken(conn);
          continue;
        }
        if (err.code === "rate_limited" && err.retryAt && deps.budgets) {
          await deps.budgets.block(classroomUserBudget(conn.id).key, err.retryAt);
        }
        throw err;
      }
    }
  }

  /** Pages of one list from `cursor` (a page token), each page mapped. */
  async function* pages<W, T>(fetchPage: (token: string | undefined) => Promise<{ list: W[]; token: string | null }>, map: (w: W[]) => Omit<Page<T>, "nextCursor">, cursor?: string): AsyncIterable<Page<T>> {
    let token: string | undefined = cursor || undefined;
    for (;;) {
      const res = await fetchPage(token);
      const page = map(res.list);
      yield { ...page, nextCursor: res.token };
      if (!res.token) return;
      token = res.token;
    }
  }

  return {
    provider: "google",
    capabilities: { submissionsPerCourse: true, guardians: true },

    async check(conn) {
      const data = await call(conn, "courses.list", (c) => c.courses.list({ pageSize: 1, fields: "courses(id)" }));
      return { accountName: conn.externalAccount ?? "", detail: `${(data.courses ?? []).length > 0 ? "courses visible" : "no courses"}` };
    },

    listCourses(conn, cursor, filter) {
      const op = "courses.list";
      return pages(
        async (pageToken) => {
          const d = await call(conn, op, (c) =>
            c.courses.list({ pageSize: CLASSROOM_PAGE_SIZE.courses, pageToken, fields: CLASSROOM_FIELDS.courses, ...(filter?.teacher ? { teacherId: filter.teacher } : {}) }),
          );
          return { list: d.courses ?? [], token: next(d.nextPageToken) };
        },
        (list) => split(list.map((x) => courseOf(x as Record<string, unknown>))),
        cursor,
      );
    },

    /** Teachers first, then students; the cursor says which list and where in it. */
    async *listRoster(conn, courseId, cursor) {
      const start = cursor ? (JSON.parse(cursor) as { r: "teachers" | "students"; t: string | null }) : { r: "teachers" as const, t: null };
      for (const role of ["teachers", "students"] as const) {
        if (role === "teachers" && start.r === "students") continue;
        let token: string | undefined = (role === start.r ? start.t : null) ?? undefined;
        for (;;) {
          const op = `courses.${role}.list`;
          const d = await call(conn, op, (c) =>
            role === "teachers"
              ? c.courses.teachers.list({ courseId, pageSize: CLASSROOM_PAGE_SIZE.roster, pageToken: token, fields: CLASSROOM_FIELDS.teachers })
              : c.courses.students.list({ courseId, pageSize: CLASSROOM_PAGE_SIZE.roster, pageToken: token, fields: CLASSROOM_FIELDS.students }),
          );
          const list = (role === "teachers" ? (d as classroom_v1.Schema$ListTeachersResponse).teachers : (d as classroom_v1.Schema$ListStudentsResponse).students) ?? [];
          const nt = next(d.nextPageToken);
          const page = split(list.map((m) => memberOf(m as Record<string, unknown>, role === "teachers" ? "teacher" : "student")));
          const after = nt ? { r: role, t: nt } : role === "teachers" ? { r: "students" as const, t: null } : null;
          yield { ...page, nextCursor: after ? JSON.stringify(after) : null };
          if (!nt) break;
          token = nt;
        }
      }
    },

    listCoursework(conn, courseId, cursor) {
      const op = "courses.courseWork.list";
      return pages(
        async (pageToken) => {
          const d = await call(conn, op, (c) =>
            c.courses.courseWork.list({ courseId, pageSize: CLASSROOM_PAGE_SIZE.courseWork, pageToken, orderBy: "updateTime desc", fields: CLASSROOM_FIELDS.courseWork }),
          );
          return { list: d.courseWork ?? [], token: next(d.nextPageToken) };
        },
        (list) => split(list.map((x) => courseworkOf(x as Record<string, unknown>))),
        cursor,
      );
    },

    listSubmissions(conn, courseId, courseworkId, cursor) {
      const op = "courses.courseWork.studentSubmissions.list";
      return pages(
        async (pageToken) => {
          const d = await call(conn, op, (c) =>
            c.courses.courseWork.studentSubmissions.list({ courseId, courseWorkId: courseworkId, pageSize: CLASSROOM_PAGE_SIZE.studentSubmissions, pageToken, fields: CLASSROOM_FIELDS.studentSubmissions }),
          );
          return { list: d.studentSubmissions ?? [], token: next(d.nextPageToken) };
        },
        (list) => split(list.map((x) => submissionOf(x as Record<string, unknown>))),
        cursor,
      );
    },

    /** Every guardian of every student the admin may see; a 403 means the domain does not expose them. */
    async *listGuardians(conn, cursor): AsyncIterable<GuardianPage> {
      const op = "userProfiles.guardians.list";
      let token: string | undefined = cursor || undefined;
      for (;;) {
        let d: classroom_v1.Schema$ListGuardiansResponse;
        try {
          d = await call(conn, op, (c) => c.userProfiles.guardians.list({ studentId: "-", pageSize: CLASSROOM_PAGE_SIZE.guardians, pageToken: token, fields: CLASSROOM_FIELDS.guardians }));
        } catch (e) {
          if (e instanceof IntegrationError && e.status === 403) {
            yield { items: [], nextCursor: null, notExposed: true };
            return;
          }
          throw e;
        }
        const nt = next(d.nextPageToken);
        yield { ...split((d.guardians ?? []).map((g) => guardianOf(g as Record<string, unknown>))), nextCursor: nt };
        if (!nt) return;
        token = nt;
      }
    },

    // Writes (the lesson push-out) are the publisher's: one provider for both directions.
    ...publishing(createClassroomPublisher({ config: deps.config, tokens: deps.tokens, onAttempt: deps.onAttempt })),
  };
}

function publishing(p: CoursePublisher): Omit<CoursePublisher, "provider"> {
  return {
    publishMaterial: p.publishMaterial.bind(p),
    publishAssignment: p.publishAssignment.bind(p),
    updateMaterial: p.updateMaterial.bind(p),
    updateAssignment: p.updateAssignment.bind(p),
    unpublish: p.unpublish.bind(p),
  };
}
