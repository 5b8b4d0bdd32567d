import { z } from "zod";

/** `GET /organization`: the tenant's profile (only what the hub shows). */
export const OrganizationList = z.object({
  value: z
    .array(
      z.object({
        id: z.string(),
        displayName: z.string().nullable().optional(),
        verifiedDomains: z.array(z.object({ name: z.string(), isDefault: z.boolean().optional() })).optional().default([]),
      }),
    )
    .min(1, "no organization in the reply"),
});

/** `GET /me` with a delegated token: the signed-in person. */
export const GraphMe = z.object({ id: z.string(), displayName: z.string().nullish(), mail: z.string().nullish(), userPrincipalName: z.string().nullish() });

/** An online meeting (`POST …/onlineMeetings`, `…/createOrGet`, `GET`/`PATCH …/onlineMeetings/{id}`). */
export const OnlineMeeting = z.object({
  id: z.string().min(1),
  joinWebUrl: z.string().nullish(),
  /** The old name of `joinWebUrl`. */
  joinUrl: z.string().nullish(),
  subject: z.string().nullish(),
  startDateTime: z.string().nullish(),
  endDateTime: z.string().nullish(),
  externalId: z.string().nullish(),
  joinMeetingIdSettings: z.object({ joinMeetingId: z.string().nullish(), passcode: z.string().nullish(), isPasscodeRequired: z.boolean().nullish() }).nullish(),
});
export type OnlineMeeting = z.infer<typeof OnlineMeeting>;

/** One page of `GET …/onlineMeetings/{id}/attendanceReports` (the records are empty in the list). */
export const AttendanceReportPage = z.object({
  value: z.array(
    z.object({
      id: z.string().min(1),
      totalParticipantCount: z.number().nullish(),
      meetingStartDateTime: z.string(),
      meetingEndDateTime: z.string().nullish(),
    }),
  ),
  "@odata.nextLink": z.string().nullish(),
});
export type AttendanceReport = z.infer<typeof AttendanceReportPage>["value"][number];

export const GraphAttendanceRecord = z.object({
  emailAddress: z.string().nullish(),
  totalAttendanceInSeconds: z.number().nullish(),
  role: z.string().nullish(),
  identity: z.object({ id: z.string().nullish(), displayName: z.string().nullish(), tenantId: z.string().nullish() }).nullish(),
  attendanceIntervals: z
    .array(z.object({ joinDateTime: z.string().nullish(), leaveDateTime: z.string().nullish(), durationInSeconds: z.number().nullish() }))
    .nullish()
    .transform((v) => v ?? []),
});
export type GraphAttendanceRecord = z.infer<typeof GraphAttendanceRecord>;

/** One page of `GET …/attendanceReports/{id}/attendanceRecords`. */
export const AttendanceRecordPage = z.object({ value: z.array(GraphAttendanceRecord), "@odata.nextLink": z.string().nullish() });
