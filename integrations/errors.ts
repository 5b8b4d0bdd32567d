/**
 * The one error every provider call ends in. Jobs and pages decide from `code` alone: retry
 * later (`transient`), wait until `retryAt` (`rate_limited`), mark the connection
 * (`reauth_required`), reconcile before retrying (`ambiguous_write`), or record and skip.
 * `messageKey` is an i18n key for what the person reads; `providerMessage` is the provider's own
 * words (never a secret), shown beside it.
 */
export const INTEGRATION_ERROR_CODES = [
  "not_connected",
  "reauth_required",
  "rate_limited",
  "transient",
  "rejected",
  "not_found",
  "ambiguous_write",
  "contract",
] as const;
export type IntegrationErrorCode = (typeof INTEGRATION_ERROR_CODES)[number];

export type RateBudgetKind = "burst" | "per_user_day" | "per_account_day";

export class IntegrationError extends Error {
  readonly code: IntegrationErrorCode;
  readonly provider: string;
  readonly operation: string;
  readonly retryable: boolean;
  readonly messageKey: string;
  /** HTTP status of the provider's answer, when there was one. */
  readonly status?: number;
  /** The provider's own error code (`invalid_grant`, `PERMISSION_DENIED`, Zoom's 124…). */
  readonly providerCode?: string;
  readonly providerMessage?: string;
  /** For `rate_limited`: when to try again, and which budget was spent. */
  readonly retryAt?: Date;
  readonly budget?: RateBudgetKind;

  constructor(init: {
    code: IntegrationErrorCode;
    provider: string;
    operation: string;
    message?: string;
    messageKey?: string;
    status?: number;
    providerCode?: string;
    providerMessage?: string;
    retryAt?: Date;
    budget?: RateBudgetKind;
    cause?: unknown;
  }) {
    super(init.message ?? `${init.provider} ${init.operation}: ${init.code}${init.providerMessage ? ` — ${init.providerMessage}` : ""}`, {
      cause: init.cause,
    });
    this.name = "IntegrationError";
    this.code = init.code;
    this.provider = init.provider;
    this.operation = init.operation;
    this.retryable = init.code === "transient" || init.code === "rate_limited";
    this.messageKey = init.messageKey ?? `integrationError.${init.code}`;
    this.status = init.status;
    this.providerCode = init.providerCode;
    this.providerMessage = init.providerMessage;
    this.retryAt = init.retryAt;
    this.budget = init.budget;
  }
}

export function isIntegrationError(e: unknown): e is IntegrationError {
  return e instanceof IntegrationError;
}
