/**
 * Google Classroom's side of push-out, through @googleapis/classroom over the hub's HTTP layer:
 * a hub lesson becomes a course work material, a hub assignment a course work (ASSIGNMENT), both
 * PUBLISHED with a link material back to the hub. Later edits patch only what the API lets a patch
 * change (`updateMask`: title, description; for course work also due_date, due_time, max_points —
 * materials cannot be patched); removal deletes (already gone counts as done).
 *
 * Course work can be changed only by the Developer Console project that created it
 * (`associatedWithDeveloper`): the hub only ever patches or deletes what it created itself.
 *
 * Idempotent by the link back: before a create, the course's items are looked through for one
 * of this app's already carrying that link (a retry after an answer that never arrived), which is
 * returned instead of posting a second one.
 */
import { classroom, type classroom_v1 } from "@googleapis/classroom";
import { IntegrationError, isIntegrationError } from "../errors.ts";
import { providerFetch } from "../http/fetch.server.ts";
import { withConnectionToken } from "../http/token-retry.server.ts";
import type { ProviderCall } from "../http/request.server.ts";
import type { AssignmentInput, ConnectionRef, CoursePublisher, MaterialInput, TokenSource } from "../ports.ts";
import { CLASSROOM_ROOT, type GoogleConfig } from "./config.ts";
import { googleError } from "./errors.ts";

export type ClassroomPublishDeps = {
  config: GoogleConfig;
  tokens: TokenSource;
  /** The shared budget a connection's calls spend (per user: 1,200 queries a minute). */
  budget?: (connection: ConnectionRef) => ProviderCall["budget"];
  onAttempt?: ProviderCall["onAttempt"];
};

type Api = classroom_v1.Classroom;

/** The due date and time as Classroom takes them (UTC). */
export function dueFields(dueAt: Date | null): Pick<classroom_v1.Schema$CourseWork, "dueDate" | "dueTime"> {
  if (!dueAt) return {};
  return {
    dueDate: { year: dueAt.getUTCFullYear(), month: dueAt.getUTCMonth() + 1, day: dueAt.getUTCDate() },
    dueTime: { hours: dueAt.getUTCHours(), minutes: dueAt.getUTCMinutes() },
  };
}

/** The teacher's description, then the link back (also a link material). */
function description(input: MaterialInput): string {
  return [input.description?.trim(), input.links[0]].filter(Boolean).join("\n\n");
}

const linkMaterials = (input: MaterialInput) => input.links.map((url) => ({ link: { url } }));

function carries(item: { materials?: classroom_v1.Schema$Material[] | null; description?: string | null }, link: string): boolean {
  return Boolean(item.materials?.some((m) => m.link?.url === link) || item.description?.includes(link));
}

export function createClassroomPublisher(deps: ClassroomPublishDeps): CoursePublisher {
  /** One call with the connection's token; a 401 expires that token (by version) and re-sends once. */
  async function send<T>(conn: ConnectionRef, operation: string, idempotent: boolean, fn: (api: Api) => Promise<T>): Promise<T> {
    return withConnectionToken(
      deps.tokens,
      conn,
      (token) =>
        fn(
          classroom({
            version: "v1",
            rootUrl: deps.config.apiRoot ?? CLASSROOM_ROOT,
            headers: { authorization: `Bearer ${token}` },
            retry: false,
            fetchImplementation: providerFetch({ provider: "google", operation, idempotent, onAttempt: deps.onAttempt, budget: deps.budget?.(conn) }),
          }),
        ),
      (e) => googleError(e, operation),
    );
  }

  async function findMaterial(conn: ConnectionRef, courseId: string, link: string) {
    let pageToken: string | undefined;
    do {
      const res = await send(conn, "courseWorkMaterials.list", true, (api) => api.courses.courseWorkMaterials.list({ courseId, courseWorkMaterialStates: ["PUBLISHED", "DRAFT"], materialLink: link, pageSize: 100, pageToken }));
      const found = res.data.courseWorkMaterial?.find((m) => carries(m, link));
      if (found) return found;
      pageToken = res.data.nextPageToken || undefined;
    } while (pageToken);
    return null;
  }

  async function findCourseWork(conn: ConnectionRef, courseId: string, link: string) {
    let pageToken: string | undefined;
    do {
      const res = await send(conn, "courseWork.list", true, (api) => api.courses.courseWork.list({ courseId, courseWorkStates: ["PUBLISHED", "DRAFT"], pageSize: 100, pageToken }));
      const found = res.data.courseWork?.find((w) => w.associatedWithDeveloper && carries(w, link));
      if (found) return found;
      pageToken = res.data.nextPageToken || undefined;
    } while (pageToken);
    return null;
  }

  const result = (item: { id?: string | null; alternateLink?: string | null }, operation: string) => {
    if (!item.id) throw new IntegrationError({ code: "contract", provider: "google", operation, providerMessage: "the reply has no id" });
    return { externalId: item.id, ...(item.alternateLink ? { link: item.alternateLink } : {}) };
  };

  /** Publishes a draft left by an interrupted create. */
  async function ensurePublished<T extends { id?: string | null; state?: string | null }>(item: T, publish: (id: string) => Promise<T>): Promise<T> {
    return item.state === "DRAFT" && item.id ? publish(item.id) : item;
  }

  return {
    provider: "google",

    async publishMaterial(conn, courseId, input: MaterialInput) {
      const operation = "courseWorkMaterials.create";
      const link = input.links[0];
      if (!link) throw new IntegrationError({ code: "contract", provider: "google", operation, providerMessage: "a material needs its link back" });
      const found = await findMaterial(conn, courseId, link);
      const item =
        found ??
        (await send(conn, operation, false, (api) =>
          api.courses.courseWorkMaterials.create({ courseId, requestBody: { title: input.title, description: description(input), materials: linkMaterials(input), state: "PUBLISHED" } }),
        )).data;
      const published = await ensurePublished(item, async (id) =>
        (await send(conn, "courseWorkMaterials.patch", true, (api) => api.courses.courseWorkMaterials.patch({ courseId, id, updateMask: "state", requestBody: { state: "PUBLISHED" } }))).data,
      );
      return result(published, operation);
    },

    async publishAssignment(conn, courseId, input: AssignmentInput) {
      const operation = "courseWork.create";
      const link = input.links[0];
      if (!link) throw new IntegrationError({ code: "contract", provider: "google", operation, providerMessage: "an assignment needs its link back" });
      const found = await findCourseWork(conn, courseId, link);
      const item =
        found ??
        (await send(conn, operation, false, (api) =>
          api.courses.courseWork.create({
            courseId,
            requestBody: {
              title: input.title,
              description: description(input),
              materials: linkMaterials(input),
              workType: "ASSIGNMENT",
              state: "PUBLISHED",
              ...(input.maxPoints !== null ? { maxPoints: input.maxPoints } : {}),
              ...dueFields(input.dueAt),
            },
          }),
        )).data;
      const published = await ensurePublished(item, async (id) =>
        (await send(conn, "courseWork.patch", true, (api) => api.courses.courseWork.patch({ courseId, id, updateMask: "state", requestBody: { state: "PUBLISHED" } }))).data,
      );
      return result(published, operation);
    },

    async updateMaterial(conn, courseId, externalId, input) {
      const operation = "courseWorkMaterials.patch";
      const res = await send(conn, operation, true, (api) =>
        api.courses.courseWorkMaterials.patch({ courseId, id: externalId, updateMask: "title,description", requestBody: { title: input.title, description: description(input) } }),
      );
      return result(res.data, operation);
    },

    async updateAssignment(conn, courseId, externalId, input) {
      const operation = "courseWork.patch";
      // A cleared due date clears its time too; points of an ungraded assignment are cleared.
      const res = await send(conn, operation, true, (api) =>
        api.courses.courseWork.patch({
          courseId,
          id: externalId,
          updateMask: "title,description,due_date,due_time,max_points",
          requestBody: { title: input.title, description: description(input), ...dueFields(input.dueAt), ...(input.maxPoints !== null ? { maxPoints: input.maxPoints } : {}) },
        }),
      );
      return result(res.data, operation);
    },

    async unpublish(conn, courseId, kind, externalId) {
      const operation = kind === "material" ? "courseWorkMaterials.delete" : "courseWork.delete";
      try {
        await send(conn, operation, true, (api) =>
          kind === "material" ? api.courses.courseWorkMaterials.delete({ courseId, id: externalId }) : api.courses.courseWork.delete({ courseId, id: externalId }),
        );
      } catch (e) {
        if (isIntegrationError(e) && e.code === "not_found") return;
        throw e;
      }
    },
  };
}
