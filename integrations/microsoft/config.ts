/** Where Microsoft's endpoints are; both overridable so tests and demos can point at a local fake. */
export type MicrosoftConfig = {
  /** Entra ID's authority host, e.g. https://login.microsoftonline.com */
  loginUrl: string;
  /** Graph's versioned base, e.g. https://graph.microsoft.com/v1.0 */
  graphUrl: string;
};

export const MICROSOFT_DEFAULTS: MicrosoftConfig = {
  loginUrl: "https://login.microsoftonline.com",
  graphUrl: "https://graph.microsoft.com/v1.0",
};

/** The application permissions a school's Entra ID app is asked to hold (admin consent). */
export const GRAPH_APP_SCOPE = "https://graph.microsoft.com/.default";
