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

/** A reply other than "250 OK" to one RCPT TO (a provider refusing or deferring a recipient). */
export type SmtpReply = { code: number; message: string };

/** `opts.rcpt`: called for each recipient; a reply refuses it with that code (none: accepted). */
export async function listenSmtp(opts: { rcpt?: (address: string) => SmtpReply | undefined } = {}): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    logger: false,
    closeTimeout: 1000,
    onRcptTo(address, _session, callback) {
      const reply = opts.rcpt?.(address.address);
      callback(reply ? Object.assign(new Error(reply.message), { responseCode: reply.code }) : undefined);
    },
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
  // A client that dies mid-session (a killed worker) resets its connection: not the server's failure.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}/?ignoreTLS=true`;
  process.env.MAIL_FROM = "Lớp Số <no-reply@lopso.test>";
  return { received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
