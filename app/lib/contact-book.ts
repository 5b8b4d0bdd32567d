/** Limits of the contact book's forms, shared by the pages and the services. */

/** The longest message, in characters: a contact-book note is a note, not an essay. */
export const MAX_MESSAGE_CHARS = 4000;
/** The longest announcement text, in characters. */
export const MAX_ANNOUNCEMENT_CHARS = 4000;
