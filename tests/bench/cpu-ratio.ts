/**
 * `npx tsx tests/bench/cpu-ratio.ts`: what one page costs the server in CPU, as a multiple of the
 * sign-in page's cost (no session, no database), measured in alternating rounds on one server.
 * The ratio moves far less with the host's speed than requests/s do, so it can be read while the
 * machine is busy. BENCH_PAGE (default gradebook), BENCH_ROUNDS (4), BENCH_DURATION (5 s),
 * BENCH_CONNECTIONS (4).
 */
import { clearSignInThrottle, ensureGenerated, openTarget, PAGE_IDS, pagesFor, pickAccounts, postgresTarget } from "./dataset.ts";
import { checkPage, ensureBuild, loadPage, processTreeCpuMs, signIn, startServer } from "./server.ts";

const pageId = (process.env.BENCH_PAGE ?? "gradebook") as (typeof PAGE_IDS)[number];
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const duration = Number(process.env.BENCH_DURATION ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 4);
const students = Number(process.env.BENCH_STUDENTS ?? 1_000_000);

ensureBuild();
const target = postgresTarget(students, process.env.BENCH_DATABASE_URL);
await ensureGenerated(target, (l) => console.log(l));
const database = await openTarget(target);
const accounts = await pickAccounts(database, students);
await clearSignInThrottle(database);
await database.close();
const pages = pagesFor(accounts);
const ref = pages.find((p) => p.id === "login")!;
const page = pages.find((p) => p.id === pageId)!;
const server = await startServer(target);
try {
  const headers: Record<string, string> = { "accept-encoding": "gzip, deflate, br" };
  if (page.login) headers.cookie = await signIn(server.origin, page.login, accounts.password);
  await checkPage(server.origin, page, headers);
  const size = (await (await fetch(server.origin + page.path, { headers: { cookie: headers.cookie ?? "" } })).text()).length;
  console.log(`${page.name}: ${size} bytes of HTML`);
  const measure = async (p: typeof page, h: Record<string, string>) => {
    const before = processTreeCpuMs(server.child.pid!);
    const { result } = await loadPage(server.origin + p.path, h, connections, duration);
    const cpu = processTreeCpuMs(server.child.pid!) - before;
    return cpu / result.requests.total;
  };
  await measure(page, headers);
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const refMs = await measure(ref, { "accept-encoding": "gzip, deflate, br" });
    const pageMs = await measure(page, headers);
    ratios.push(pageMs / refMs);
    console.log(`round ${r + 1}: reference ${refMs.toFixed(2)} ms/req, ${page.id} ${pageMs.toFixed(2)} ms/req, ×${(pageMs / refMs).toFixed(2)}`);
  }
  ratios.sort((a, b) => a - b);
  console.log(`median ×${ratios[Math.floor(ratios.length / 2)].toFixed(2)}`);
} finally {
  await server.stop();
}
