import { type RouteConfig, index, prefix, route } from "@react-router/dev/routes";

export default [
  index("routes/home.tsx"),
  route("login", "routes/login.tsx"),
  route("logout", "routes/logout.tsx"),
  route("lang", "routes/lang.tsx"),
  route("account", "routes/account.tsx"),
  route("account/password", "routes/account-password.tsx"),
  route("account/notifications", "routes/account-notifications.tsx"),
  route("account/connections", "routes/account-connections.tsx"),
  route("api/notifications/push", "routes/api.notifications-push.tsx"),
  route("notifications", "routes/notifications.tsx"),
  route("notifications/open", "routes/notifications-open.tsx"),
  route("password/forgot", "routes/password-forgot.tsx"),
  // Signing in with the school account, and every provider's way back (OAuth 2.0 / OpenID Connect)
  route("auth/google", "routes/auth.sso.tsx", { id: "auth-google" }),
  route("auth/microsoft", "routes/auth.sso.tsx", { id: "auth-microsoft" }),
  route("oauth/callback", "routes/oauth.callback.tsx"),
  route("password/reset", "routes/password-reset.tsx"),
  // From the link in a message: works without signing in (RFC 8058 one-click POST too).
  // The token is not a row id (the root checks every named parameter is one): a splat.
  route("unsubscribe/*", "routes/unsubscribe.tsx"),
  // A person's iCalendar feed: the token in the address is the authority (no session).
  route("calendar/*", "routes/calendar.tsx"),

  // Students
  route("today", "routes/today.tsx"),
  route("join", "routes/join.tsx"),
  route("my/classes/:classId", "routes/my-class.tsx"),
  route("assignments/:assignmentId", "routes/assignment.tsx"),

  // Teachers
  ...prefix("classes", [
    index("routes/classes.tsx"),
    route("gradebook.xlsx", "routes/gradebook-xlsx.tsx", { id: "gradebooks-xlsx" }),
    route(":classId", "routes/class.tsx"),
    route(":classId/gradebook", "routes/gradebook.tsx"),
    route(":classId/gradebook.xlsx", "routes/gradebook-xlsx.tsx", { id: "gradebook-xlsx" }),
    route(":classId/lessons/new", "routes/lesson-edit.tsx", { id: "lesson-new" }),
    route(":classId/lessons/:lessonId/edit", "routes/lesson-edit.tsx", { id: "lesson-edit" }),
    route(":classId/lessons/:lessonId/delete", "routes/lesson-delete.tsx"),
    route(":classId/assignments/new", "routes/assignment-new.tsx"),
    route(":classId/assignments/:assignmentId/edit", "routes/assignment-edit.tsx"),
    route(":classId/assignments/:assignmentId/delete", "routes/assignment-delete.tsx"),
    route(":classId/families", "routes/class-families.tsx"),
    route(":classId/sessions/new", "routes/session-new.tsx"),
    route(":classId/passwords", "routes/class-passwords.tsx"),
  ]),
  route("assignments/:assignmentId/submissions", "routes/assignment-grading.tsx"),
  route("assignments/:assignmentId/quiz", "routes/assignment-quiz.tsx"),

  // Homeroom teachers (giáo viên chủ nhiệm) of a class group, and the school's admins
  ...prefix("groups", [
    route(":groupId", "routes/group.tsx"),
    route(":groupId/students/:studentId", "routes/group-student.tsx"),
  ]),

  // Live sessions: their classes' teachers, students and (read only) parents
  route("sessions/:sessionId", "routes/session.tsx"),
  route("sessions/:sessionId/edit", "routes/session-edit.tsx"),
  route("sessions/:sessionId/join", "routes/session-join.tsx"),
  route("sessions/:sessionId/attendance", "routes/session-attendance.tsx"),
  route("sessions/:sessionId/recordings/:recordingId", "routes/session-recording.tsx"),

  // Everyone who may read a lesson
  route("lessons/:lessonId", "routes/lesson.tsx"),
  route("files/:attachmentId", "routes/file.tsx"),
  route("api/preview", "routes/api.preview.tsx"),

  // The province's resource library: everyone signed in
  route("library", "routes/library.tsx"),

  // Parents
  ...prefix("children", [
    index("routes/children.tsx"),
    route("link", "routes/children-link.tsx"),
    route(":studentId", "routes/child.tsx"),
    route(":studentId/classes/:classId", "routes/child-class.tsx"),
  ]),

  // The contact book (sổ liên lạc) and announcements: parents, teachers and school admins
  ...prefix("contact-book", [index("routes/contact-book.tsx"), route(":studentId", "routes/contact-book-thread.tsx")]),
  ...prefix("announcements", [index("routes/announcements.tsx"), route("new", "routes/announcement-new.tsx")]),

  // School and province admins
  ...prefix("admin", [
    index("routes/admin.tsx"),
    route("schools/:schoolId/users", "routes/admin.users.tsx"),
    route("schools/:schoolId/users/:userId", "routes/admin.user.tsx"),
    route("schools/:schoolId/classes", "routes/admin.classes.tsx"),
    route("schools/:schoolId/import", "routes/admin.import.tsx"),
    route("schools/:schoolId/notifications", "routes/admin.notifications.tsx"),
    route("notifications", "routes/admin.notifications-pick.tsx"),
    route("schools/:schoolId/connections", "routes/admin.connections.tsx"),
    // OneRoster roster import (upload a zip, preview, import; the last imports)
    route("schools/:schoolId/roster", "routes/admin.roster.tsx"),
    // Shared learning repositories (OAI-PMH) harvested into the library
    route("repositories", "routes/admin.repositories.tsx"),
    route("repositories/:repositoryId", "routes/admin.repository.tsx"),
  ]),
  // Course sync of a course platform's connection (Google Classroom)
  route("admin/connections/:connectionId/sync", "routes/admin.connection-sync.tsx"),

  // Delivery receipts from the message providers (no session; each checks its own signature or key)
  route("webhooks/zalo", "routes/webhooks.zalo.tsx"),
  route("webhooks/sms", "routes/webhooks.sms.tsx"),
  // Zoom's events, at each connection's own address (signed with that connection's secret token)
  route("webhooks/zoom/:connectionId", "routes/webhooks.zoom.tsx"),

  // Open lessons for harvesters (OAI-PMH 2.0, no sign-in); Common Cartridge import and export for a class's teachers
  route("oai", "routes/oai.tsx"),
  route("lessons/:lessonId/licence", "routes/lesson-licence.tsx"),
  route("classes/:classId/import-cartridge", "routes/cartridge-import.tsx"),
  route("classes/:classId/cartridge.imscc", "routes/cartridge-export.tsx"),
  // A teacher links their class to their own course on Google Classroom or Teams
  route("classes/:classId/platforms", "routes/class-platforms.tsx"),

  // Any other URL: "page not found", inside the frame (the root's middleware and loader run).
  route("*", "routes/not-found.tsx"),
] satisfies RouteConfig;
