CREATE TABLE "assignment_quizzes" (
	"assignment_id" uuid PRIMARY KEY NOT NULL,
	"form_id" text NOT NULL,
	"responder_url" text NOT NULL,
	"title" text,
	"max_score" numeric(8, 2),
	"attached_by" uuid,
	"attached_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_read_at" timestamp with time zone,
	"latest_submitted_at" timestamp with time zone,
	"last_outcome" text,
	"last_message" text,
	"last_attempt_at" timestamp with time zone,
	"retry_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "quiz_responses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"assignment_id" uuid NOT NULL,
	"response_id" text NOT NULL,
	"respondent_email" text,
	"total_score" numeric(8, 2),
	"submitted_at" timestamp with time zone NOT NULL,
	"student_id" uuid,
	"matched_by" text,
	"applied_version" text,
	"graded_questions" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "assignments" ADD COLUMN "form_url" text;--> statement-breakpoint
ALTER TABLE "assignments" ADD COLUMN "form_title" text;--> statement-breakpoint
ALTER TABLE "assignment_quizzes" ADD CONSTRAINT "assignment_quizzes_assignment_id_assignments_id_fk" FOREIGN KEY ("assignment_id") REFERENCES "public"."assignments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignment_quizzes" ADD CONSTRAINT "assignment_quizzes_attached_by_users_id_fk" FOREIGN KEY ("attached_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quiz_responses" ADD CONSTRAINT "quiz_responses_assignment_id_assignment_quizzes_assignment_id_fk" FOREIGN KEY ("assignment_id") REFERENCES "public"."assignment_quizzes"("assignment_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quiz_responses" ADD CONSTRAINT "quiz_responses_student_id_users_id_fk" FOREIGN KEY ("student_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assignment_quizzes_read_idx" ON "assignment_quizzes" USING btree ("last_read_at");--> statement-breakpoint
CREATE UNIQUE INDEX "quiz_responses_key" ON "quiz_responses" USING btree ("assignment_id","response_id");--> statement-breakpoint
CREATE INDEX "quiz_responses_student_idx" ON "quiz_responses" USING btree ("assignment_id","student_id");