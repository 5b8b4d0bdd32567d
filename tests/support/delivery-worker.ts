/**
 * A delivery worker in a process of its own, for the crash tests: opens the database
 * (DATABASE_URL, or the embedded one in DELIVERY_PGLITE_DIR), drains the email channel through
 * SMTP_URL once, prints the result as JSON and exits. DELIVERY_CONCURRENCY sets the sends in
 * flight; NOTIFY_TEST_CRASH_AFTER_SEND is the delivery's own test-only crash point.
 */
import { migrate, openDatabase } from "../../db/client.server.ts";
import { closeChannels } from "../../app/services/notify/channels.server.ts";
import { drainChannel } from "../../app/services/notify/delivery.server.ts";

const database = process.env.DATABASE_URL
  ? await openDatabase({ url: process.env.DATABASE_URL, max: 4 })
  : await openDatabase({ dataDir: process.env.DELIVERY_PGLITE_DIR! });
await migrate(database);
const result = await drainChannel(database, "email", {
  concurrency: Number(process.env.DELIVERY_CONCURRENCY ?? 4),
  batchSize: Number(process.env.DELIVERY_BATCH ?? 50),
  baseUrl: "https://lopso.test",
  secretKey: process.env.SECRET_KEY,
});
process.stdout.write(JSON.stringify(result) + "\n");
await closeChannels();
await database.close();
