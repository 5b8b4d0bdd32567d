import { Form, useSearchParams } from "react-router";
import { LICENCES, licenceKey, licenceOf } from "../lib/licences.ts";
import { useT, type MessageKey } from "../i18n/index.ts";

type Props = {
  lesson: { id: string; status: string; licence: string | null; attachments: { id: string; filename: string; licence: string | null }[] };
};

/** The lesson editor's "Học liệu mở" card: share the lesson, or one of its files, under a Creative Commons licence. */
export function OpenLicence({ lesson }: Props) {
  const t = useT();
  const [params] = useSearchParams();
  const outcome = params.get("licence");
  const published = lesson.status === "published";
  const options = (
    <>
      <option value="">{t("oai.notOpen")}</option>
      {LICENCES.map((l) => (
        <option key={l.id} value={l.id}>
          {t(`oai.licence.${licenceKey(l.id)}.name` as MessageKey)}
        </option>
      ))}
    </>
  );
  return (
    <section className="card" aria-labelledby="open-licence">
      <h2 id="open-licence">{t("oai.cardTitle")}</h2>
      <p className="muted">{t("oai.cardIntro")}</p>
      {outcome === "opened" ? <p role="status">{t("oai.opened")}</p> : outcome === "closed" ? <p role="status">{t("oai.closed")}</p> : outcome ? <p role="alert">{t(outcome.startsWith("oai.") ? (outcome as MessageKey) : "oai.errors.licence_unknown")}</p> : null}
      {!published ? <p>{t("oai.publishFirst")}</p> : null}
      <Form method="post" action={`/lessons/${lesson.id}/licence`}>
        <label>
          {t("oai.lessonLicence")}{" "}
          <select name="licence" defaultValue={lesson.licence ?? ""} disabled={!published}>
            {options}
          </select>
        </label>{" "}
        <button type="submit" disabled={!published}>
          {t("oai.save")}
        </button>
      </Form>
      <ul className="muted">
        {LICENCES.map((l) => (
          <li key={l.id}>
            <a href={l.url} rel="license noopener noreferrer" target="_blank">
              {t(`oai.licence.${licenceKey(l.id)}.name` as MessageKey)}
            </a>
            : {t(`oai.licence.${licenceKey(l.id)}.about` as MessageKey)}
          </li>
        ))}
      </ul>
      {published && lesson.attachments.length > 0 ? (
        <>
          <h3>{t("oai.filesTitle")}</h3>
          <ul>
            {lesson.attachments.map((a) => (
              <li key={a.id}>
                <Form method="post" action={`/lessons/${lesson.id}/licence`}>
                  <input type="hidden" name="attachmentId" value={a.id} />
                  <label>
                    {a.filename}{" "}
                    <select name="licence" defaultValue={a.licence ?? ""}>
                      {options}
                    </select>
                  </label>{" "}
                  <button type="submit">{t("oai.save")}</button>
                </Form>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** The licence badge shown on an open lesson's page. */
export function LicenceBadge({ licence }: { licence: string | null }) {
  const t = useT();
  const l = licenceOf(licence);
  if (!l) return null;
  return (
    <a className="badge" href={l.url} rel="license noopener noreferrer" target="_blank" title={t(`oai.licence.${licenceKey(l.id)}.about` as MessageKey)}>
      {t("oai.badge", { licence: l.short })}
    </a>
  );
}
