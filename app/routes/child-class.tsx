import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/child-class";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { classForParent } from "../services/class-work.server.ts";
import { formatSchoolYear, subjectName } from "../lib/curriculum.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { ClassWorkLists } from "../components/class-work.tsx";
import { StudentGradebook } from "../components/gradebook.tsx";
import { levelOfGrade } from "../lib/curriculum.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "parent");
  return classForParent(getDb(), actor, params.studentId, params.classId);
}

export default function ChildClass() {
  const data = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const c = data.class;
  return (
    <>
      <p>
        <Link to={`/children/${data.child.id}`}>← {data.child.fullName}</Link>
      </p>
      <h1>
        {subjectName(c.subject, locale)} {c.name}
      </h1>
      <p className="muted">
        {t("classWork.childOf", { name: data.child.fullName })} · {t("common.grade", { grade: c.grade })} · {t("common.schoolYear")}{" "}
        {formatSchoolYear(c.schoolYear)}
        {c.teachers ? ` · ${t("classWork.teachers", { names: c.teachers })}` : ""}
      </p>
      <StudentGradebook work={data.assignments} primary={levelOfGrade(c.grade) === "tieu_hoc"} heading={t("gradebook.childs", { name: data.child.fullName })} />
      <ClassWorkLists lessons={data.lessons} assignments={data.assignments} />
    </>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [
  { title: data ? `${subjectName(data.class.subject)} ${data.class.name} · ${data.child.fullName} · Lớp Số` : "Lớp Số" },
];
