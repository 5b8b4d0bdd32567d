/**
 * A local SMTP sink for the delivery benchmark: accepts every message and throws its body away.
 * Prints `PORT <n>` once listening and `COUNT <n>` every second; runs in a process of its own so
 * its parsing does not share the delivery's CPU thread.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

let count = 0;
const server = new SMTPServer({
  disabledCommands: ["STARTTLS", "AUTH"],
  authOptional: true,
  logger: false,
  maxClients: 200,
  onData(stream, _session, callback) {
    stream.on("end", () => {
      count++;
      callback(null, `OK: queued as S${count}`);
    });
    stream.resume();
  },
});
server.on("error", () => {});
server.listen(Number(process.env.SINK_PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`PORT ${(server.server.address() as AddressInfo).port}\n`);
});
setInterval(() => process.stdout.write(`COUNT ${count}\n`), 1000).unref();
process.on("SIGTERM", () => server.close(() => process.exit(0)));
