/** A generated Classroom domain for the fake (benchmarks, crash-resume): courses × students × coursework, every submission. */
import type { FakeClassroom } from "./classroom.ts";

export function seedClassroomDomain(c: FakeClassroom, p: { domain: string; courses: number; students: number; coursework: number; now?: Date }) {
  const now = p.now ?? new Date();
  const states = ["TURNED_IN", "RETURNED", "CREATED", "RETURNED", "TURNED_IN"];
  for (let i = 0; i < p.courses; i++) {
    const courseId = String(700000000 + i);
    const teacher = `t${i}`;
    c.users.set(teacher, { id: teacher, fullName: `Giáo Viên Số ${i}`, email: `gv${i}@${p.domain}` });
    const students: string[] = [];
    for (let s = 0; s < p.students; s++) {
      const id = `s${i}-${s}`;
      c.users.set(id, { id, fullName: `Học Sinh ${i} ${s}`, email: `hs${i}.${s}@${p.domain}` });
      students.push(id);
    }
    c.courses.push({ id: courseId, name: `Toán ${6 + (i % 4)}A${i}`, ownerId: teacher, teachers: [teacher], students, updateTime: "2026-09-01T00:00:00.000Z" });
    for (let w = 0; w < p.coursework; w++) {
      const wid = `${courseId}${String(w).padStart(3, "0")}`;
      const due = new Date(now.getTime() + (w % 2 === 0 ? -1 : 1) * (w + 1) * 86_400_000);
      c.courseWork.push({
        id: wid,
        courseId,
        title: `Bài tập ${w + 1}`,
        maxPoints: w % 3 === 0 ? 10 : 20,
        dueDate: { year: due.getUTCFullYear(), month: due.getUTCMonth() + 1, day: due.getUTCDate() },
        dueTime: { hours: 16, minutes: 59 },
        updateTime: `2026-09-${String(1 + (w % 28)).padStart(2, "0")}T00:00:00.000Z`,
      });
      students.forEach((sid, k) => {
        const state = states[(k + w) % states.length];
        c.submissions.push({
          id: `${wid}-${k}`,
          courseId,
          courseWorkId: wid,
          userId: sid,
          state,
          late: (k + w) % 7 === 0,
          ...(state === "RETURNED" ? { assignedGrade: ((k + w) % 10) + (w % 3 === 0 ? 0 : 10) } : {}),
          updateTime: "2026-09-10T00:00:00.000Z",
        });
      });
    }
  }
}
