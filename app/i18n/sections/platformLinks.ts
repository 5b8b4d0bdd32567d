/** A hub class and its course on Google Classroom or Microsoft Teams (Vietnamese and English, the same keys). */
export const vi = {
  platform: { google: "Google Classroom", microsoft: "Microsoft Teams" },
  open: "Mở trên {platform}",
  manage: "Liên kết với Google Classroom / Teams",
  title: "Liên kết lớp với Google Classroom / Teams",
  intro:
    "Chọn khoá học của thầy cô trên nền tảng ứng với lớp {class}. Lần đồng bộ tiếp theo của trường sẽ đưa học sinh, bài tập, bài nộp và điểm của khoá học đó vào lớp này thay vì tạo một lớp mới.",
  linkedNow: "Lớp đang được liên kết với:",
  none: "Trường chưa kết nối Google Classroom hay Microsoft Teams. Quản trị trường kết nối trong “Quản trị → Kết nối”; sau đó thầy cô liên kết lớp tại đây.",
  account: "{platform} · {account}",
  noCourses: "Không thấy khoá học nào thầy cô dạy trên {platform} với địa chỉ {email}.",
  link: "Liên kết với lớp này",
  linkedHere: "Đã liên kết với lớp này",
  linkedElsewhere: "Đã liên kết với lớp {class}",
  done: "Đã liên kết lớp với “{course}”. Học sinh và bài tập sẽ có sau lần đồng bộ tới (trường đã được yêu cầu đồng bộ ngay).",
  problem: {
    no_email: "Tài khoản của thầy cô chưa có địa chỉ email, nên không tìm được khoá học. Nhờ quản trị trường thêm email.",
    not_a_teacher: "Nền tảng không biết thầy cô là giáo viên (địa chỉ email không có trên đó).",
    reauth_required: "Kết nối của trường cần được kết nối lại; nhờ quản trị trường.",
    rate_limited: "Nền tảng đang giới hạn số lần gọi; thử lại sau ít phút.",
    transient: "Nền tảng chưa trả lời; thử lại sau ít phút.",
    other: "Không đọc được danh sách khoá học ({code}).",
  },
  error: {
    not_connected: "Kết nối này không thuộc trường của lớp hoặc không còn dùng được.",
    not_your_course: "Thầy cô không dạy khoá học này trên nền tảng.",
    course_taken: "Khoá học này đã được liên kết với một lớp khác.",
    class_linked: "Lớp này đã được liên kết với một khoá học khác trên nền tảng này.",
    platform: "Nền tảng chưa trả lời được ({code}); thử lại sau.",
  },
};

export const en: typeof vi = {
  platform: { google: "Google Classroom", microsoft: "Microsoft Teams" },
  open: "Open in {platform}",
  manage: "Link to Google Classroom / Teams",
  title: "Link the class to Google Classroom / Teams",
  intro:
    "Choose your course on the platform that matches class {class}. The school's next sync brings that course's students, assignments, submissions and grades into this class instead of making a new one.",
  linkedNow: "This class is linked to:",
  none: "The school has not connected Google Classroom or Microsoft Teams. The school's admin connects it under “Admin → Connections”; then you link the class here.",
  account: "{platform} · {account}",
  noCourses: "No course you teach on {platform} was found for {email}.",
  link: "Link to this class",
  linkedHere: "Linked to this class",
  linkedElsewhere: "Linked to class {class}",
  done: "The class is linked to “{course}”. Students and assignments arrive with the next sync (one has been asked for now).",
  problem: {
    no_email: "Your account has no email address, so your courses cannot be found. Ask the school's admin to add one.",
    not_a_teacher: "The platform does not know you as a teacher (your email address is not there).",
    reauth_required: "The school's connection must be connected again; ask the school's admin.",
    rate_limited: "The platform is limiting calls; try again in a few minutes.",
    transient: "The platform did not answer; try again in a few minutes.",
    other: "The list of courses could not be read ({code}).",
  },
  error: {
    not_connected: "This connection is not your class's school's, or can no longer be used.",
    not_your_course: "You do not teach this course on the platform.",
    course_taken: "This course is already linked to another class.",
    class_linked: "This class is already linked to another course on this platform.",
    platform: "The platform could not answer ({code}); try again later.",
  },
};
