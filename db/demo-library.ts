/**
 * The demo province's shared repository "as if harvested": a few dozen realistic Vietnamese records
 * (several subjects and grades, some metadata without diacritics) put into the library through the
 * harvest's own ingest, so that search has content on first start.
 */
import type { Tx } from "./client.server.ts";
import { harvestRuns, repositories } from "./schema/index.ts";
import { ingestRecords } from "../app/services/library/harvest.server.ts";
import type { HarvestedRecord } from "../integrations/ports.ts";

const CC = "https://creativecommons.org/licenses/by-sa/4.0/";
const ITEMS: [title: string, subject: string, grade: string, type: string, author: string][] = [
  ["Tập hợp và phần tử của tập hợp", "Toán", "Lớp 6", "Bài giảng", "Nguyễn Thị Lan"],
  ["Phép cộng và phép trừ số tự nhiên", "Toán", "Lớp 6", "Bài tập", "Trần Văn Bình"],
  ["Phan so va so thap phan", "Toan hoc", "lop 6", "Bai tap", "Le Thi Thu"],
  ["Số nguyên âm trong đời sống", "Toán", "Lớp 6", "Video", "Phạm Quốc Khánh"],
  ["Tỉ lệ thức và dãy tỉ số bằng nhau", "Toán", "Lớp 7", "Bài giảng", "Đặng Thu Hà"],
  ["Định lí Pythagore", "Toán học", "Lớp 8", "Bài giảng", "Nguyễn Văn Hải"],
  ["Hệ hai phương trình bậc nhất hai ẩn", "Toán", "Lớp 9", "Đề kiểm tra", "Vũ Minh Châu"],
  ["Hàm số bậc hai và đồ thị", "Mathematics", "Grade 10", "Presentation", "Hoàng Anh Tuấn"],
  ["Đạo hàm và ứng dụng", "Toán", "Lớp 11", "Bài giảng", "Bùi Thị Ngọc"],
  ["Ôn tập thi tốt nghiệp THPT môn Toán", "Toán", "THPT", "Đề kiểm tra", "Sở GD&ĐT"],
  ["Bài học đường đời đầu tiên (Tô Hoài)", "Ngữ văn", "Lớp 6", "Bài giảng", "Lê Thị Mai"],
  ["Viet bai van ke lai mot trai nghiem", "Ngu van", "lop 6", "Phieu hoc tap", "Tran Thi Huong"],
  ["Truyện Kiều — Trao duyên", "Ngữ văn", "Lớp 9", "Bài giảng", "Nguyễn Thu Trang"],
  ["Nghị luận xã hội về lòng biết ơn", "Ngữ văn", "Lớp 10", "Bài tập", "Phạm Thị Lý"],
  ["Nguyên tử và cấu tạo nguyên tử", "Khoa học tự nhiên", "Lớp 7", "Bài giảng", "Nguyễn Thị Lan"],
  ["Quang hop o thuc vat", "Khoa hoc tu nhien", "lop 7", "Video", "Do Van Son"],
  ["Tốc độ chuyển động", "Khoa học tự nhiên", "Lớp 7", "Mô phỏng", "Trần Minh Đức"],
  ["Hệ tuần hoàn ở người", "Khoa học tự nhiên", "Lớp 8", "Bài giảng", "Lê Văn Thành"],
  ["Định luật Ohm", "Vật lí", "Lớp 11", "Bài tập", "Ngô Quang Huy"],
  ["Dao động điều hòa", "Vật lý", "Lớp 11", "Video", "Phan Thanh Tùng"],
  ["Bảng tuần hoàn các nguyên tố hóa học", "Hóa học", "Lớp 10", "Bài giảng", "Đinh Thị Hằng"],
  ["Phan ung oxi hoa khu", "Hoa hoc", "lop 10", "Bai tap", "Nguyen Duc Anh"],
  ["Di truyền học Mendel", "Sinh học", "Lớp 12", "Bài giảng", "Trương Thị Hoa"],
  ["Unit 1: My New School", "English", "Grade 6", "Lesson", "Nguyễn Hồng Nhung"],
  ["Unit 3: Music and Arts — Listening", "Tiếng Anh", "Lớp 7", "Audio", "Lê Thanh Hương"],
  ["Present perfect tense exercises", "English", "THCS", "Worksheet", "Trần Quang Minh"],
  ["Cuộc kháng chiến chống quân Mông — Nguyên", "Lịch sử và Địa lí", "Lớp 7", "Bài giảng", "Hà Văn Nam"],
  ["Vùng Đồng bằng sông Hồng", "Địa lí", "Lớp 12", "Bản đồ", "Vũ Thị Lan Anh"],
  ["Cách mạng tháng Tám năm 1945", "Lịch sử", "Lớp 12", "Video", "Nguyễn Văn Quang"],
  ["Lập trình Scratch: trò chơi đầu tiên", "Tin học", "Lớp 6", "Phần mềm", "Đỗ Minh Hiếu"],
  ["Thuat toan sap xep", "Tin hoc", "lop 10", "Bai giang", "Pham Van Long"],
  ["Tập đọc: Chú ếch con", "Tiếng Việt", "Lớp 1", "Bài giảng", "Nguyễn Thị Thanh"],
  ["Luyện từ và câu: Từ chỉ sự vật", "Tiếng Việt", "Lớp 2", "Phiếu học tập", "Trần Thị Bích"],
  ["Phép nhân trong phạm vi 100", "Toán", "Lớp 3", "Bài tập", "Lê Thị Nga"],
  ["Cây xanh quanh em", "Tự nhiên và Xã hội", "Lớp 2", "Hình ảnh", "Phạm Thị Yến"],
  ["Vong tuan hoan cua nuoc", "Khoa hoc", "lop 5", "Video", "Nguyen Thi Hoa"],
  ["Hát: Em yêu trường em", "Âm nhạc", "Tiểu học", "Audio", "Hoàng Lan"],
  ["Vẽ tranh đề tài quê hương", "Mĩ thuật", "Lớp 4", "Hình ảnh", "Ngô Thị Diệu"],
  ["Sống có trách nhiệm", "Giáo dục công dân", "Lớp 8", "Bài giảng", "Trịnh Văn Khoa"],
  ["An toàn giao thông cho học sinh", "Hoạt động trải nghiệm", "THCS", "Video", "Công an tỉnh"],
];

export const DEMO_REPOSITORY_URL = "https://hoclieu.songhong.edu.vn/oai/request";

export async function seedDemoLibrary(tx: Tx, provinceId: string, now: Date) {
  const [repo] = await tx
    .insert(repositories)
    .values({
      ownerOrgId: provinceId,
      name: "Kho học liệu số dùng chung của Sở (dữ liệu mẫu)",
      baseUrl: DEMO_REPOSITORY_URL,
      metadataPrefix: "oai_dc",
      schedule: "manual",
      granularity: "YYYY-MM-DDThh:mm:ssZ",
      deletedRecord: "persistent",
      earliestDatestamp: "2024-09-01T00:00:00Z",
      adminEmail: "hoclieu@songhong.edu.vn",
      lastDatestamp: "2026-05-20T08:00:00Z",
    })
    .returning();
  const records: HarvestedRecord[] = ITEMS.map(([title, subject, grade, type, author], i) => {
    const datestamp = new Date(Date.UTC(2025, 8, 5) + i * 5 * 86400_000).toISOString().replace(/\.\d+Z$/, "Z");
    const url = `https://hoclieu.songhong.edu.vn/hoc-lieu/${1000 + i}`;
    return {
      identifier: `oai:hoclieu.songhong.edu.vn:${1000 + i}`,
      datestamp,
      setSpecs: [],
      title,
      description: `${type} ${subject} ${grade}: ${title}. Học liệu do giáo viên trong tỉnh biên soạn, dùng chung cho các trường.`,
      subjects: [subject, grade],
      keywords: [],
      authors: [author],
      types: [type],
      languages: [/^(English|Tiếng Anh)$/.test(subject) ? "en" : "vie"],
      rights: [CC],
      url,
      doi: null,
      identifiers: [url],
      dates: [datestamp],
      metadata: { title: [title], subject: [subject, grade], creator: [author], type: [type], identifier: [url], rights: [CC] },
    };
  });
  const { added } = await ingestRecords(tx, repo!.id, records);
  await tx.insert(harvestRuns).values({ repositoryId: repo!.id, mode: "full", status: "succeeded", pages: 1, added, maxDatestamp: records.at(-1)!.datestamp, startedAt: now, finishedAt: now });
  return { repositoryId: repo!.id, resources: added };
}
