CREATE TABLE "attendance_reads" (
	"session_id" uuid NOT NULL,
	"occurrence_start" timestamp with time zone NOT NULL,
	"read_at" timestamp with time zone DEFAULT now() NOT NULL,
	"participants" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "attendance_reads_session_id_occurrence_start_pk" PRIMARY KEY("session_id","occurrence_start")
);
--> statement-breakpoint
CREATE TABLE "platform_identities" (
	"provider" text NOT NULL,
	"person_key" text NOT NULL,
	"student_id" uuid NOT NULL,
	"confirmed_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "platform_identities_provider_person_key_pk" PRIMARY KEY("provider","person_key")
);
--> statement-breakpoint
CREATE TABLE "session_attendance" (
	"session_id" uuid NOT NULL,
	"occurrence_start" timestamp with time zone NOT NULL,
	"student_id" uuid NOT NULL,
	"status" text NOT NULL,
	"minutes" integer DEFAULT 0 NOT NULL,
	"source" text DEFAULT 'auto' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_attendance_session_id_occurrence_start_student_id_pk" PRIMARY KEY("session_id","occurrence_start","student_id")
);
--> statement-breakpoint
CREATE TABLE "session_participants" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"occurrence_start" timestamp with time zone NOT NULL,
	"person_key" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"email" text,
	"platform_user_id" text,
	"joined_at" timestamp with time zone NOT NULL,
	"left_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "session_recordings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"occurrence_start" timestamp with time zone NOT NULL,
	"external_id" text NOT NULL,
	"play_url" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"duration_minutes" integer,
	"parents_may_see" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "events_once_key";--> statement-breakpoint
ALTER TABLE "attendance_reads" ADD CONSTRAINT "attendance_reads_session_id_live_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."live_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "platform_identities" ADD CONSTRAINT "platform_identities_student_id_users_id_fk" FOREIGN KEY ("student_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "platform_identities" ADD CONSTRAINT "platform_identities_confirmed_by_users_id_fk" FOREIGN KEY ("confirmed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_attendance" ADD CONSTRAINT "session_attendance_session_id_live_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."live_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_attendance" ADD CONSTRAINT "session_attendance_student_id_users_id_fk" FOREIGN KEY ("student_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_participants" ADD CONSTRAINT "session_participants_session_id_live_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."live_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_recordings" ADD CONSTRAINT "session_recordings_session_id_live_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."live_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "session_participants_join_key" ON "session_participants" USING btree ("session_id","occurrence_start","person_key","joined_at");--> statement-breakpoint
CREATE UNIQUE INDEX "session_recordings_external_key" ON "session_recordings" USING btree ("session_id","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "events_once_key" ON "events" USING btree ("type","subject_id") WHERE "events"."type" in ('submission.missing', 'lesson.published', 'assignment.created', 'announcement.posted', 'note.posted', 'thread.message', 'attendance.recorded');