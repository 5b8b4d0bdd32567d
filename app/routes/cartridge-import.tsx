import { Form, useActionData, useLoaderData } from "react-router";
import type { Route } from "./+types/cartridge-import";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { getClassForTeacher } from "../services/classes.server.ts";
import { filesFrom } from "../services/files.server.ts";
import { badRequest, readForm } from "./_form.server.ts";
import type { BodyLimit } from "../server/limits.ts";
import { Link } from "../components/link.tsx";
import { useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";

const MAX_CARTRIDGE_BYTES = 50 * 1024 * 1024;
/** One .imscc of at most 50 MB. */
const CARTRIDGE_FORM: BodyLimit = { maxBytes: MAX_CARTRIDGE_BYTES + 64 * 1024, maxFields: 5, files: { max: 1, maxBytes: MAX_CARTRIDGE_BYTES } };

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const cls = await getClassForTeacher(getDb(), actor, params.classId);
  return { class: { id: cls.id, name: cls.name } };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  await getClassForTeacher(db, actor, params.classId);
  const form = await readForm(request, context, CARTRIDGE_FORM);
  const [file] = filesFrom(form, "file");
  if (!file) return badRequest({ error: "cartridge.noFile", message: null as string | null, report: null });
  const { importCartridge } = await import("../services/cartridge/import.server.ts");
  const result = await importCartridge(db, actor, params.classId, Buffer.from(await file.arrayBuffer()));
  if (!result.ok) return badRequest({ error: null, message: result.errors.file ?? null, report: null });
  return { error: null, message: null, report: result.value };
}

export default function CartridgeImport() {
  const { class: cls } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <>
      <h1>{t("cartridge.importTitle")}</h1>
      <p>
        <Link to={`/classes/${cls.id}`}>{t("cartridge.back")}</Link>
      </p>
      {result?.error ? <p role="alert">{t(result.error as "cartridge.noFile")}</p> : null}
      {result?.message ? <p role="alert">{result.message}</p> : null}
      {result?.report ? (
        <section className="card" role="status">
          <p>{result.report.lessons.length ? t("cartridge.done", { count: result.report.lessons.length }) : t("cartridge.nothingImported")}</p>
          <ul>
            {result.report.lessons.map((l) => (
              <li key={l.id}>
                <Link to={`/classes/${cls.id}/lessons/${l.id}/edit`}>{l.title}</Link>
              </li>
            ))}
          </ul>
          {result.report.skipped.length > 0 ? (
            <>
              <h2>{t("cartridge.skippedTitle")}</h2>
              <ul>
                {result.report.skipped.map((s, i) => (
                  <li key={i}>
                    {s.title || "—"}: {s.reason}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      ) : null}
      <Form method="post" encType="multipart/form-data" className="card">
        <p>{t("cartridge.importIntro")}</p>
        <label>
          {t("cartridge.file")} <input type="file" name="file" accept=".imscc,.zip,application/zip" required />
        </label>
        <p>
          <button type="submit">{t("cartridge.submit")}</button>
        </p>
      </Form>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "cartridge.importTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
