import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/my-class";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { classForStudent } from "../services/class-work.server.ts";
import { formatSchoolYear, subjectName } from "../lib/curriculum.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { ClassWorkLists } from "../components/class-work.tsx";
import { StudentGradebook } from "../components/gradebook.tsx";
import { levelOfGrade } from "../lib/curriculum.ts";
import { platformLinks } from "../services/sync/teacher-links.server.ts";
import { PlatformLinks } from "../components/platform-links.tsx";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  // A teacher is let through only to be sent to the teacher's page of their own class.
  const actor = requireRole(url, context, "student", "teacher");
  const db = getDb();
  const page = await classForStudent(db, actor, params.classId);
  const platforms = (await platformLinks(db, "course", [page.class.id]))[page.class.id] ?? [];
  return { ...page, platforms };
}

export default function MyClass() {
  const data = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const c = data.class;
  return (
    <>
      <p>
        <Link to="/today">← {t("today.title")}</Link>
      </p>
      <h1>
        {subjectName(c.subject, locale)} {c.name}
      </h1>
      <p className="muted">
        {t("common.grade", { grade: c.grade })} · {t("common.schoolYear")} {formatSchoolYear(c.schoolYear)}
        {c.teachers ? ` · ${t("classWork.teachers", { names: c.teachers })}` : ""}
      </p>
      <PlatformLinks links={data.platforms} />
      <StudentGradebook work={data.assignments} primary={levelOfGrade(c.grade) === "tieu_hoc"} heading={t("gradebook.mine")} />
      <ClassWorkLists lessons={data.lessons} assignments={data.assignments} assignmentHref={(id) => `/assignments/${id}`} />
    </>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${subjectName(data.class.subject)} ${data.class.name} · Lớp Số` : "Lớp Số" }];
