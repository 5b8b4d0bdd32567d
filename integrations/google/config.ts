/** Where Google's endpoints are; both overridable so tests and demos can point at a local fake. */
export type GoogleConfig = {
  /** The OpenID issuer, discovered at `/.well-known/openid-configuration`. */
  issuer: string;
  /** One root for every Google API (a fake serves them all); unset: each API's own root. */
  apiRoot?: string;
};

export const GOOGLE_DEFAULTS: GoogleConfig = { issuer: "https://accounts.google.com" };

export const CLASSROOM_ROOT = "https://classroom.googleapis.com/";
export const MEET_ROOT = "https://meet.googleapis.com/";
export const FORMS_ROOT = "https://forms.googleapis.com/";

const AUTH = "https://www.googleapis.com/auth/";

/** Signing in: who the person is, nothing more. */
export const GOOGLE_SIGN_IN_SCOPES = ["openid", "email", "profile"];

/**
 * What a school's Workspace admin grants the hub, each for a capability that uses it (the page
 * explains each in plain words under `connections.googleScope.<name>`).
 */
export const GOOGLE_SCHOOL_SCOPES = [
  { name: "courses", scope: `${AUTH}classroom.courses.readonly` },
  { name: "rosters", scope: `${AUTH}classroom.rosters.readonly` },
  { name: "emails", scope: `${AUTH}classroom.profile.emails` },
  { name: "coursework", scope: `${AUTH}classroom.coursework.students` },
  { name: "materials", scope: `${AUTH}classroom.courseworkmaterials` },
  { name: "guardians", scope: `${AUTH}classroom.guardianlinks.students.readonly` },
  { name: "meetSpaces", scope: `${AUTH}meetings.space.created` },
  { name: "meetRecords", scope: `${AUTH}meetings.space.readonly` },
  { name: "formsBody", scope: `${AUTH}forms.body.readonly` },
  { name: "formsResponses", scope: `${AUTH}forms.responses.readonly` },
] as const;

/** What reading a Forms quiz and its responses needs: both, or the hub asks for them again. */
export const GOOGLE_FORMS_SCOPES: readonly string[] = [`${AUTH}forms.body.readonly`, `${AUTH}forms.responses.readonly`];

export type GoogleScopeName = (typeof GOOGLE_SCHOOL_SCOPES)[number]["name"];
