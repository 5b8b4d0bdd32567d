/**
 * The Creative Commons licences a teacher may share a lesson or a file under (version 4.0, and
 * CC0 1.0), with their official deed URLs. Names and explanations are messages (`oai.licence.*`).
 */
export const LICENCES = [
  { id: "CC-BY-4.0", short: "CC BY", url: "https://creativecommons.org/licenses/by/4.0/" },
  { id: "CC-BY-SA-4.0", short: "CC BY-SA", url: "https://creativecommons.org/licenses/by-sa/4.0/" },
  { id: "CC-BY-NC-4.0", short: "CC BY-NC", url: "https://creativecommons.org/licenses/by-nc/4.0/" },
  { id: "CC-BY-NC-SA-4.0", short: "CC BY-NC-SA", url: "https://creativecommons.org/licenses/by-nc-sa/4.0/" },
  { id: "CC0-1.0", short: "CC0", url: "https://creativecommons.org/publicdomain/zero/1.0/" },
] as const;

export type LicenceId = (typeof LICENCES)[number]["id"];

export const LICENCE_IDS = LICENCES.map((l) => l.id) as [LicenceId, ...LicenceId[]];

export function licenceOf(id: string | null | undefined) {
  return LICENCES.find((l) => l.id === id) ?? null;
}

/** The message key of a licence's Vietnamese/English name and explanation. */
export const licenceKey = (id: LicenceId) => id.toLowerCase().replace(/[^a-z0-9]+/g, "_");
