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

/**
 * What a teacher's delegated sign-in grants (Teams online meetings need a signed-in user):
 * `offline_access` for a refresh token — without it the grant works for one hour only.
 */
export const GRAPH_DELEGATED_SCOPES = ["openid", "profile", "email", "offline_access", "User.Read", "OnlineMeetings.ReadWrite", "OnlineMeetingArtifact.Read.All"];
