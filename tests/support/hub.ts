/**
 * Start the real hub (the production React Router build behind the real Express front) on a free
 * port, over a fresh database, and talk to it over HTTP like a browser would.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "react-router";
import { createApp } from "../../app/server/http.ts";
import { setLogLevel } from "../../app/server/log.ts";
import { prepareUploads } from "../../app/services/files.server.ts";
import { seedDemo } from "../../db/seed.server.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { freshDatabase, type TestDatabase } from "./db.ts";

export type Hub = {
  url: string;
  database: TestDatabase;
  dataDir: string;
  client: () => Client;
  /** A client already signed in as a demo account. */
  as: (login: string, password?: string) => Promise<Client>;
  /**
   * A client signed in with a temporary password (made by an admin, a teacher or the import) that
   * has taken the first-sign-in step of choosing its own, `newPassword`.
   */
  asWithTemporary: (login: string, temporary: string, newPassword?: string) => Promise<Client>;
  close: () => Promise<void>;
};

export async function loadBuild(): Promise<ServerBuild> {
  const file = path.resolve("build/server/index.js");
  if (!fs.existsSync(file)) throw new Error("No server build: run `npm run build` first (npm test does it).");
  return (await import(pathToFileURL(file).href)) as ServerBuild;
}

/** `trustProxy`: believe that many X-Forwarded-For hops, so a test can speak from several addresses. */
export async function startHub(opts: { seed?: boolean; trustProxy?: number } = {}): Promise<Hub> {
  setLogLevel((process.env.TEST_LOG_LEVEL as "info") ?? "silent");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-test-"));
  process.env.DATA_DIR = dataDir;
  process.env.DEMO = opts.seed === false ? "0" : "1";
  process.env.SECRET_KEY ??= "test-secret-key-test-secret-key-0123456789";
  await prepareUploads(dataDir); // as the server's start-up does
  const database = await freshDatabase();
  if (opts.seed !== false) await seedDemo(database.db);
  const build = await loadBuild();
  const { server } = createApp({ database, build, trustProxy: opts.trustProxy });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const hub: Hub = {
    url,
    database,
    dataDir,
    client: () => new Client(url),
    async as(login, password = DEMO_PASSWORD) {
      const c = new Client(url);
      const res = await c.post("/login", { identifier: login, password });
      if (res.status !== 302) throw new Error(`sign-in as ${login} failed: ${res.status} ${await res.text()}`);
      return c;
    },
    async asWithTemporary(login, temporary, newPassword = "mat-khau-rieng-2025") {
      const c = await hub.as(login, temporary);
      const res = await c.post("/account/password", { password: newPassword, confirm: newPassword });
      if (res.status !== 302) throw new Error(`changing the temporary password of ${login} failed: ${res.status} ${await res.text()}`);
      return c;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return hub;
}

/** A cookie-keeping HTTP client that sends the Origin header a browser would. */
export class Client {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a.trim())) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async get(p: string, headers: Record<string, string> = {}) {
    return this.keep(await fetch(this.base + p, { redirect: "manual", headers: { cookie: this.cookieHeader(), ...headers } }));
  }

  /** POST a form (urlencoded — URLSearchParams for repeated fields — or multipart when `body` is FormData). */
  async post(p: string, body: Record<string, string> | URLSearchParams | FormData, headers: Record<string, string> = {}) {
    const init: RequestInit = {
      method: "POST",
      redirect: "manual",
      headers: { cookie: this.cookieHeader(), origin: this.base, ...headers },
      body: body instanceof FormData || body instanceof URLSearchParams ? body : new URLSearchParams(body),
    };
    return this.keep(await fetch(this.base + p, init));
  }

  /** Loader data as JSON through React Router's single-fetch `.data` endpoint is not needed: read HTML. */
  async html(p: string) {
    const res = await this.get(p);
    return { status: res.status, text: await res.text(), res };
  }
}
