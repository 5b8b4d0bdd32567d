/**
 * The province's OAI-PMH 2.0 repository (/oai): the open lessons and files of its schools, in
 * oai_dc, with sets by school (`school:<code>`) and by subject (`subject:<code>`), deletions kept
 * (deletedRecord = persistent), second granularity, and resumption tokens that carry the query and
 * a keyset cursor on (datestamp, id) — each page is one index range scan, however deep.
 */
import { sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../../db/client.server.ts";
import { selectRows } from "../../../db/client.server.ts";
import { env } from "../../env.server.ts";
import { subjectName, SUBJECTS } from "../../lib/curriculum.ts";
import { licenceOf } from "../../lib/licences.ts";
import { plainDescription } from "./open.server.ts";

export const OAI_PAGE_SIZE = 50;
const OAI_NS = "http://www.openarchives.org/OAI/2.0/";

type Args = Record<string, string>;
export type OaiError = { code: string; message: string };

const VERBS: Record<string, { required: string[]; optional: string[]; exclusive?: string }> = {
  Identify: { required: [], optional: [] },
  ListMetadataFormats: { required: [], optional: ["identifier"] },
  ListSets: { required: [], optional: [], exclusive: "resumptionToken" },
  ListIdentifiers: { required: ["metadataPrefix"], optional: ["from", "until", "set"], exclusive: "resumptionToken" },
  ListRecords: { required: ["metadataPrefix"], optional: ["from", "until", "set"], exclusive: "resumptionToken" },
  GetRecord: { required: ["identifier", "metadataPrefix"], optional: [] },
};

export const esc = (s: string) =>
  s
    // Characters XML 1.0 cannot carry at all.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The repository's own name in identifiers: APP_URL's host name, or lopso.local. */
export function repositoryHost() {
  const url = env().APP_URL;
  const host = url ? new URL(url).hostname : "";
  return /^[a-zA-Z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$/.test(host) ? host : "lopso.local";
}

export const oaiIdentifier = (localId: string) => `oai:${repositoryHost()}:${localId}`;

/** A set spec part may use only unreserved URI characters. */
const specPart = (code: string) => code.replace(/[^A-Za-z0-9\-_.!~*'()]/g, "_");

type DateArg = { date: Date; day: boolean };

/** `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ssZ`, a real date; null otherwise. */
export function parseDate(value: string): DateArg | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})Z)?$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h = "0", mi = "0", s = "0"] = m.slice(1);
  const date = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
  if (date.getUTCFullYear() !== +y || date.getUTCMonth() !== +mo - 1 || date.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) return null;
  return { date, day: m[4] === undefined };
}

/** What a token carries: the query, the position after the last record served, and the counts. */
type Token = { verb: string; prefix: string; from?: string; until?: string; set?: string; after: [string, number]; cursor: number; size: number };

function encodeToken(t: Token) {
  return Buffer.from(JSON.stringify([1, t.verb, t.prefix, t.from ?? "", t.until ?? "", t.set ?? "", t.after[0], t.after[1], t.cursor, t.size])).toString("base64url");
}

function decodeToken(value: string, verb: string): Token | null {
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(value)) return null;
  try {
    const a = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    if (!Array.isArray(a) || a.length !== 10 || a[0] !== 1 || a[1] !== verb || a[2] !== "oai_dc") return null;
    const [, , prefix, from, until, set, afterDate, afterId, cursor, size] = a;
    if (![from, until, set, afterDate].every((x) => typeof x === "string")) return null;
    if (![afterId, cursor, size].every((x) => Number.isSafeInteger(x) && x >= 0)) return null;
    if ((from && !parseDate(from)) || (until && !parseDate(until)) || !parseDate(afterDate)) return null;
    return { verb, prefix, from: from || undefined, until: until || undefined, set: set || undefined, after: [afterDate, afterId], cursor, size };
  } catch {
    return null;
  }
}

type Row = {
  id: number;
  localId: string;
  deleted: boolean;
  datestamp: string;
  schoolCode: string;
  subject: string | null;
  title: string | null;
  description: string | null;
  author: string | null;
  schoolName: string;
  publishedAt: string | null;
  grade: number | null;
  lessonId: string | null;
  attachmentId: string | null;
  filename: string | null;
  contentType: string | null;
  licence: string | null;
};

/** Sets in use: the schools and the subjects that have records (each an index probe). */
async function listSets(db: DbOrTx) {
  const schools = await selectRows<{ code: string; name: string }>(
    db,
    sql`select o.code, o.name from organizations o where o.kind = 'school' and exists (select 1 from oai_records r where r.school_id = o.id) order by o.code`,
  );
  const codes = SUBJECTS.map((s) => s.code);
  const subjects = await selectRows<{ subject: string }>(
    db,
    sql`select s as subject from unnest(${`{${codes.join(",")}}`}::text[]) s where exists (select 1 from oai_records r where r.subject = s) order by s`,
  );
  return [
    ...schools.map((s) => ({ spec: `school:${specPart(s.code)}`, name: s.name })),
    ...subjects.map((s) => ({ spec: `subject:${specPart(s.subject)}`, name: subjectName(s.subject, "vi") })),
  ];
}

/** The condition a set spec stands for; null for a set that does not exist. */
async function setCondition(db: DbOrTx, spec: string): Promise<SQL | null> {
  const school = /^school:(.+)$/.exec(spec);
  if (school) {
    const rows = await selectRows<{ id: string; code: string }>(db, sql`select o.id, o.code from organizations o where o.kind = 'school'`);
    const hit = rows.find((r) => specPart(r.code) === school[1]);
    return hit ? sql`r.school_id = ${hit.id}` : null;
  }
  const subject = /^subject:(.+)$/.exec(spec);
  if (subject) {
    const code = SUBJECTS.find((s) => specPart(s.code) === subject[1])?.code ?? subject[1];
    return sql`r.subject = ${code}`;
  }
  return null;
}

const ROW_SELECT = sql`
  select r.id, r.local_id as "localId", r.deleted,
    to_char(r.datestamp at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as datestamp,
    o.code as "schoolCode", o.name as "schoolName", r.subject,
    coalesce(a.filename, l.title) as title, l.body_md as description, u.full_name as author,
    to_char(l.published_at at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD') as "publishedAt",
    c.grade, r.lesson_id as "lessonId", r.attachment_id as "attachmentId", a.filename, a.content_type as "contentType",
    case when r.attachment_id is not null then a.licence else l.licence end as licence
  from oai_records r
  join organizations o on o.id = r.school_id
  left join lessons l on l.id = r.lesson_id
  left join classes c on c.id = l.class_id
  left join users u on u.id = l.author_id
  left join attachments a on a.id = r.attachment_id`;

function header(r: Row) {
  const sets = [`school:${specPart(r.schoolCode)}`, ...(r.subject ? [`subject:${specPart(r.subject)}`] : [])];
  return `<header${r.deleted ? ' status="deleted"' : ""}><identifier>${esc(oaiIdentifier(r.localId))}</identifier><datestamp>${r.datestamp}</datestamp>${sets
    .map((s) => `<setSpec>${esc(s)}</setSpec>`)
    .join("")}</header>`;
}

function dublinCore(r: Row, appUrl: string) {
  const dc: [string, string][] = [];
  const licence = licenceOf(r.licence);
  dc.push(["title", r.title ?? ""]);
  if (r.author) dc.push(["creator", r.author]);
  if (r.subject) dc.push(["subject", subjectName(r.subject, "vi")]);
  if (r.grade) dc.push(["subject", `Lớp ${r.grade}`]);
  if (r.attachmentId) dc.push(["description", `Tệp của bài học (${r.schoolName})`]);
  else if (r.description) dc.push(["description", plainDescription(r.description)]);
  dc.push(["publisher", r.schoolName]);
  if (r.publishedAt) dc.push(["date", r.publishedAt]);
  dc.push(["type", r.attachmentId ? "Text" : "InteractiveResource"]);
  dc.push(["format", r.attachmentId ? (r.contentType ?? "application/octet-stream") : "text/html"]);
  dc.push(["identifier", r.attachmentId ? `${appUrl}/files/${r.attachmentId}` : `${appUrl}/lessons/${r.lessonId}`]);
  dc.push(["language", "vi"]);
  if (licence) {
    dc.push(["rights", licence.url]);
    dc.push(["rights", `${licence.short} ${licence.id.endsWith("1.0") ? "1.0" : "4.0"}`]);
  }
  return (
    `<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">` +
    dc.map(([k, v]) => `<dc:${k}>${esc(v)}</dc:${k}>`).join("") +
    `</oai_dc:dc></metadata>`
  );
}

const record = (r: Row, appUrl: string) => `<record>${header(r)}${r.deleted ? "" : dublinCore(r, appUrl)}</record>`;

function envelope(now: Date, baseUrl: string, requestAttrs: Args | null, body: string) {
  const attrs = requestAttrs ? Object.entries(requestAttrs).map(([k, v]) => ` ${k}="${esc(v)}"`).join("") : "";
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<OAI-PMH xmlns="${OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">` +
    `<responseDate>${isoSeconds(now)}</responseDate><request${attrs}>${esc(baseUrl)}</request>${body}</OAI-PMH>\n`
  );
}

const errors = (list: OaiError[]) => list.map((e) => `<error code="${e.code}">${esc(e.message)}</error>`).join("");

/**
 * Answer one OAI-PMH request. `pairs` are the request's arguments as sent (repeated ones kept, to
 * be refused); `baseUrl` is the /oai address; `appUrl` the hub's origin for dc:identifier links.
 */
export async function oaiResponse(db: DbOrTx, pairs: [string, string][], baseUrl: string, appUrl: string, now = new Date(), pageSize = OAI_PAGE_SIZE): Promise<string> {
  const args: Args = {};
  const repeated: string[] = [];
  for (const [k, v] of pairs) {
    if (k in args) repeated.push(k);
    args[k] = v;
  }
  const verb = args.verb;
  if (verb === undefined || !Object.hasOwn(VERBS, verb) || repeated.includes("verb")) {
    return envelope(now, baseUrl, null, errors([{ code: "badVerb", message: verb === undefined ? "Thiếu tham số verb." : repeated.includes("verb") ? "Tham số verb bị lặp lại." : `Verb không hợp lệ: ${verb}` }]));
  }
  const spec = VERBS[verb];
  const bad: OaiError[] = [];
  for (const k of repeated) bad.push({ code: "badArgument", message: `Tham số bị lặp lại: ${k}` });
  const given = Object.keys(args).filter((k) => k !== "verb");
  const exclusive = spec.exclusive && spec.exclusive in args;
  if (exclusive) {
    for (const k of given) if (k !== spec.exclusive) bad.push({ code: "badArgument", message: `resumptionToken phải là tham số duy nhất; không được gửi kèm ${k}.` });
  } else {
    for (const k of given) if (!spec.required.includes(k) && !spec.optional.includes(k)) bad.push({ code: "badArgument", message: `Tham số không hợp lệ cho ${verb}: ${k}` });
    for (const k of spec.required) if (!(k in args)) bad.push({ code: "badArgument", message: `Thiếu tham số bắt buộc: ${k}` });
  }
  let from: DateArg | null = null;
  let until: DateArg | null = null;
  if (!exclusive) {
    if ("from" in args && !(from = parseDate(args.from))) bad.push({ code: "badArgument", message: `from không đúng dạng YYYY-MM-DD hoặc YYYY-MM-DDThh:mm:ssZ: ${args.from}` });
    if ("until" in args && !(until = parseDate(args.until))) bad.push({ code: "badArgument", message: `until không đúng dạng YYYY-MM-DD hoặc YYYY-MM-DDThh:mm:ssZ: ${args.until}` });
    if (from && until && from.day !== until.day) bad.push({ code: "badArgument", message: "from và until phải cùng một độ chi tiết (granularity)." });
    else if (from && until && from.date > until.date) bad.push({ code: "badArgument", message: "from phải không muộn hơn until." });
  }
  if (bad.length) return envelope(now, baseUrl, null, errors(bad));

  const echo = (body: string) => envelope(now, baseUrl, args, body);
  const fail = (code: string, message: string) => echo(errors([{ code, message }]));

  if (verb === "Identify") {
    const [first] = await selectRows<{ earliest: string | null }>(db, sql`select to_char(min(datestamp) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as earliest from oai_records`);
    return echo(
      `<Identify><repositoryName>Lớp Số — Học liệu mở của các trường</repositoryName><baseURL>${esc(baseUrl)}</baseURL><protocolVersion>2.0</protocolVersion>` +
        `<adminEmail>oai@${esc(repositoryHost())}</adminEmail><earliestDatestamp>${first?.earliest ?? "2020-01-01T00:00:00Z"}</earliestDatestamp>` +
        `<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>`,
    );
  }

  const localIdOf = (identifier: string) => {
    const prefix = `oai:${repositoryHost()}:`;
    return identifier.startsWith(prefix) ? identifier.slice(prefix.length) : null;
  };
  const findRecord = async (identifier: string) => {
    const local = localIdOf(identifier);
    if (!local) return null;
    const [row] = await selectRows<Row>(db, sql`${ROW_SELECT} where r.local_id = ${local}`);
    return row ?? null;
  };
  const FORMAT = `<metadataFormat><metadataPrefix>oai_dc</metadataPrefix><schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema><metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></metadataFormat>`;

  if (verb === "ListMetadataFormats") {
    if (args.identifier !== undefined && !(await findRecord(args.identifier))) return fail("idDoesNotExist", `Không có bản ghi ${args.identifier}.`);
    return echo(`<ListMetadataFormats>${FORMAT}</ListMetadataFormats>`);
  }

  if (verb === "GetRecord") {
    if (args.metadataPrefix !== "oai_dc") return fail("cannotDisseminateFormat", `Định dạng không được hỗ trợ: ${args.metadataPrefix} (chỉ có oai_dc).`);
    const row = await findRecord(args.identifier);
    if (!row) return fail("idDoesNotExist", `Không có bản ghi ${args.identifier}.`);
    return echo(`<GetRecord>${record(row, appUrl)}</GetRecord>`);
  }

  if (verb === "ListSets") {
    if (exclusive) return fail("badResumptionToken", "Danh sách tập hợp không chia trang; resumptionToken không hợp lệ.");
    const sets = await listSets(db);
    if (sets.length === 0) return fail("noSetHierarchy", "Kho chưa có tập hợp nào.");
    return echo(`<ListSets>${sets.map((s) => `<set><setSpec>${esc(s.spec)}</setSpec><setName>${esc(s.name)}</setName></set>`).join("")}</ListSets>`);
  }

  // ListIdentifiers, ListRecords
  let query: Token;
  if (exclusive) {
    const token = decodeToken(args.resumptionToken, verb);
    if (!token) return fail("badResumptionToken", "resumptionToken không hợp lệ hoặc đã hết hạn.");
    query = token;
  } else {
    if (args.metadataPrefix !== "oai_dc") return fail("cannotDisseminateFormat", `Định dạng không được hỗ trợ: ${args.metadataPrefix} (chỉ có oai_dc).`);
    query = { verb, prefix: "oai_dc", from: args.from, until: args.until, set: args.set, after: ["", 0], cursor: 0, size: -1 };
  }
  const where: SQL[] = [];
  if (query.from) where.push(sql`r.datestamp >= ${parseDate(query.from)!.date.toISOString()}::timestamptz`);
  if (query.until) {
    const u = parseDate(query.until)!;
    // A day until takes in the whole day; a second until, that second.
    const end = new Date(u.date.getTime() + (u.day ? 86_400_000 : 1000));
    where.push(sql`r.datestamp < ${end.toISOString()}::timestamptz`);
  }
  if (query.set) {
    const [any] = await selectRows<{ n: number }>(db, sql`select 1 as n from oai_records limit 1`);
    if (!any) return fail("noSetHierarchy", "Kho chưa có tập hợp nào.");
    const cond = await setCondition(db, query.set);
    if (!cond) return fail("noRecordsMatch", `Không có tập hợp ${query.set}.`);
    where.push(cond);
  }
  const filter = where.length ? sql.join(where, sql` and `) : sql`true`;
  const afterCond = query.after[0] ? sql`(r.datestamp, r.id) > (${parseDate(query.after[0])!.date.toISOString()}::timestamptz, ${query.after[1]})` : sql`true`;
  const rows = await selectRows<Row>(
    db,
    verb === "ListRecords"
      ? sql`${ROW_SELECT} where ${filter} and ${afterCond} order by r.datestamp, r.id limit ${pageSize + 1}`
      : sql`select r.id, r.local_id as "localId", r.deleted, to_char(r.datestamp at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as datestamp, o.code as "schoolCode", r.subject
            from oai_records r join organizations o on o.id = r.school_id where ${filter} and ${afterCond} order by r.datestamp, r.id limit ${pageSize + 1}`,
  );
  if (rows.length === 0 && query.cursor === 0) return fail("noRecordsMatch", "Không có bản ghi nào khớp với yêu cầu.");
  if (rows.length === 0) return fail("badResumptionToken", "resumptionToken không còn dùng được.");
  let size = query.size;
  if (size < 0) {
    const [count] = await selectRows<{ n: number }>(db, sql`select count(*)::int as n from oai_records r where ${filter}`);
    size = count.n;
  }
  const more = rows.length > pageSize;
  const page = more ? rows.slice(0, pageSize) : rows;
  const last = page[page.length - 1];
  const items = verb === "ListRecords" ? page.map((r) => record(r, appUrl)).join("") : page.map(header).join("");
  let tokenEl = "";
  if (more) {
    const next = encodeToken({ ...query, after: [last.datestamp, Number(last.id)], cursor: query.cursor + page.length, size });
    tokenEl = `<resumptionToken completeListSize="${size}" cursor="${query.cursor}">${next}</resumptionToken>`;
  } else if (query.cursor > 0) {
    tokenEl = `<resumptionToken completeListSize="${size}" cursor="${query.cursor}"/>`;
  }
  return echo(`<${verb}>${items}${tokenEl}</${verb}>`);
}
