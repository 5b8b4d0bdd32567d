/**
 * The HTTP front (app/server/http.ts) at the protocol level: what goes over the wire, byte for byte,
 * read with node:http so that nothing decompresses or normalises the answer on the way.
 */
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { clientOf, createApp } from "../../app/server/http.ts";
import { loadBuild, startHub, type Hub } from "../support/hub.ts";

let hub: Hub;
let student: string;
beforeAll(async () => {
  hub = await startHub();
  const c = await hub.as("an.nv@nguyendu.lopso.demo");
  student = `lopso_session=${c.cookies.get("lopso_session")}`;
});
afterAll(async () => {
  await hub?.close();
});

type Raw = { status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: Buffer };

function raw(p: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(hub.url + p, { method: opts.method ?? "GET", headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const decode = (r: Raw) =>
  (r.headers["content-encoding"] === "br" ? zlib.brotliDecompressSync(r.body) : r.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(r.body) : r.body).toString("utf8");

describe("pages", () => {
  it("are sent whole, with a Content-Length, brotli-compressed when the browser accepts it", async () => {
    const br = await raw("/today", { headers: { cookie: student, "accept-encoding": "gzip, deflate, br" } });
    expect(br.status).toBe(200);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect(Number(br.headers["content-length"])).toBe(br.body.length);
    expect(br.headers["transfer-encoding"]).toBeUndefined();
    const html = decode(br);
    expect(html).toContain("Chào An!");
    expect(html.length).toBeGreaterThan(br.body.length * 2);

    const gz = await raw("/today", { headers: { cookie: student, "accept-encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(decode(gz)).toContain("Chào An!");

    const plain = await raw("/today", { headers: { cookie: student } });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(Number(plain.headers["content-length"])).toBe(plain.body.length);
    expect(plain.body.toString("utf8")).toContain("Chào An!");
  });

  it("carry exactly one Content-Security-Policy, with the nonce of their own scripts", async () => {
    const r = await raw("/login");
    const policies = r.rawHeaders.filter((_, i) => i % 2 === 0 && r.rawHeaders[i].toLowerCase() === "content-security-policy");
    expect(policies).toHaveLength(1);
    const nonce = /'nonce-([^']+)'/.exec(String(r.headers["content-security-policy"]))?.[1];
    expect(nonce).toBeTruthy();
    expect(r.body.toString("utf8")).toContain(`nonce="${nonce}"`);
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("answer HEAD with the headers and no body", async () => {
    const r = await raw("/login", { method: "HEAD" });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/html/);
    expect(r.body.length).toBe(0);
  });

  it("set the session cookie and a redirect on sign-in, without a body to read", async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(hub.url + "/login", { method: "POST", agent: false, headers: { origin: hub.url, "content-type": "application/x-www-form-urlencoded" } }, resolve);
      req.on("error", reject);
      req.end(new URLSearchParams({ identifier: "an.nv@nguyendu.lopso.demo", password: "lopso2025" }).toString());
    });
    res.resume();
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe("/today");
    expect(res.headers["set-cookie"]?.some((c) => /^lopso_session=[a-z2-7]{32};.*HttpOnly/i.test(c))).toBe(true);
  });
});

describe("client-side navigation data", () => {
  it("is compressed too, and holds the page's data", async () => {
    const r = await raw("/today.data", { headers: { cookie: student, "accept-encoding": "br" } });
    expect(r.status).toBe(200);
    expect(r.headers["content-encoding"]).toBe("br");
    expect(decode(r)).toContain("newLessons");
  });
});

describe("static files", () => {
  it("serve hashed assets as immutable, gzip-compressed, and other files for an hour", async () => {
    const assets = fs.readdirSync(path.resolve("build/client/assets"));
    const js = assets.find((f) => f.endsWith(".js") && fs.statSync(path.resolve("build/client/assets", f)).size > 2048)!;
    const r = await raw(`/assets/${js}`, { headers: { "accept-encoding": "gzip" } });
    expect(r.status).toBe(200);
    expect(r.headers["cache-control"]).toMatch(/immutable/);
    expect(r.headers["content-encoding"]).toBe("gzip");
    expect(zlib.gunzipSync(r.body).equals(fs.readFileSync(path.resolve("build/client/assets", js)))).toBe(true);

    const icon = await raw("/favicon.svg");
    expect(icon.status).toBe(200);
    expect(icon.headers["cache-control"]).toBe("public, max-age=3600");
    expect(icon.headers["content-security-policy"]).toMatch(/default-src 'self'/);
  });

  it("answer a missing file with the hub's own 404 page, and never leave the folder", async () => {
    const missing = await raw("/assets/nope-123.js");
    expect(missing.status).toBe(404);
    expect(missing.body.toString("utf8")).toContain("Không tìm thấy");
    const traversal = await raw("/assets/..%2f..%2fpackage.json");
    expect(traversal.status).not.toBe(200);
    expect(traversal.body.toString("utf8")).not.toContain('"name": "lop-so"');
  });
});

describe("requests", () => {
  it("get the server's own request id, whatever the client sends", async () => {
    const r = await raw("/healthz", { headers: { "x-request-id": "chosen-by-client" } });
    expect(r.status).toBe(200);
    expect(r.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers["cache-control"]).toBe("no-store");
  });

  it("in absolute form are refused with 400; a malformed Host does not make a 500", async () => {
    const port = new URL(hub.url).port;
    const answer = (request: string) =>
      new Promise<string>((resolve, reject) => {
        // Written, not half-closed: "Connection: close" has the server end the exchange once it has answered.
        const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(request));
        let text = "";
        socket.on("data", (d) => (text += d.toString("latin1")));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
    expect(await answer("GET http://evil.example/login HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")).toMatch(/^HTTP\/1\.1 400/);
    expect(await answer("GET /login HTTP/1.1\r\nHost: a b@c\r\nConnection: close\r\n\r\n")).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe("a graceful stop", () => {
  it("waits for a request whose client hung up before the database may close", async () => {
    const app = createApp({ database: hub.database, build: await loadBuild() });
    await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
    // Hold the sessions table: the page's session lookup waits until the transaction ends.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = hub.database.db.transaction(async (tx) => {
      await tx.execute(sql`lock table sessions in access exclusive mode`);
      locked();
      await held;
    });
    await isLocked;
    try {
      const req = http.get(`${url}/today`, { headers: { cookie: student }, agent: false });
      req.on("error", () => {});
      for (let i = 0; app.inFlight() === 0 && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
      expect(app.inFlight()).toBe(1);
      req.destroy(); // the client hangs up
      await new Promise((resolve) => app.server.close(resolve)); // no connection left…
      expect(app.inFlight()).toBe(1); // …but the request is still being handled
      let drained = false;
      const draining = app.drained().then(() => (drained = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(drained).toBe(false);
      release();
      await holder;
      await draining;
      expect(app.inFlight()).toBe(0);
      expect(await app.drained()).toBeUndefined(); // at once when idle
    } finally {
      release();
      await holder.catch(() => {});
    }
  });
});

describe("clientOf: the address behind proxies", () => {
  const socket = { remoteAddress: "10.0.0.2" };
  const headers = { host: "lopso.example", "x-forwarded-for": "203.0.113.7, 198.51.100.1", "x-forwarded-proto": "https", "x-forwarded-host": "hoc.lopso.vn" };
  it("believes nothing forwarded by default", () => {
    expect(clientOf(socket, headers, 0)).toEqual({ ip: "10.0.0.2", proto: "http", host: "lopso.example" });
  });
  it("steps back one address per trusted proxy, and takes their scheme and host", () => {
    expect(clientOf(socket, headers, 1)).toEqual({ ip: "198.51.100.1", proto: "https", host: "hoc.lopso.vn" });
    expect(clientOf(socket, headers, 2)).toEqual({ ip: "203.0.113.7", proto: "https", host: "hoc.lopso.vn" });
    expect(clientOf(socket, headers, 5).ip).toBe("203.0.113.7");
  });
  it("falls back to the connection when a proxy sends nothing", () => {
    expect(clientOf({ remoteAddress: "10.0.0.2", encrypted: true }, { host: "lopso.example" }, 1)).toEqual({ ip: "10.0.0.2", proto: "https", host: "lopso.example" });
  });
});
