/**
 * Provider-neutral ports. Everything outside `integrations/` talks to outside systems through
 * these shapes only; each folder under `integrations/` implements one of them for one system.
 * Nothing here imports from `app/` or `db/`.
 */

/** One message to one person, rendered for the channel it goes out on. */
export type OutgoingMessage = {
  /** Email address, phone number in E.164 (+84…), or a Web Push subscription. */
  to: string | PushTarget;
  locale: "vi" | "en";
  /** Email subject, push title. */
  subject: string;
  /** Plain text: the email's text part, the SMS, the push body. */
  text: string;
  /** The email's HTML part (from the same template as `text`). */
  html?: string;
  /** Absolute address of the page the message is about. */
  link?: string;
  /** One-click unsubscribe address for this recipient and kind (RFC 8058). */
  unsubscribeUrl?: string;
  /** Zalo ZNS: the approved template and its parameters. */
  template?: { id: string; params: Record<string, string> };
};

export type PushTarget = { endpoint: string; keys: { p256dh: string; auth: string } };

/** What became of one send. */
export type SendResult =
  | { outcome: "sent"; providerMessageId?: string }
  | { outcome: "retry"; reason: string; retryAt?: Date }
  | { outcome: "failed"; reason: string; message?: string; disableAddress: boolean };

/**
 * Delivers one message to one recipient. The idempotency key becomes the email Message-ID,
 * Zalo's tracking_id, the SMS request id and the push Topic, so a resend after a crash is
 * recognisable (and, where the channel deduplicates, not shown twice).
 */
export interface Channel {
  readonly name: "email" | "push" | "zalo" | "sms";
  send(message: OutgoingMessage, idempotencyKey: string): Promise<SendResult>;
  verify?(): Promise<void>;
  close?(): Promise<void>;
}
