/** Messages of one part of the hub, Vietnamese and English with the same keys (spread into vi.ts and en.ts). */
export const vi = {
  "importTitle": "Nhập gói Common Cartridge",
  "importIntro": "Tải lên một gói .imscc (IMS Common Cartridge 1.1–1.3) xuất từ Moodle hoặc Canvas. Các trang nội dung, liên kết và tệp trở thành bài học nháp của lớp; bài kiểm tra, thảo luận, bài tập và công cụ ngoài được liệt kê là chưa nhập.",
  "file": "Gói .imscc (tối đa 50 MB)",
  "submit": "Nhập vào lớp",
  "done": "Đã nhập {count} bài học (bản nháp).",
  "nothingImported": "Gói không có nội dung nào nhập được (trang, liên kết hay tệp); không có gì được ghi. Các mục trong gói và lí do:",
  "skippedTitle": "Chưa nhập",
  "noFile": "Hãy chọn một tệp .imscc.",
  "export": "Tải các bài học về dạng Common Cartridge (.imscc)",
  "import": "Nhập từ Common Cartridge (.imscc)",
  "back": "Về trang lớp",
};

export const en: typeof vi = {
  "importTitle": "Import a Common Cartridge",
  "importIntro": "Upload an .imscc package (IMS Common Cartridge 1.1–1.3) exported from Moodle or Canvas. Content pages, web links and files become draft lessons of the class; quizzes, discussions, assignments and external tools are listed as not imported.",
  "file": ".imscc package (at most 50 MB)",
  "submit": "Import into the class",
  "done": "Imported {count} lessons (drafts).",
  "nothingImported": "The package holds nothing that can be imported (pages, links or files); nothing was written. Its items and why:",
  "skippedTitle": "Not imported",
  "noFile": "Choose an .imscc file.",
  "export": "Download the lessons as a Common Cartridge (.imscc)",
  "import": "Import from a Common Cartridge (.imscc)",
  "back": "Back to the class",
};
