/** A benchmark's own database, dropped and made afresh; refused unless its name says "bench". */
import postgres from "postgres";

export async function freshBenchDatabase(url: string) {
  const name = new URL(url).pathname.slice(1);
  if (!/bench/.test(name)) throw new Error(`refusing to drop ${name}: the database must have "bench" in its name`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const q = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  await q.unsafe(`drop database if exists ${name} with (force)`);
  await q.unsafe(`create database ${name}`);
  await q.end();
}
