/**
 * Provider-neutral ports. Everything outside `integrations/` talks to outside systems through
 * these shapes only; each folder under `integrations/` implements one of them for one system.
 * Nothing here imports from `app/` or `db/`.
 */

/** One message to one person, rendered for the channel it goes out on. */
export type OutgoingMessage = {
  /** Email address, phone number in E.164 (+84…), or a Web Push subscription. */
  to: string | PushTarget;
  locale: "vi" | "en";
  /** Email subject, push title. */
  subject: string;
  /** Plain text: the email's text part, the SMS, the push body. */
  text: string;
  /** The email's HTML part (from the same template as `text`). */
  html?: string;
  /** Absolute address of the page the message is about. */
  link?: string;
  /** One-click unsubscribe address for this recipient and kind (RFC 8058). */
  unsubscribeUrl?: string;
  /** Zalo ZNS: the approved template and its parameters. */
  template?: { id: string; params: Record<string, string> };
};

export type PushTarget = { endpoint: string; keys: { p256dh: string; auth: string } };

/** What became of one send. */
export type SendResult =
  | { outcome: "sent"; providerMessageId?: string }
  | { outcome: "retry"; reason: string; retryAt?: Date }
  | { outcome: "failed"; reason: string; message?: string; disableAddress: boolean };

/**
 * Delivers one message to one recipient. The idempotency key becomes the email Message-ID,
 * Zalo's tracking_id, the SMS request id and the push Topic, so a resend after a crash is
 * recognisable (and, where the channel deduplicates, not shown twice).
 */
export interface Channel {
  readonly name: "email" | "push" | "zalo" | "sms";
  send(message: OutgoingMessage, idempotencyKey: string): Promise<SendResult>;
  verify?(): Promise<void>;
  close?(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Platforms (Google, Microsoft, Zoom). Every method takes the connection first; lists are async
// iterables of pages that accept a starting cursor, so a caller can save a checkpoint per page.
// Errors are `IntegrationError` (integrations/errors.ts).

export type ProviderName = "google" | "microsoft" | "zoom";

/** What a provider needs to know of a connection; secrets come through the `TokenSource`. */
export type ConnectionRef = {
  id: string;
  provider: ProviderName;
  /** Zoom account id, Entra tenant id, Google Workspace domain. */
  externalAccount: string | null;
  clientId: string | null;
};

/** Gives a valid access token for a connection (refreshing it once across processes when due). */
export interface TokenSource {
  accessToken(connection: ConnectionRef): Promise<{ token: string; version: number }>;
  /** A 401 on this token: expire it if its version is unchanged, so the next call refreshes. */
  rejected(connection: ConnectionRef, version: number): Promise<void>;
}

/**
 * `skipped`: records of this page the provider could not map (an unknown enum, a missing field),
 * each with its reason in plain words, for the caller to record; they are not in `items`.
 */
export type Page<T> = { items: T[]; nextCursor: string | null; skipped?: SkippedRecord[] };
/** `kind`: course, user, coursework, submission, guardian. */
export type SkippedRecord = { kind: string; externalId: string; reason: string };
export type Pages<T> = AsyncIterable<Page<T>>;

/** The answer to "Kiểm tra kết nối": one cheap real call. */
export type ConnectionCheck = { accountName: string; detail?: string };

/** Every identity the platform gives for a person, each with its kind; never a guess. */
export type ExternalIdentity = {
  kind: "participant_id" | "user_id" | "registrant_id" | "email" | "display_name" | "phone";
  value: string;
};

/** Weekly recurrence in the meeting's time zone: ISO weekdays (1 = Monday … 7 = Sunday), until a day or a count. */
export type WeeklyRecurrence = { weekdays: number[]; until?: Date; count?: number };

export type MeetingInput = {
  topic: string;
  /** The first occurrence's start. */
  startsAt: Date;
  durationMinutes: number;
  /** IANA zone, "Asia/Ho_Chi_Minh" for the hub. */
  timezone: string;
  agenda?: string;
  recurrence?: WeeklyRecurrence;
  /** The platform user who hosts (Zoom user id or email; Graph user id); default: the connection's user. */
  hostUserId?: string;
};

/** One occurrence of a series, by its start as scheduled (and the platform's id for it, Zoom's `occurrence_id`). */
export type OccurrenceRef = { startsAt: Date; externalId?: string };

export type MeetingRef = {
  provider: ProviderName;
  /** Zoom meeting id, Meet space name (`spaces/…`), Graph online meeting id. */
  externalId: string;
  joinUrl: string;
  /** The host's start link (Zoom `start_url`): a secret, shown only to the class's teachers. */
  hostUrl?: string;
  passcode?: string;
  /** The platform's occurrences of a recurring meeting (Zoom), by start. */
  occurrences?: OccurrenceRef[];
};

export type AttendanceRecord = {
  identities: ExternalIdentity[];
  joinedAt: Date;
  leftAt: Date | null;
  durationSeconds: number;
};

/**
 * A live-session platform. A series is one platform meeting where the platform has recurrence
 * (Zoom), else one reusable room or meeting that the hub schedules (a Meet space; a Teams online
 * meeting): `updateMeeting`/`cancelMeeting` with an occurrence touch that occurrence only.
 */
export interface MeetingProvider {
  readonly provider: ProviderName;
  readonly capabilities: { attendance: "webhook" | "poll" | "both"; recordings: boolean; recurrence: "platform" | "hub" };
  createMeeting(connection: ConnectionRef, input: MeetingInput, idempotencyKey: string): Promise<MeetingRef>;
  updateMeeting(connection: ConnectionRef, ref: MeetingRef, input: Partial<MeetingInput>, occurrence?: OccurrenceRef): Promise<MeetingRef>;
  /** Already gone counts as done. */
  cancelMeeting(connection: ConnectionRef, ref: MeetingRef, occurrence?: OccurrenceRef): Promise<void>;
  /** Who attended the session held in `window` (after it ended), page by page from `cursor`. */
  readAttendance(connection: ConnectionRef, ref: MeetingRef, window: { from: Date; to: Date }, cursor?: string): Pages<AttendanceRecord>;
  /** Reconciles an ambiguous create: the meeting made with this key, if any. */
  findByKey(connection: ConnectionRef, idempotencyKey: string, around: Date): Promise<MeetingRef | null>;
}

/** `state`: active | archived | other (provisioned, declined, suspended: not synced). `version`: changes when the record does. */
export type ExternalCourse = { externalId: string; name: string; section?: string; state: string; link?: string; version?: string };
export type ExternalMember = { externalId: string; role: "student" | "teacher"; fullName: string; email?: string };
/** `form`: a Google Forms quiz attached to the work on the platform (its grade comes with the work's). */
export type ExternalCoursework = { externalId: string; title: string; dueAt: Date | null; maxPoints: number | null; state: string; link?: string; version?: string; form?: { url: string; title?: string } };
export type ExternalSubmission = {
  externalId: string;
  courseworkId: string;
  studentExternalId: string;
  state: "new" | "turned_in" | "returned" | "reclaimed";
  late: boolean;
  grade: number | null;
  updatedAt: Date;
};
/** A parent or guardian of a student, as the platform links them. */
export type ExternalGuardian = { externalId: string; studentExternalId: string; fullName: string; email?: string };
/** `notExposed`: the domain does not let us read guardians (not a failure: there is nothing to sync). */
export type GuardianPage = Page<ExternalGuardian> & { notExposed?: boolean };
/**
 * `links[0]` is the hub's own page of the item (the link back). Publishing is idempotent by it:
 * a publish that finds an item of this app already carrying that link (a retry after a reply that
 * never arrived) returns that item instead of posting a second one.
 */
export type MaterialInput = { title: string; description?: string; links: string[] };
export type AssignmentInput = MaterialInput & { dueAt: Date | null; maxPoints: number | null };

/**
 * A course platform (Google Classroom, Microsoft Teams for Education). The sync engine
 * (app/services/sync/engine.server.ts) reads through the `list*` methods only; each page's
 * `nextCursor` is opaque and is saved by the engine and given back to resume. `listCourses` with
 * `filter.teacher` (an email) lists that teacher's courses only. `listSubmissions` with
 * `courseworkId` "-" lists every submission of the course (where the platform can; otherwise the
 * engine asks coursework by coursework — see `capabilities`).
 */
export interface CourseProvider {
  readonly provider: ProviderName;
  /** `submissionsPerCourse`: listSubmissions accepts courseworkId "-" (one list for the whole course). */
  readonly capabilities?: { submissionsPerCourse?: boolean; guardians?: boolean };
  check(connection: ConnectionRef): Promise<ConnectionCheck>;
  listCourses(connection: ConnectionRef, cursor?: string, filter?: { teacher?: string }): Pages<ExternalCourse>;
  listRoster(connection: ConnectionRef, courseId: string, cursor?: string): Pages<ExternalMember>;
  listCoursework(connection: ConnectionRef, courseId: string, cursor?: string): Pages<ExternalCoursework>;
  listSubmissions(connection: ConnectionRef, courseId: string, courseworkId: string, cursor?: string): Pages<ExternalSubmission>;
  /** Every guardian link the connection may see (omitted: the platform has none). */
  listGuardians?(connection: ConnectionRef, cursor?: string): AsyncIterable<GuardianPage>;
  publishMaterial(connection: ConnectionRef, courseId: string, input: MaterialInput, idempotencyKey: string): Promise<{ externalId: string; link?: string }>;
  publishAssignment(connection: ConnectionRef, courseId: string, input: AssignmentInput, idempotencyKey: string): Promise<{ externalId: string; link?: string }>;
  /**
   * Push-out, later edits: the title, description and (assignments) due date and points of an
   * item this app posted. Links stay as posted. A missing item is `not_found`.
   */
  updateMaterial(connection: ConnectionRef, courseId: string, externalId: string, input: MaterialInput): Promise<{ externalId: string; link?: string }>;
  updateAssignment(connection: ConnectionRef, courseId: string, externalId: string, input: AssignmentInput): Promise<{ externalId: string; link?: string }>;
  /** Removes an item this app posted; already gone counts as done. */
  unpublish(connection: ConnectionRef, courseId: string, kind: "material" | "coursework", externalId: string): Promise<void>;
}

/** The push-out half of a course provider (Classroom's is its own module beside the read side). */
export type CoursePublisher = Pick<CourseProvider, "provider" | "publishMaterial" | "publishAssignment" | "updateMaterial" | "updateAssignment" | "unpublish">;

/**
 * A rate budget shared by every web and worker process (kept by the services in PostgreSQL).
 * `take` spends one call under `key` in a window of `windowMs` holding at most `limit` calls, or
 * says when the budget opens again; `block` records a provider's "wait until" for every process.
 */
export interface RateBudgets {
  /**
   * One call from `key`'s window; `windowStart` names the window it was counted in (for
   * `giveBack`). With `sliding`, at most `limit` calls in any `windowMs`, for a provider that
   * counts over a sliding window: a fixed window lets twice the limit through across its edge.
   */
  take(key: string, limit: number, windowMs: number, opts?: { sliding?: boolean }): Promise<{ ok: true; windowStart?: Date } | { ok: false; retryAt: Date }>;
  block(key: string, until: Date): Promise<void>;
  /** Returns a call that was taken (`windowStart` as `take` gave it) and not made; nothing when its window has passed. */
  giveBack?(key: string, windowStart: Date, opts?: { sliding?: boolean }): Promise<void>;
}

/**
 * Who granted a flow or signed in, as the provider vouches for them: `organization` is the Google
 * Workspace domain or the Entra ID tenant the account belongs to (null for a personal account).
 */
export type SignedInAccount = {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  organization: string | null;
  name: string | null;
};

// ---------------------------------------------------------------------------------------------
// Shared learning repositories (OAI-PMH 2.0 today). A harvest is an async iterable of pages; each
// page says where to continue from (`cursor`), so the caller commits a page and its cursor together.

export type Granularity = "YYYY-MM-DD" | "YYYY-MM-DDThh:mm:ssZ";

export type RepositoryIdentity = {
  name: string;
  baseUrl: string;
  granularity: Granularity;
  earliestDatestamp: string | null;
  deletedRecord: "no" | "transient" | "persistent";
  adminEmails: string[];
  protocolVersion: string;
};

export type MetadataFormat = { prefix: string; schema: string; namespace: string };
export type RepositorySet = { spec: string; name: string };

/** One record as harvested, in neutral fields; `metadata` is the source's own fields, kept for re-derivation. */
export type HarvestedRecord = {
  identifier: string;
  datestamp: string;
  setSpecs: string[];
  title: string;
  description: string;
  subjects: string[];
  keywords: string[];
  authors: string[];
  types: string[];
  languages: string[];
  rights: string[];
  url: string | null;
  doi: string | null;
  identifiers: string[];
  dates: string[];
  publisher?: string;
  metadata: Record<string, string[]>;
};

/** A record that could not be taken: its identifier (empty when it had none) and why. */
export type HarvestSkip = {
  identifier: string;
  reason: "missing_identifier" | "missing_datestamp" | "bad_datestamp" | "no_metadata" | "no_title" | "too_large";
  detail?: string;
};

export type HarvestPage = {
  records: HarvestedRecord[];
  deletions: { identifier: string; datestamp: string }[];
  skipped: HarvestSkip[];
  /** Where to continue after this page (a resumptionToken); null once the list is complete. */
  cursor: string | null;
  /** The request this page answered was made with this cursor (a part of a long page repeats it). */
  requestCursor: string | null;
  /** A part of a long HTTP page, yielded before its end (its `cursor` is still the request's). */
  partial?: boolean;
  completeListSize?: number;
};

export type HarvestRequest = { format: string; from?: string; until?: string; set?: string; cursor?: string | null };

export interface RepositorySource {
  identify(): Promise<RepositoryIdentity>;
  listFormats(): Promise<MetadataFormat[]>;
  listSets(): Promise<RepositorySet[]>;
  /** Pages of records and deletions to the end of the list; `noRecordsMatch` is an empty harvest. */
  harvest(request: HarvestRequest): AsyncIterable<HarvestPage>;
}

// ---------------------------------------------------------------------------------------------
// Quizzes (Google Forms): a quiz's own description and its responses with their scores, read
// after the fact. Matching a response to a student is domain logic (by the verified email).

/** `maxScore`: the sum of the graded questions' point values. `responderUri`: the link students open. */
export type QuizInfo = { formId: string; title: string; isQuiz: boolean; maxScore: number; responderUri: string | null };

/**
 * One response as the platform last saw it: `totalScore` is null while nothing in it is graded;
 * `respondentEmail` is present only when the quiz collects (verified) emails.
 */
export type QuizResponseRecord = {
  responseId: string;
  respondentEmail: string | null;
  totalScore: number | null;
  submittedAt: Date;
  /** Questions the platform graded in this response (auto-graded or graded by hand in Forms). */
  gradedQuestions: number;
};

export interface QuizReader {
  readonly provider: ProviderName;
  readQuiz(connection: ConnectionRef, formId: string): Promise<QuizInfo>;
  /** Every response of the quiz, page by page from `cursor` (a page token). */
  listResponses(connection: ConnectionRef, formId: string, cursor?: string): Pages<QuizResponseRecord>;
}
