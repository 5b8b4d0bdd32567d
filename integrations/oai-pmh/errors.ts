/**
 * What can go wrong talking to an OAI-PMH repository, as one typed error. `kind` is either one of
 * the protocol's own error codes (OAI-PMH 2.0 §3.6) or a failure of the exchange itself (a page that
 * is not OAI-PMH, broken XML, an unreachable address, a token that loops). `messageKey` names the
 * Vietnamese/English text in `repositories.error.*`; `providerMessage` is the repository's own words.
 */
import { IntegrationError, type IntegrationErrorCode } from "../errors.ts";

export const OAI_ERROR_CODES = [
  "badArgument",
  "badResumptionToken",
  "badVerb",
  "cannotDisseminateFormat",
  "idDoesNotExist",
  "noRecordsMatch",
  "noMetadataFormats",
  "noSetHierarchy",
] as const;
export type OaiErrorCode = (typeof OAI_ERROR_CODES)[number];

export type OaiFailureKind =
  | OaiErrorCode
  | "unknownOaiError"
  | "notOai"
  | "html"
  | "json"
  | "invalidXml"
  | "badEncoding"
  | "unsupportedEncoding"
  | "unreachable"
  | "httpStatus"
  | "retryLater"
  | "serverError"
  | "loopingToken"
  | "tooManyPages"
  | "badBaseUrl";

const CODE_OF: Partial<Record<OaiFailureKind, IntegrationErrorCode>> = {
  unreachable: "transient",
  serverError: "transient",
  retryLater: "rate_limited",
  idDoesNotExist: "not_found",
  badArgument: "rejected",
  cannotDisseminateFormat: "rejected",
  noSetHierarchy: "rejected",
  noMetadataFormats: "rejected",
  badVerb: "rejected",
};

export class OaiPmhError extends IntegrationError {
  readonly kind: OaiFailureKind;
  constructor(kind: OaiFailureKind, init: { operation: string; providerMessage?: string; status?: number; retryAt?: Date; cause?: unknown }) {
    super({
      code: CODE_OF[kind] ?? "contract",
      provider: "oai-pmh",
      operation: init.operation,
      messageKey: `repositories.error.${kind}`,
      providerCode: kind,
      providerMessage: init.providerMessage,
      status: init.status,
      retryAt: init.retryAt,
      cause: init.cause,
    });
    this.name = "OaiPmhError";
    this.kind = kind;
  }
}

export function isOaiErrorCode(code: string): code is OaiErrorCode {
  return (OAI_ERROR_CODES as readonly string[]).includes(code);
}
