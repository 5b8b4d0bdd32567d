/** Where Zoom's endpoints are; both overridable so tests and demos can point at a local fake. */
export type ZoomConfig = {
  /** The OAuth host, e.g. https://zoom.us (token at /oauth/token). */
  oauthUrl: string;
  /** The REST base, e.g. https://api.zoom.us/v2 */
  apiUrl: string;
};

export const ZOOM_DEFAULTS: ZoomConfig = { oauthUrl: "https://zoom.us", apiUrl: "https://api.zoom.us/v2" };

/** A Server-to-Server OAuth app of one Zoom account. */
export type ZoomCredentials = { accountId: string; clientId: string; clientSecret: string };

/** A user-managed OAuth app's endpoints (a teacher's own Zoom account). */
export function zoomUserEndpoints(cfg: ZoomConfig) {
  const base = cfg.oauthUrl.replace(/\/$/, "");
  return { authorization_endpoint: `${base}/oauth/authorize`, token_endpoint: `${base}/oauth/token`, revocation_endpoint: `${base}/oauth/revoke` };
}
