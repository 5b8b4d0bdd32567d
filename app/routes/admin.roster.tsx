import { Form, useActionData, useLoaderData, useNavigation } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/admin.roster";
import { useLocale, useT, translate, type MessageKey } from "../i18n/index.ts";
import { badRequest, readForm } from "./_form.server.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";
import { formatBytes, type BodyLimit } from "../server/limits.ts";
import { pageTitle } from "../lib/meta.ts";
import { formatDateTime } from "../lib/vn.ts";
import { formatRosterError, type RosterError } from "../lib/oneroster.ts";

/** A zipped bundle of a whole school fits in this (under the hub's upload limit); larger ones go through the CLI. */
const MAX_ZIP_BYTES = 50 * 1024 * 1024;
const ROSTER_FORM: BodyLimit = { maxBytes: MAX_ZIP_BYTES + 64 * 1024, maxFields: 10, files: { max: 1, maxBytes: MAX_ZIP_BYTES } };

type Counts = { created: number; updated: number; unchanged: number; archived: number; skipped: number };
type Outcome = {
  formError: string | null;
  dryRun: boolean;
  ok: boolean;
  files: Record<string, Counts>;
  errors: RosterError[];
  errorCount: number;
  skips: { reason: string }[];
};

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const { recentRosterImports } = await import("../services/roster/oneroster.server.ts");
  return { school, runs: await recentRosterImports(db, school.id) };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const form = await readForm(request, context, ROSTER_FORM);
  const file = form.get("file");
  const refused = (formError: string): Outcome => ({ formError, dryRun: true, ok: false, files: {}, errors: [], errorCount: 0, skips: [] });
  if (!file || typeof file !== "object" || file.size === 0) return badRequest(refused("roster.fileRequired"));
  if (file.size > MAX_ZIP_BYTES) return badRequest(refused("roster.tooLarge"));
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { importOneRoster } = await import("../services/roster/oneroster.server.ts");
  // yauzl reads a zip by random access: the upload goes to a private temporary file first.
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "lopso-roster-"));
  try {
    const zip = path.join(dir, "bundle.zip");
    await fs.promises.writeFile(zip, new Uint8Array(await file.arrayBuffer()));
    const report = await importOneRoster(db, zip, { schoolId: school.id, dryRun: form.get("intent") !== "import" });
    const outcome: Outcome = {
      formError: null, dryRun: report.dryRun, ok: report.ok, files: report.files, errors: report.errors, errorCount: report.errorCount,
      skips: report.skips.slice(0, 200).map((s) => ({ reason: s.reason })),
    };
    return report.ok ? outcome : badRequest(outcome);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

function CountsTable({ files }: { files: Record<string, Counts> }) {
  const t = useT();
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">{t("roster.colFile")}</th>
            <th scope="col">{t("roster.created")}</th>
            <th scope="col">{t("roster.updated")}</th>
            <th scope="col">{t("roster.unchanged")}</th>
            <th scope="col">{t("roster.archived")}</th>
            <th scope="col">{t("roster.skipped")}</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(files).map(([name, c]) => (
            <tr key={name}>
              <td>{name}</td>
              <td>{c.created}</td>
              <td>{c.updated}</td>
              <td>{c.unchanged}</td>
              <td>{c.archived}</td>
              <td>{c.skipped}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function Roster() {
  const { school, runs } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as Outcome | undefined;
  const navigation = useNavigation();
  const t = useT();
  const locale = useLocale();
  const busy = navigation.state === "submitting";
  return (
    <>
      <p>
        <Link to="/admin">← {t("admin.title")}</Link>
      </p>
      <h1>
        {t("roster.title")} — {school.name}
      </h1>
      <section className="card">
        <p>{t("roster.help")}</p>
        {result?.formError ? (
          <p className="banner banner-error" role="alert">
            {t(result.formError as MessageKey, { size: formatBytes(MAX_ZIP_BYTES) })}
          </p>
        ) : null}
        <Form method="post" encType="multipart/form-data">
          <div className="field">
            <label htmlFor="roster-file">{t("roster.file")}</label>
            <input id="roster-file" type="file" name="file" accept=".zip,application/zip" required />
          </div>
          <div className="actions">
            <button type="submit" name="intent" value="preview" disabled={busy}>
              {t("roster.preview")}
            </button>
            <button type="submit" name="intent" value="import" className="primary" disabled={busy}>
              {t("roster.import")}
            </button>
          </div>
        </Form>
      </section>
      {result && !result.formError ? (
        <section className="card" aria-labelledby="roster-report" data-testid="roster-report">
          <h2 id="roster-report">
            {!result.ok ? t("roster.refused", { n: result.errorCount }) : result.dryRun ? t("roster.previewDone") : t("roster.importDone")}
          </h2>
          {result.errors.length > 0 ? (
            <ul className="errors" data-testid="roster-errors">
              {result.errors.map((e, i) => (
                <li key={i}>
                  <code>{formatRosterError(e, (key, vars) => translate(locale, key, vars))}</code>
                </li>
              ))}
              {result.errorCount > result.errors.length ? <li>{t("roster.tooManyErrors", { count: result.errorCount - result.errors.length })}</li> : null}
            </ul>
          ) : (
            <CountsTable files={result.files} />
          )}
          {result.skips.length > 0 ? (
            <>
              <h3>{t("roster.skips")}</h3>
              <ul>
                {result.skips.map((s, i) => (
                  <li key={i}>{s.reason}</li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      ) : null}
      <section className="card" aria-labelledby="roster-history">
        <h2 id="roster-history">{t("roster.history")}</h2>
        {runs.length === 0 ? <p className="muted">{t("roster.noHistory")}</p> : null}
        {runs.map((r) => (
          <details key={r.id} data-testid="roster-run">
            <summary>
              {formatDateTime(r.startedAt)} — OneRoster {r.version} — {r.status}
              {r.skips.length ? ` — ${t("roster.skipped")}: ${r.skips.length}` : ""}
            </summary>
            <CountsTable files={r.files} />
            {r.skips.length ? (
              <ul>
                {r.skips.map((s, i) => (
                  <li key={i}>{s.reason}</li>
                ))}
              </ul>
            ) : null}
          </details>
        ))}
      </section>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "roster.title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
