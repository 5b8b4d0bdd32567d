/** Messages of one part of the hub, Vietnamese and English with the same keys (spread into vi.ts and en.ts). */
export const vi = {
  edit: "Sửa buổi học",
  editSeries: "Sửa cả chuỗi buổi học",
  editTitle: "Sửa buổi học trực tuyến",
  moveTitle: "Dời một buổi học",
  moveOne: "Dời buổi này",
  moveIntro: "Buổi {when} sẽ chuyển sang ngày giờ mới; các buổi khác trong chuỗi giữ nguyên.",
  seriesIntro: "Thay đổi áp dụng cho mọi buổi sắp tới của chuỗi. Lịch trên nền tảng và lịch của học sinh được cập nhật.",
  save: "Lưu thay đổi",
  saved: "Đã lưu thay đổi.",
  moved: "Đã dời buổi học.",
  platformRefused: "Nền tảng chưa nhận thay đổi: {message}. Lịch trong Lớp Số đã được cập nhật.",
  lateAfter: "Tính là đến muộn sau (phút)",
  lateAfterHint: "Học sinh vào sau số phút này kể từ giờ bắt đầu được ghi “đến muộn”.",
  errors: {
    lateAfter: "Số phút từ 0 đến 60.",
    cancelled: "Buổi học đã bị hủy, không sửa được nữa.",
  },
};

export const en: typeof vi = {
  edit: "Edit session",
  editSeries: "Edit the whole series",
  editTitle: "Edit live session",
  moveTitle: "Move one session",
  moveIntro: "The session of {when} moves to the new day and time; the rest of the series stays as it is.",
  moveOne: "Move this one",
  seriesIntro: "Changes apply to every coming session of the series. The platform's schedule and students' calendars are updated.",
  save: "Save changes",
  saved: "Changes saved.",
  moved: "Session moved.",
  platformRefused: "The platform did not take the change: {message}. The schedule in Lớp Số is updated.",
  lateAfter: "Late after (minutes)",
  lateAfterHint: "A student who joins more than this many minutes after the start is marked late.",
  errors: {
    lateAfter: "From 0 to 60 minutes.",
    cancelled: "This session was cancelled and can no longer be edited.",
  },
};
