/**
 * A real SMTP server for tests (smtp-server, STARTTLS and AUTH off), whose messages are parsed
 * with mailparser and kept in `received` with their envelope recipients. `listen()` points the
 * hub's SMTP_URL and MAIL_FROM at it; the client is told to ignore TLS in the URL.
 */
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export type ReceivedMail = { envelopeTo: string[]; mail: ParsedMail };

export type TestSmtp = { received: ReceivedMail[]; close: () => Promise<void> };

export async function listenSmtp(): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    logger: false,
    closeTimeout: 1000,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        },
        (e: Error) => callback(e),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}/?ignoreTLS=true`;
  process.env.MAIL_FROM = "Lớp Số <no-reply@lopso.test>";
  return { received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
