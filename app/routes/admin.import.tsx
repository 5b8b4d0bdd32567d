import { Form, useActionData, useLoaderData, useNavigation } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/admin.import";
import { importUsersCsv } from "../services/users.server.ts";
import { Notice } from "../components/forms.tsx";
import { useT, type MessageKey } from "../i18n/index.ts";
import { badRequest, readForm } from "./_form.server.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";
import { formatBytes, type BodyLimit } from "../server/limits.ts";
import { pageTitle } from "../lib/meta.ts";
import { credentialsCsv, csvDataUrl } from "../lib/credentials.ts";
import { formatPhone } from "../lib/vn.ts";

const MAX_CSV_BYTES = 2 * 1024 * 1024;
/** A report's column names, as the reader's language calls them. */
const FIELD_LABELS: Record<string, MessageKey> = {
  name: "common.name",
  email: "common.email",
  phone: "common.phone",
  role: "common.role",
  class: "common.className",
  birthDate: "admin.importColBirthDate",
  children: "admin.importColChildren",
  row: "admin.importColRow",
  file: "admin.importColFile",
};
const EXAMPLE_COMMA = [
  "name,email,phone,role,class,birth_date,children",
  "Nguyễn Văn An,an@truong.edu.vn,,student,6A1:toan;7A2,05/09/2013,",
  "Trần Thị Bình,,0912345678,parent,,,an@truong.edu.vn",
  "Lê Văn Cường,cuong@truong.edu.vn,,teacher,6A1:toan,,",
].join("\n");
const EXAMPLE_SEMICOLON = [
  "STT;Họ và tên;Ngày sinh;Email;Số điện thoại;Vai trò;Lớp;Con",
  "1;Nguyễn Văn An;05/09/2013;an@truong.edu.vn;;Học sinh;6A1:toan,7A2;",
  "2;Nguyễn Thị Hoa;3/1/2012;;0387654321;Học sinh;7A2;",
  "3;Trần Thị Bình;;;0912345678;Phụ huynh;;an@truong.edu.vn,0387654321",
].join("\n");
/** One CSV file (or the same text pasted) with the form's few fields. */
const CSV_FORM: BodyLimit = { maxBytes: MAX_CSV_BYTES + 64 * 1024, maxFields: 10, files: { max: 1, maxBytes: MAX_CSV_BYTES } };

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { school } = await requireSchoolAdmin(url, context, params.schoolId);
  return { school };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const form = await readForm(request, context, CSV_FORM);
  const file = form.get("file");
  let text = String(form.get("csv") ?? "");
  if (file && typeof file === "object" && file.size > 0) {
    if (file.size > MAX_CSV_BYTES) return badRequest({ formError: "errors.request_too_large" as string | null, report: null });
    const decoded = decodeCsv(new Uint8Array(await file.arrayBuffer()));
    if (decoded === null) return badRequest({ formError: "errors.csv_encoding" as string | null, report: null });
    text = decoded;
  }
  if (!text.trim()) return badRequest({ formError: "errors.csv_required" as string | null, report: null });
  const report = await importUsersCsv(db, actor, school.id, text, { validOnly: form.get("validOnly") === "on" });
  // A refused import (nothing written because of bad rows) is a 400, like any other rejected form.
  if (!report.committed && report.errors.length > 0) return badRequest({ formError: null as string | null, report });
  return { formError: null as string | null, report };
}

/**
 * A CSV file's text: UTF-8 (with or without a BOM), or UTF-16 with a BOM (Excel's "Unicode Text").
 * null when it is neither — typically an Excel "CSV" saved in the Windows-1258 code page.
 */
function decodeCsv(bytes: Uint8Array): string | null {
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le", { fatal: true }).decode(bytes);
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be", { fatal: true }).decode(bytes);
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

export default function Import() {
  const { school } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const t = useT();
  const report = result?.report;
  // Temporary passwords live in this response only: the file and the slips are made from it here.
  const credentials = report?.credentials ?? [];
  const slipLogin = (login: string) => (login.startsWith("+") ? formatPhone(login) : login);
  const csvHref = credentials.length
    ? csvDataUrl(credentialsCsv(credentials.map((c) => ({ ...c, login: slipLogin(c.login) })), [t("common.name"), t("common.className"), t("admin.login"), t("admin.tempPassword")]))
    : "";
  return (
    <>
      <p>
        <Link to="/admin">← {t("admin.title")}</Link>
      </p>
      <h1>
        {t("admin.importTitle")} — {school.name}
      </h1>
      <section className="card">
        <p>{t("admin.importHelp")}</p>
        <pre className="muted" aria-label="CSV">{EXAMPLE_COMMA}</pre>
        <p>{t("admin.importHelpSeparators")}</p>
        <pre className="muted" aria-label="CSV (Excel)">{EXAMPLE_SEMICOLON}</pre>
        <p>{t("groups.importHelp")}</p>
        <p>{t("admin.importHelpChildren")}</p>
        <p>{t("admin.importHelpIgnored")}</p>
        {result?.formError ? (
          <p className="banner banner-error" role="alert">
            {t(result.formError as MessageKey, { size: formatBytes(MAX_CSV_BYTES) })}
          </p>
        ) : null}
        <Form method="post" encType="multipart/form-data">
          <div className="field">
            <label htmlFor="csv-file">{t("admin.importFile")}</label>
            <input id="csv-file" type="file" name="file" accept=".csv,text/csv" />
          </div>
          <div className="field">
            <label htmlFor="csv-text">{t("admin.importText")}</label>
            <textarea id="csv-text" name="csv" rows={6} />
          </div>
          <div className="field">
            <label style={{ fontWeight: 400 }}>
              <input type="checkbox" name="validOnly" /> {t("admin.importValidOnly")}
            </label>
          </div>
          <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
            {t("admin.importSubmit")}
          </button>
        </Form>
      </section>
      {report ? (
        <section className="card" aria-labelledby="report" data-testid="import-report">
          <h2 id="report">{report.committed ? t("admin.importDone", { imported: report.imported, total: report.total }) : t("admin.importNothing", { n: report.errors.length })}</h2>
          {report.ignoredColumns.length > 0 ? <Notice>{t("admin.importIgnored", { columns: report.ignoredColumns.join(", ") })}</Notice> : null}
          {report.errors.length > 0 ? (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("admin.importLine")}</th>
                    <th scope="col">{t("admin.importPerson")}</th>
                    <th scope="col">{t("admin.importField")}</th>
                    <th scope="col">{t("admin.importValue")}</th>
                    <th scope="col">{t("admin.importReason")}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.errors.map((e, i) => {
                    const column = FIELD_LABELS[e.field] ? t(FIELD_LABELS[e.field]) : e.field;
                    return (
                      <tr key={i}>
                        <td>{e.line}</td>
                        <td>{e.person ?? ""}</td>
                        <td>{column}</td>
                        <td>{e.value ?? ""}</td>
                        <td>{t(e.message as MessageKey, { value: e.value ?? "", column, ...e.vars })}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : null}
          {credentials.length > 0 ? (
            <>
              <Notice>{t("admin.credentials")}</Notice>
              <p className="muted">{t("admin.credentialsOnce")}</p>
              <div className="actions">
                <a className="button" href={csvHref} download={`lopso-mat-khau-tam-${school.code ?? school.id}.csv`} data-testid="credentials-csv">
                  {t("admin.credentialsDownload")}
                </a>
                <button type="button" onClick={() => window.print()}>
                  {t("admin.credentialsPrint")}
                </button>
              </div>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("common.name")}</th>
                      <th scope="col">{t("admin.login")}</th>
                      <th scope="col">{t("admin.tempPassword")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {credentials.map((c) => (
                      <tr key={c.line}>
                        <td>{c.fullName}</td>
                        <td>{c.login}</td>
                        <td>
                          <code>{c.password}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : null}
        </section>
      ) : null}
      {credentials.length > 0 ? (
        <section className="slips" aria-label={t("admin.credentialsPrint")} data-testid="credential-slips">
          {credentials.map((c) => (
            <div className="slip" key={c.line}>
              <p className="slip-title">{t("admin.slipTitle")}</p>
              <p>
                <strong>{c.fullName}</strong>
                {c.classNames.length ? ` — ${t("common.className")} ${c.classNames.join(", ")}` : ""}
              </p>
              <dl>
                <dt>{t("admin.login")}</dt>
                <dd>{slipLogin(c.login)}</dd>
                <dt>{t("admin.tempPassword")}</dt>
                <dd>
                  <code>{c.password}</code>
                </dd>
              </dl>
              <p className="muted">{t("admin.slipChange")}</p>
            </div>
          ))}
        </section>
      ) : null}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "nav.import");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
