/**
 * A small library of realistic Vietnamese resources for tests: two repositories holding some of
 * the same material (one row, two sources), an open lesson of a school, and the words a search
 * must tell apart (Toán / toán học / hoá học / địa lí / Đại số). `search_text` is computed as the
 * harvester computes it: searchFold of title, description, subjects, keywords and authors.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import { repositories, resourceSources, resources } from "../../db/schema/index.ts";
import { searchFold } from "../../app/lib/vn.ts";

export type LibraryRecord = {
  key: string;
  title: string;
  description?: string;
  subjects?: string[];
  keywords?: string[];
  authors?: string[];
  subject?: string | null;
  grades?: number[];
  type?: string;
  language?: string;
  licence?: string;
  /** Repositories holding it: "a", "b" or both; "school" for the school's open lesson. */
  in?: ("a" | "b" | "school")[];
};

const R = (key: string, title: string, subject: string | null, grades: number[], type: string, extra: Partial<LibraryRecord> = {}): LibraryRecord => ({
  key,
  title,
  subject,
  grades,
  type,
  ...extra,
});

export const LIBRARY: LibraryRecord[] = [
  R("toan6-phanso", "Toán lớp 6: Phân số và các phép tính", "toan", [6], "Bài giảng", { description: "Bài giảng về phân số, quy đồng mẫu số, cộng trừ phân số.", keywords: ["phân số", "số học"], authors: ["Nguyễn Văn An"], in: ["a", "b"] }),
  R("toan6-songuyen", "Số nguyên – Toán 6 Kết nối tri thức", "toan", [6], "Bài giảng", { description: "Tập hợp số nguyên, phép cộng và phép trừ số nguyên.", authors: ["Trần Thị Bình"] }),
  R("toan6-de", "Đề kiểm tra giữa kì I môn Toán lớp 6", "toan", [6], "Đề kiểm tra", { description: "Đề có đáp án và thang điểm.", licence: "CC BY-SA 4.0" }),
  R("toan6-hinh", "Hình học trực quan lớp 6: tam giác đều, hình vuông", "toan", [6], "Phiếu bài tập", { keywords: ["hình học"] }),
  R("toan7-tile", "Toán 7: Tỉ lệ thức và dãy tỉ số bằng nhau", "toan", [7], "Bài giảng"),
  R("toan8-daiso", "Đại số 8: Hằng đẳng thức đáng nhớ", "toan", [8], "Bài giảng", { subjects: ["Toán học"], keywords: ["đại số"] }),
  R("toan9-pytago", "Định lí Pythagore và ứng dụng", "toan", [8, 9], "Video", { description: "Video minh họa định lí Pythagore trong tam giác vuông.", authors: ["Lê Minh Đức"] }),
  R("toan9-pt", "Phương trình bậc hai một ẩn – Toán 9", "toan", [9], "Bài giảng", { description: "Công thức nghiệm, hệ thức Vi-ét." }),
  R("toan10-hamso", "Hàm số bậc hai và đồ thị – Toán 10", "toan", [10], "Bài giảng"),
  R("toan12-tichphan", "Nguyên hàm và tích phân – Toán 12", "toan", [12], "Bài giảng", { language: "vi" }),
  R("toan3-cong", "Phép cộng trong phạm vi 1000 – Toán 3", "toan", [3], "Phiếu bài tập"),
  R("toan1-dem", "Đếm đến 10 – Toán 1", "toan", [1], "Trò chơi học tập"),
  R("hoa10-bth", "Hóa học 10: Bảng tuần hoàn các nguyên tố hóa học", "hoa-hoc", [10], "Bài giảng", { subjects: ["Hóa học"], in: ["a", "b"] }),
  R("hoa10-oxh", "Phản ứng oxi hóa – khử (Hóa học 10)", "hoa-hoc", [10], "Bài giảng", { subjects: ["Hóa học"] }),
  R("hoa11-nito", "Nitơ và hợp chất – Hoá học 11", "hoa-hoc", [11], "Bài giảng", { subjects: ["Hoá học"] }),
  R("hoa12-este", "Este và lipit – Hóa học 12", "hoa-hoc", [12], "Đề kiểm tra", { subjects: ["Hóa học"] }),
  R("hoa-thinghiem", "Thí nghiệm hóa học an toàn trong phòng thí nghiệm", "hoa-hoc", [10, 11, 12], "Video"),
  R("ly10-chuyendong", "Vật lí 10: Chuyển động thẳng biến đổi đều", "vat-li", [10], "Bài giảng"),
  R("ly11-om", "Định luật Ôm cho toàn mạch – Vật lí 11", "vat-li", [11], "Bài giảng"),
  R("sinh10-tebao", "Cấu trúc tế bào – Sinh học 10", "sinh-hoc", [10], "Bài giảng"),
  R("sinh12-ditruyen", "Di truyền học Menđen – Sinh học 12", "sinh-hoc", [12], "Bài giảng"),
  R("van6-truyen", "Ngữ văn 6: Truyện cổ tích Thạch Sanh", "ngu-van", [6], "Bài giảng", { authors: ["Phạm Thu Hà"] }),
  R("van9-kieu", "Truyện Kiều – Nguyễn Du (Ngữ văn 9)", "ngu-van", [9], "Bài giảng", { keywords: ["văn học trung đại"] }),
  R("van9-de", "Đề thi tuyển sinh lớp 10 môn Ngữ văn", "ngu-van", [9], "Đề kiểm tra"),
  R("van10-nghiluan", "Viết bài văn nghị luận xã hội – Ngữ văn 10", "ngu-van", [10], "Bài giảng"),
  R("van12-songda", "Người lái đò sông Đà – Nguyễn Tuân", "ngu-van", [12], "Bài giảng"),
  R("tv1-chucai", "Tiếng Việt 1: Chữ cái và âm", "tieng-viet", [1], "Bài giảng"),
  R("tv2-dau", "Dấu thanh trong tiếng Việt – lớp 2", "tieng-viet", [2], "Phiếu bài tập"),
  R("tv5-luyentu", "Luyện từ và câu: Từ đồng nghĩa – Tiếng Việt 5", "tieng-viet", [5], "Bài giảng"),
  R("anh6-present", "Thì hiện tại đơn – Tiếng Anh 6", "tieng-anh", [6], "Bài giảng", { language: "vi" }),
  R("anh9-passive", "Passive voice – English 9", "tieng-anh", [9], "Worksheet", { language: "en", licence: "CC BY 4.0" }),
  R("anh3-family", "My family – English 3", "tieng-anh", [3], "Video", { language: "en" }),
  R("su12-dbp", "Chiến dịch Điện Biên Phủ 1954 – Lịch sử 12", "lich-su", [12], "Bài giảng", { keywords: ["Điện Biên Phủ"] }),
  R("su11-cmt8", "Cách mạng tháng Tám năm 1945", "lich-su", [11], "Video"),
  R("dia10-khihau", "Khí hậu nhiệt đới ẩm gió mùa – Địa lí 10", "dia-li", [10], "Bài giảng"),
  R("dia12-dbscl", "Đồng bằng sông Cửu Long – Địa lí 12", "dia-li", [12], "Bài giảng", { keywords: ["đồng bằng"] }),
  R("lsdl7-dia", "Lịch sử và Địa lí 7: Châu Âu", "lich-su-dia-li", [7], "Bài giảng"),
  R("khtn7-quanghop", "Quang hợp ở thực vật – Khoa học tự nhiên 7", "khtn", [7], "Bài giảng", { in: ["school"] }),
  R("khtn6-dodai", "Đo độ dài – Khoa học tự nhiên 6", "khtn", [6], "Phiếu bài tập", { in: ["school"] }),
  R("tin6-scratch", "Lập trình Scratch cho lớp 6", "tin-hoc", [6], "Video"),
  R("tin10-python", "Lập trình Python cơ bản – Tin học 10", "tin-hoc", [10], "Bài giảng"),
  R("tin11-sapxep", "Thuật toán sắp xếp nổi bọt", "tin-hoc", [11], "Bài giảng"),
  R("gdcd8-phapluat", "Pháp luật và kỉ luật – Giáo dục công dân 8", "gdcd", [8], "Bài giảng"),
  R("amnhac-quanho", "Dân ca Quan họ Bắc Ninh", "am-nhac", [4, 5], "Video"),
  R("mithuat-tranh", "Vẽ tranh phong cảnh quê hương", "mi-thuat", [5], "Bài giảng"),
  R("gdtc-bongda", "Bóng đá mini cho học sinh tiểu học", "gdtc", [3, 4, 5], "Video"),
  R("hdtn-kinang", "Kĩ năng sống: An toàn giao thông", "hdtn", [2, 3], "Bài giảng"),
  R("daoduc-bieton", "Lòng biết ơn thầy cô – Đạo đức 2", "dao-duc", [2], "Bài giảng"),
  R("chung-hoc", "Phương pháp học tập hiệu quả", null, [], "Tài liệu tham khảo", { licence: "Bản quyền thuộc tác giả" }),
  R("metachar", "C++ & Java: lập trình (cơ bản) | nâng cao", "tin-hoc", [11], "Bài giảng", { description: "Ký hiệu ' \\ ! : * trong mã nguồn." }),
];

export type LibraryFixture = { repoA: string; repoB: string; schoolId: string | null; ids: Record<string, string> };

/** Insert the library (with its two repositories, owned by `ownerOrgId`); `schoolId` is the school of the open lessons. */
export async function insertLibrary(db: Db, ownerOrgId: string, schoolId: string | null, urlBase = "https://hoclieu.example/r/", records: LibraryRecord[] = LIBRARY): Promise<LibraryFixture> {
  const [a] = await db.insert(repositories).values({ ownerOrgId, name: "Kho học liệu số ngành Giáo dục", baseUrl: "https://hoclieu.example/oai" }).returning();
  const [b] = await db.insert(repositories).values({ ownerOrgId, name: "Thư viện Học liệu mở", baseUrl: "https://open.example/oai" }).returning();
  const ids: Record<string, string> = {};
  for (const r of records) {
    const subjects = r.subjects ?? [];
    const keywords = r.keywords ?? [];
    const authors = r.authors ?? [];
    const description = r.description ?? "";
    const inSchool = (r.in ?? []).includes("school");
    const [row] = await db
      .insert(resources)
      .values({
        dedupeKey: `test:${r.key}`,
        title: r.title,
        description,
        subjects,
        keywords,
        authors,
        subject: r.subject ?? null,
        grades: r.grades ?? [],
        resourceType: r.type ?? null,
        language: r.language ?? "vi",
        licence: r.licence ?? "CC BY 4.0",
        url: `${urlBase}${r.key}`,
        schoolId: inSchool ? schoolId : null,
        searchText: searchFold([r.title, description, ...subjects, ...keywords, ...authors].join(" ")),
      })
      .returning({ id: resources.id });
    ids[r.key] = row.id;
    const repos = inSchool ? [] : (r.in ?? ["a"]).map((x) => (x === "b" ? b.id : a.id));
    for (const repositoryId of repos) {
      await db.insert(resourceSources).values({ repositoryId, identifier: `oai:${repositoryId === a.id ? "a" : "b"}:${r.key}`, resourceId: row.id, datestamp: "2026-11-01" });
    }
  }
  await db.execute(sql`analyze resources`);
  return { repoA: a.id, repoB: b.id, schoolId, ids };
}
