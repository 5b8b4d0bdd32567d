CREATE TABLE "class_group_members" (
	"group_id" uuid NOT NULL,
	"student_id" uuid NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "class_group_members_group_id_student_id_pk" PRIMARY KEY("group_id","student_id")
);
--> statement-breakpoint
CREATE TABLE "class_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"school_id" uuid NOT NULL,
	"name" text NOT NULL,
	"grade" integer NOT NULL,
	"school_year" text NOT NULL,
	"homeroom_teacher_id" uuid,
	"join_code" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "search_name" text GENERATED ALWAYS AS (translate(full_name, 'ÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝàáâãäåèéêëìíîïòóôõöùúûüýÿĀāĂăĄąĎďĐđĒēĔĕĖėĘęĚěĨĩĪīĬĭĮįİŌōŎŏŐőŨũŪūŬŭŮůŰűŲųŶŷŸƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǪǫǬǭǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȔȕȖȗȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḬḭḮḯṌṍṎṏṐṑṒṓṲṳṴṵṶṷṸṹṺṻẎẏẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹABCDEFGHIJKLMNOPQRSTUVWXYZ', 'aaaaaaeeeeiiiiooooouuuuyaaaaaaeeeeiiiiooooouuuuyyaaaaaaddddeeeeeeeeeeiiiiiiiiioooooouuuuuuuuuuuuyyyoouuaaiioouuuuuuuuuuaaaaooooaaaaaaeeeeiiiioooouuuuaaeeooooooooyyaaddddddddddeeeeeeeeeeiiiioooooooouuuuuuuuuuyyyaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyyabcdefghijklmnopqrstuvwxyz')) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "deactivated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "assignments" ADD COLUMN "assessment" text DEFAULT 'regular' NOT NULL;--> statement-breakpoint
ALTER TABLE "assignments" ADD COLUMN "term" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "classes" ADD COLUMN "group_id" uuid;--> statement-breakpoint
ALTER TABLE "class_group_members" ADD CONSTRAINT "class_group_members_group_id_class_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."class_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "class_group_members" ADD CONSTRAINT "class_group_members_student_id_users_id_fk" FOREIGN KEY ("student_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "class_groups" ADD CONSTRAINT "class_groups_school_id_organizations_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "class_groups" ADD CONSTRAINT "class_groups_homeroom_teacher_id_users_id_fk" FOREIGN KEY ("homeroom_teacher_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "class_group_members_student_idx" ON "class_group_members" USING btree ("student_id");--> statement-breakpoint
CREATE UNIQUE INDEX "class_groups_join_code_key" ON "class_groups" USING btree ("join_code");--> statement-breakpoint
CREATE UNIQUE INDEX "class_groups_school_name_year_key" ON "class_groups" USING btree ("school_id","name","school_year");--> statement-breakpoint
CREATE INDEX "class_groups_homeroom_idx" ON "class_groups" USING btree ("homeroom_teacher_id");--> statement-breakpoint
ALTER TABLE "classes" ADD CONSTRAINT "classes_group_id_class_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."class_groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "classes_group_idx" ON "classes" USING btree ("group_id");--> statement-breakpoint
-- Existing assignments go in the term of their due date: học kỳ I from August to 15 January.
UPDATE "assignments" SET "term" = CASE
  WHEN extract(month FROM "due_at" AT TIME ZONE 'Asia/Ho_Chi_Minh') >= 8 THEN 1
  WHEN extract(month FROM "due_at" AT TIME ZONE 'Asia/Ho_Chi_Minh') = 1
   AND extract(day FROM "due_at" AT TIME ZONE 'Asia/Ho_Chi_Minh') <= 15 THEN 1
  ELSE 2 END;--> statement-breakpoint
-- Existing subject classes that share a school, a name and a year form one class group.
INSERT INTO "class_groups" ("school_id", "name", "grade", "school_year", "join_code")
SELECT c."school_id", c."name", min(c."grade"), c."school_year",
  (SELECT string_agg(substr('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', 1 + floor(random() * 32)::int, 1), '')
     FROM generate_series(1, 7 + 0 * min(c."grade")))
FROM "classes" c GROUP BY c."school_id", c."name", c."school_year";--> statement-breakpoint
UPDATE "classes" c SET "group_id" = g."id" FROM "class_groups" g
WHERE g."school_id" = c."school_id" AND g."name" = c."name" AND g."school_year" = c."school_year";--> statement-breakpoint
INSERT INTO "class_group_members" ("group_id", "student_id")
SELECT DISTINCT c."group_id", m."user_id" FROM "class_members" m JOIN "classes" c ON c."id" = m."class_id"
WHERE m."role" = 'student' AND c."group_id" IS NOT NULL;
