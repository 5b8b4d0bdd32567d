/** The demo province's sign-in accounts, listed on the sign-in page in demo mode. */
export const DEMO_PASSWORD = "lopso2025";

export const DEMO_ACCOUNTS = [
  { role: "province_admin", name: "Đỗ Quang Huy", login: "so@lopso.demo" },
  { role: "school_admin", name: "Vũ Thị Hạnh", login: "hieutruong@nguyendu.lopso.demo" },
  { role: "teacher", name: "Nguyễn Thị Lan", login: "lan.nt@nguyendu.lopso.demo" },
  { role: "teacher", name: "Trần Văn Minh", login: "minh.tv@nguyendu.lopso.demo" },
  { role: "student", name: "Nguyễn Văn An", login: "an.nv@nguyendu.lopso.demo" },
  { role: "student", name: "Phạm Minh Dũng", login: "dung.pm@nguyendu.lopso.demo" },
  { role: "parent", name: "Nguyễn Văn Hùng", login: "0912345678" },
  { role: "parent", name: "Phạm Thị Thu", login: "0987654321" },
  { role: "teacher", name: "Lê Thị Hoa", login: "hoa.lt@kimdong.lopso.demo" },
] as const;
