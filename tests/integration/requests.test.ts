/**
 * Odd requests the probe sent, against the real server: a Host the URL parser refuses, sign-in
 * and language redirects to non-ASCII paths, malformed ids in URLs and forms (walked over the
 * whole route table, every role, GET, `.data` and POST), stored precision of points and scores,
 * caching of personal pages, and signing out whatever the body. None may answer 5xx.
 */
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, sessions, submissions } from "../../db/schema/index.ts";
import { toLocalDateTimeInput } from "../../app/lib/vn.ts";
import { clientOf, safeHost } from "../../app/server/http.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { loadBuild, startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
const ids: Record<string, string> = {};
const clients: Record<string, Client> = {};
const LOGINS = {
  province: "so@lopso.demo",
  schoolAdmin: "hieutruong@nguyendu.lopso.demo",
  lan: "lan.nt@nguyendu.lopso.demo",
  an: "an.nv@nguyendu.lopso.demo",
  hung: "0912345678",
} as const;

beforeAll(async () => {
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  ids.classId = await find.class("6A1", "toan");
  ids.lessonId = await find.lesson("Bài 1. Tập hợp");
  ids.assignmentId = await find.assignment("Luyện tập: Số La Mã");
  ids.studentId = await find.user(LOGINS.an);
  ids.schoolId = await find.school("79001");
  ids.attachmentId = "5f0c8e4e-8d1b-4a57-9f1e-3c2b1a0d9e8f"; // well formed, names nothing
  for (const [who, login] of Object.entries(LOGINS)) clients[who] = await hub.as(login);
  clients.anon = hub.client();
});

afterAll(async () => {
  await hub?.close();
});

/** A GET with a Host header of our choosing (fetch will not send one). */
function getWithHost(host: string, p = "/login"): Promise<{ status: number; location?: string }> {
  const url = new URL(hub.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: url.hostname, port: url.port, path: p, method: "GET", agent: false, headers: { host } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Host header", () => {
  it.each(["127.0.0.1:99999", "127.0.0.1:0", "localhost:65536", "[::1]:70000", "exa mple.vn", "a_b.vn", "ví.vn", "x".repeat(300), "[zz::1]", "-"])(
    "a Host the URL parser refuses (%j) is not a 500",
    async (host) => {
      const res = await getWithHost(host);
      expect(res.status).toBe(200);
      const home = await getWithHost(host, "/today");
      expect(home.status).toBe(302);
      expect(home.location).toMatch(/^\/login\?next=/);
    },
  );

  it("safeHost keeps what a URL can carry and replaces the rest; a forwarded scheme is http or https", () => {
    for (const ok of ["lopso.example.vn", "127.0.0.1:3000", "[::1]:8080", "hoc.lopso.vn:65535", "localhost"]) expect(safeHost(ok)).toBe(ok);
    for (const bad of [undefined, "", "127.0.0.1:99999", "a:0", "a:65536", "a b", "a/b", "a@b", "[::1", "x".repeat(256)]) expect(safeHost(bad)).toBe("localhost");
    const socket = { remoteAddress: "10.0.0.2" };
    expect(clientOf(socket, { host: "a.vn", "x-forwarded-proto": "javascript" }, 1).proto).toBe("http");
    expect(clientOf(socket, { host: "a.vn", "x-forwarded-proto": "HTTPS" }, 1).proto).toBe("https");
  });

  it("a proper Host with a port still works", async () => {
    expect((await getWithHost(new URL(hub.url).host)).status).toBe(200);
    expect((await getWithHost("hoc.lopso.vn:8443")).status).toBe(200);
  });
});

describe("redirects to non-ASCII paths", () => {
  it("signing in with next=/Đ (from /login?next=/%C4%90) redirects to the encoded path", async () => {
    const page = await hub.client().get("/login?next=/%C4%90");
    expect(page.status).toBe(200);
    // The sign-in form's own "next" (the language switcher carries one too: the page's address).
    const next = [...(await page.text()).matchAll(/name="next" value="([^"]*)"/g)].map((m) => m[1]).find((v) => !v.startsWith("/login"));
    expect(next).toBe("/%C4%90");
    const c = hub.client();
    const res = await c.post("/login", { identifier: LOGINS.an, password: "lopso2025", next: next! });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/%C4%90");
    expect(res.headers.getSetCookie().some((x) => x.startsWith("lopso_session="))).toBe(true);
  });

  it.each([
    ["/Đ", "/%C4%90"],
    ["/%C4%90", "/%C4%90"],
    ["/lớp 6?tìm=toán#đầu", "/l%E1%BB%9Bp%206?t%C3%ACm=to%C3%A1n#%C4%91%E1%BA%A7u"],
    ["/a%zz", "/a%25zz"],
    ["/today", "/today"],
  ])("POST /lang with next=%j redirects to %j", async (next, location) => {
    const res = await clients.an.post("/lang", { lang: "vi", next });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(location);
  });
});

describe("malformed ids", () => {
  it("remove-file with a non-UUID attachment id is a 404, not a database error", async () => {
    const res = await clients.lan.post(`/classes/${ids.classId}/lessons/${ids.lessonId}/edit`, { intent: "remove-file", attachmentId: "not-a-uuid" });
    expect(res.status).toBe(404);
    expect(htmlText(await res.text())).toContain("Không tìm thấy trang");
  });

  it("a malformed id in the URL is a 404 inside the frame, before any loader runs", async () => {
    const res = await clients.lan.get(`/classes/${ids.classId}/lessons/abc/edit`);
    expect(res.status).toBe(404);
    expect(htmlText(await res.text())).toContain("Không tìm thấy trang");
    expect((await clients.anon.get("/classes/abc")).status).toBe(404);
  });
});

/** Every route's full path from the production build's route table (parents' paths joined). */
async function routePaths(): Promise<string[]> {
  const build = await loadBuild();
  const routes = build.routes as Record<string, { id: string; parentId?: string; path?: string }>;
  const full = (id: string): string => {
    const r = routes[id];
    const own = r.path ?? "";
    const parent = r.parentId ? full(r.parentId) : "";
    return [parent, own].filter(Boolean).join("/").replace(/\/+/g, "/");
  };
  return [...new Set(Object.keys(routes).map((id) => "/" + full(id).replace(/^\//, "")))].sort();
}

/** Path segments a probe puts where an id belongs. */
const BAD_SEGMENTS = [
  "not-a-uuid",
  "x".repeat(4000),
  "%00",
  "%C4%90",
  "..",
  "%2e%2e",
  "%2F",
  "%ZZ",
  "%ED%A0%80",
  encodeURIComponent("Đức-😀"),
  "00000000-0000-0000-0000-00000000000g",
  "00000000-0000-0000-0000-000000000000",
  "1%27%20or%20%271%27%3D%271",
];
/** Form values a probe puts where an id belongs. */
const BAD_FIELDS = ["not-a-uuid", "Đ", "x".repeat(300), "1' or '1'='1", "00000000-0000-0000-0000-000000000000"];
const INTENTS = ["remove-file", "publish", "unpublish", "link-code", "new-code", "draft"];

function fill(pattern: string, values: Record<string, string>) {
  return pattern.replace(/:(\w+)\??/g, (_m, name: string) => values[name] ?? ids[name] ?? "00000000-0000-4000-8000-000000000000");
}

describe("route table fuzz: no 5xx for malformed ids and odd paths", async () => {
  const patterns = await routePaths();
  const WHO = ["anon", ...Object.keys(LOGINS)];

  it("walks every route of the build (sanity: the table is the app's)", () => {
    expect(patterns).toContain("/classes/:classId/lessons/:lessonId/edit");
    expect(patterns).toContain("/files/:attachmentId");
    expect(patterns.length).toBeGreaterThan(20);
  });

  for (const pattern of patterns) {
    it(`${pattern}`, async () => {
      const params = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const paths = new Set<string>([fill(pattern, {})]);
      for (const bad of BAD_SEGMENTS) {
        for (const p of params) paths.add(fill(pattern, { [p]: bad }));
        if (params.length > 1) paths.add(fill(pattern, Object.fromEntries(params.map((p) => [p, bad]))));
        if (params.length === 0) paths.add(`${pattern === "/" ? "" : pattern}/${bad}`);
      }
      const failures: string[] = [];
      const check = (what: string, res: Response) => {
        if (res.status >= 500) failures.push(`${res.status} ${what}`);
      };
      for (const who of WHO) {
        const c = clients[who];
        for (const p of paths) {
          check(`${who} GET ${p.slice(0, 120)}`, await c.get(p));
          check(`${who} GET ${p.slice(0, 120)}.data`, await c.get(`${p === "/" ? "/_root" : p}.data`));
          // Signing out is tested on its own; here it would end the session the walk uses.
          if (pattern === "/logout" && who !== "anon") continue;
          check(`${who} POST ${p.slice(0, 120)}`, await c.post(p, { intent: "x", next: "/Đ" }));
        }
        // The route's forms with a malformed id in each field that names a row.
        if (pattern === "/logout" && who !== "anon") continue;
        const real = fill(pattern, {});
        for (const intent of INTENTS) {
          for (const bad of BAD_FIELDS) {
            const body = { intent, lessonId: bad, attachmentId: bad, studentId: bad, teacherId: bad, code: bad, next: bad, lang: "vi", score: "9", level: "HT" };
            check(`${who} POST ${real} ${intent}=${bad.slice(0, 40)}`, await c.post(real, body));
          }
        }
      }
      expect(failures).toEqual([]);
    }, 120_000);
  }
});

describe("points and scores as the columns store them", () => {
  const dueAt = () => toLocalDateTimeInput(new Date(Date.now() + 3 * 86_400_000));
  const create = (maxPoints: string, title = `Bài điểm ${maxPoints}`) =>
    clients.lan.post(`/classes/${ids.classId}/assignments/new`, { title, instructionsMd: "", dueAt: dueAt(), scale: "points", maxPoints });

  it.each([
    ["0.001", "Điểm tối đa lấy nhiều nhất hai chữ số thập phân"],
    ["0.004", "Điểm tối đa lấy nhiều nhất hai chữ số thập phân"],
    ["12.345", "Điểm tối đa lấy nhiều nhất hai chữ số thập phân"],
    ["1e-3", "Điểm tối đa lấy nhiều nhất hai chữ số thập phân"],
    ["0", "Điểm tối đa phải là số dương"],
  ])("maxPoints=%s is refused (%s) and nothing is stored", async (maxPoints, message) => {
    const [before] = await hub.database.db.select({ n: sql<number>`count(*)::int` }).from(assignments);
    const res = await create(maxPoints);
    expect(res.status).toBe(400);
    expect(htmlText(await res.text())).toContain(message);
    const [after] = await hub.database.db.select({ n: sql<number>`count(*)::int` }).from(assignments);
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("maxPoints=0.01 and 12.25 are stored as typed, and a score takes two decimals at most", async () => {
    const small = await create("0.01");
    expect(small.status).toBe(302);
    const res = await create("12.25", "Bài điểm lẻ");
    expect(res.status).toBe(302);
    const assignmentId = /\/assignments\/([0-9a-f-]{36})\//.exec(res.headers.get("location") ?? "")![1];
    const [a] = await hub.database.db.select({ maxPoints: assignments.maxPoints }).from(assignments).where(eq(assignments.id, assignmentId));
    expect(a.maxPoints).toBe("12.25");

    const grade = (score: string) => clients.lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.studentId, score });
    const stored = async () =>
      (
        await hub.database.db
          .select({ score: submissions.score })
          .from(submissions)
          .where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, ids.studentId)))
      )[0]?.score;
    for (const score of ["3,333", "3.005", "0.001"]) {
      const refused = await grade(score);
      expect(refused.status, score).toBe(400);
      expect(htmlText(await refused.text())).toContain("Điểm chỉ lấy nhiều nhất hai chữ số thập phân");
      expect(await stored()).toBeUndefined();
    }
    const ok = await grade("3,33");
    expect(ok.status).toBe(200);
    expect(htmlText(await ok.text())).toContain("Đã lưu điểm: 3,33/12,25");
    expect(await stored()).toBe("3.33");
    const page = await clients.an.get(`/assignments/${assignmentId}`);
    expect(htmlText(await page.text())).toContain("3,33/12,25");
  });
});

describe("caching of personal pages", () => {
  it("documents, .data and redirects that set cookies are no-store; static files keep their caching", async () => {
    for (const [who, p] of [
      ["an", "/today"],
      ["an", "/today.data"],
      ["hung", `/children/${ids.studentId}`],
      ["hung", `/children/${ids.studentId}.data`],
      ["lan", `/assignments/${ids.assignmentId}/submissions`],
      ["anon", "/login"],
      ["anon", "/today"],
      ["an", "/khong-co-trang-nay"],
    ] as const) {
      const res = await clients[who].get(p);
      expect(res.headers.get("cache-control"), `${who} ${p} (${res.status})`).toBe("no-store");
    }
    const signIn = await hub.client().post("/login", { identifier: LOGINS.an, password: "lopso2025" });
    expect(signIn.status).toBe(302);
    expect(signIn.headers.getSetCookie().length).toBeGreaterThan(0);
    expect(signIn.headers.get("cache-control")).toBe("no-store");

    const favicon = await hub.client().get("/favicon.svg");
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get("cache-control")).toMatch(/max-age=3600/);
    const asset = fs.readdirSync(path.resolve("build/client/assets")).find((f) => f.endsWith(".js"))!;
    const script = await hub.client().get(`/assets/${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get("cache-control")).toMatch(/immutable/);
  });

  it("after signing out, the page seen before was not stored, and asking again leads to sign-in", async () => {
    // A browser keeps the signed-in page only if its response allows it; Back then shows it.
    const c = await hub.as(LOGINS.an);
    const before = await c.get("/today");
    expect(before.status).toBe(200);
    expect(htmlText(await before.text())).toContain("Nguyễn Văn An");
    const oldCookies = new Map(c.cookies);
    const out = await c.post("/logout", {});
    expect(out.status).toBe(302);
    expect(out.headers.get("cache-control")).toBe("no-store");
    expect(before.headers.get("cache-control")).toBe("no-store");
    // Back after sign-out asks the server again, with whatever cookie the browser still has.
    for (const cookies of [c.cookies, oldCookies]) {
      const again = await fetch(hub.url + "/today", { redirect: "manual", headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") } });
      expect(again.status).toBe(302);
      expect(again.headers.get("location")).toMatch(/^\/login/);
    }
  });
});

describe("signing out whatever the body", () => {
  const sessionCount = async (userId: string) =>
    Number((await hub.database.db.select({ n: sql<number>`count(*)::int` }).from(sessions).where(eq(sessions.userId, userId)))[0].n);
  const cookieOf = (c: Client) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");

  it.each([
    ["no body and no Content-Type", {}, undefined],
    ["JSON", { "content-type": "application/json" }, JSON.stringify({ everywhere: "1" })],
    ["plain text", { "content-type": "text/plain" }, "everywhere=1"],
    ["a multipart body without its boundary", { "content-type": "multipart/form-data" }, "--x\r\n"],
    ["a broken multipart body", { "content-type": "multipart/form-data; boundary=zzz" }, "--zzz\r\nContent-Disposition: form-data; name=\"everywhere\"\r\n\r\n1"],
    ["a form far too large for a sign-out", { "content-type": "application/x-www-form-urlencoded" }, `everywhere=1&pad=${"x".repeat(200_000)}`],
  ] as [string, Record<string, string>, string | undefined][])("%s: 302 to the sign-in page, this device's session ends", async (_what, headers, body) => {
    const userId = ids.studentId;
    const other = await hub.as(LOGINS.an);
    const c = await hub.as(LOGINS.an);
    const sessionsBefore = await sessionCount(userId);
    const res = await fetch(hub.url + "/logout", { method: "POST", redirect: "manual", headers: { origin: hub.url, cookie: cookieOf(c), ...headers }, body });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?signedout=1");
    expect(res.headers.getSetCookie().some((x) => /^lopso_session=;/.test(x) || /^lopso_session=.*max-age=0/i.test(x))).toBe(true);
    expect(await sessionCount(userId)).toBe(sessionsBefore - 1);
    expect((await c.get("/today")).status).toBe(302);
    // Only a readable form may sign out everywhere: the other device stays signed in.
    expect((await other.get("/today")).status).toBe(200);
  });

  it("a readable form with everywhere=1 still ends every session of the person", async () => {
    const other = await hub.as(LOGINS.hung);
    const c = await hub.as(LOGINS.hung);
    const res = await c.post("/logout", { everywhere: "1" });
    expect(res.status).toBe(302);
    expect((await other.get("/children")).status).toBe(302);
    expect((await c.get("/children")).status).toBe(302);
  });
});
