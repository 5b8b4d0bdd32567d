/** Limits of the contact book's forms, shared by the pages and the services, and how its times read. */
import { formatDateTime } from "./vn.ts";

/** The longest message, in characters: a contact-book note is a note, not an essay. */
export const MAX_MESSAGE_CHARS = 4000;
/** The longest announcement text, in characters. */
export const MAX_ANNOUNCEMENT_CHARS = 4000;

/** A message's time as the contact book shows it: "dd/MM HH:mm", Vietnam time. */
export function messageTime(value: Date | string): string {
  const [hm, dmy] = formatDateTime(value).split(" "); // "HH:mm dd/MM/yyyy"
  return `${dmy.slice(0, 5)} ${hm}`;
}
