import { z } from "zod";

/**
 * One rule for every password a person chooses (account page, admin forms, CSV import) and for
 * what sign-in accepts: a password that could be set can always be typed to sign in.
 */
export const PASSWORD_LENGTH = { min: 8, max: 128 } as const;

export const PasswordSchema = z.string().min(PASSWORD_LENGTH.min, "errors.password_short").max(PASSWORD_LENGTH.max, "errors.password_long");

/** The page a person with a temporary password is sent to until they choose their own. */
export const CHANGE_PASSWORD_PATH = "/account/password";
