CREATE TABLE "harvest_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"repository_id" uuid NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"resumption_token" text,
	"pages" integer DEFAULT 0 NOT NULL,
	"added" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"deleted" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"max_datestamp" text,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "harvest_skips" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"identifier" text NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lesson_resources" (
	"lesson_id" uuid NOT NULL,
	"resource_id" uuid NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"added_by" uuid,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lesson_resources_lesson_id_resource_id_pk" PRIMARY KEY("lesson_id","resource_id")
);
--> statement-breakpoint
CREATE TABLE "oai_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"local_id" text NOT NULL,
	"lesson_id" uuid,
	"attachment_id" uuid,
	"school_id" uuid NOT NULL,
	"subject" text,
	"deleted" boolean DEFAULT false NOT NULL,
	"datestamp" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "repositories" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"base_url" text NOT NULL,
	"metadata_prefix" text DEFAULT 'oai_dc' NOT NULL,
	"sets" text[] DEFAULT '{}'::text[] NOT NULL,
	"schedule" text DEFAULT 'daily' NOT NULL,
	"granularity" text DEFAULT 'YYYY-MM-DD' NOT NULL,
	"earliest_datestamp" text,
	"deleted_record" text DEFAULT 'no' NOT NULL,
	"admin_email" text,
	"last_datestamp" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resource_sources" (
	"repository_id" uuid NOT NULL,
	"identifier" text NOT NULL,
	"resource_id" uuid NOT NULL,
	"datestamp" text NOT NULL,
	"set_specs" text[] DEFAULT '{}'::text[] NOT NULL,
	"metadata" jsonb,
	"harvested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resource_sources_repository_id_identifier_pk" PRIMARY KEY("repository_id","identifier")
);
--> statement-breakpoint
CREATE TABLE "resources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dedupe_key" text NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"subjects" text[] DEFAULT '{}'::text[] NOT NULL,
	"keywords" text[] DEFAULT '{}'::text[] NOT NULL,
	"authors" text[] DEFAULT '{}'::text[] NOT NULL,
	"subject" text,
	"grades" smallint[] DEFAULT '{}'::smallint[] NOT NULL,
	"resource_type" text,
	"language" text,
	"licence" text,
	"url" text,
	"lesson_id" uuid,
	"school_id" uuid,
	"search_text" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "external_links" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"kind" text NOT NULL,
	"external_id" text NOT NULL,
	"local_id" uuid NOT NULL,
	"school_id" uuid NOT NULL,
	"web_url" text,
	"version" text,
	"archived_at" timestamp with time zone,
	"last_seen_run_id" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"connection_id" uuid,
	"school_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"cursor" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"api_calls" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sync_scopes" (
	"connection_id" uuid PRIMARY KEY NOT NULL,
	"mode" text DEFAULT 'all' NOT NULL,
	"selection" text[] DEFAULT '{}'::text[] NOT NULL,
	"schedule" text DEFAULT 'daily' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_skips" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"external_id" text NOT NULL,
	"reason" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attachments" ADD COLUMN "licence" text;--> statement-breakpoint
ALTER TABLE "classes" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "lessons" ADD COLUMN "licence" text;--> statement-breakpoint
ALTER TABLE "harvest_runs" ADD CONSTRAINT "harvest_runs_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "harvest_skips" ADD CONSTRAINT "harvest_skips_run_id_harvest_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."harvest_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lesson_resources" ADD CONSTRAINT "lesson_resources_lesson_id_lessons_id_fk" FOREIGN KEY ("lesson_id") REFERENCES "public"."lessons"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lesson_resources" ADD CONSTRAINT "lesson_resources_resource_id_resources_id_fk" FOREIGN KEY ("resource_id") REFERENCES "public"."resources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lesson_resources" ADD CONSTRAINT "lesson_resources_added_by_users_id_fk" FOREIGN KEY ("added_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oai_records" ADD CONSTRAINT "oai_records_lesson_id_lessons_id_fk" FOREIGN KEY ("lesson_id") REFERENCES "public"."lessons"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oai_records" ADD CONSTRAINT "oai_records_attachment_id_attachments_id_fk" FOREIGN KEY ("attachment_id") REFERENCES "public"."attachments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oai_records" ADD CONSTRAINT "oai_records_school_id_organizations_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repositories" ADD CONSTRAINT "repositories_owner_org_id_organizations_id_fk" FOREIGN KEY ("owner_org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repositories" ADD CONSTRAINT "repositories_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resource_sources" ADD CONSTRAINT "resource_sources_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resource_sources" ADD CONSTRAINT "resource_sources_resource_id_resources_id_fk" FOREIGN KEY ("resource_id") REFERENCES "public"."resources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resources" ADD CONSTRAINT "resources_lesson_id_lessons_id_fk" FOREIGN KEY ("lesson_id") REFERENCES "public"."lessons"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resources" ADD CONSTRAINT "resources_school_id_organizations_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "external_links" ADD CONSTRAINT "external_links_school_id_organizations_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_school_id_organizations_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_scopes" ADD CONSTRAINT "sync_scopes_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_skips" ADD CONSTRAINT "sync_skips_run_id_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "harvest_runs_repository_idx" ON "harvest_runs" USING btree ("repository_id","started_at");--> statement-breakpoint
CREATE INDEX "harvest_skips_run_idx" ON "harvest_skips" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "lesson_resources_resource_idx" ON "lesson_resources" USING btree ("resource_id");--> statement-breakpoint
CREATE UNIQUE INDEX "oai_records_local_key" ON "oai_records" USING btree ("local_id");--> statement-breakpoint
CREATE INDEX "oai_records_datestamp_idx" ON "oai_records" USING btree ("datestamp","id");--> statement-breakpoint
CREATE UNIQUE INDEX "repositories_owner_url_key" ON "repositories" USING btree ("owner_org_id","base_url");--> statement-breakpoint
CREATE INDEX "resource_sources_resource_idx" ON "resource_sources" USING btree ("resource_id");--> statement-breakpoint
CREATE UNIQUE INDEX "resources_dedupe_key" ON "resources" USING btree ("dedupe_key");--> statement-breakpoint
CREATE UNIQUE INDEX "resources_lesson_key" ON "resources" USING btree ("lesson_id");--> statement-breakpoint
CREATE UNIQUE INDEX "external_links_key" ON "external_links" USING btree ("source","kind","external_id");--> statement-breakpoint
CREATE INDEX "external_links_local_idx" ON "external_links" USING btree ("kind","local_id");--> statement-breakpoint
CREATE INDEX "sync_runs_source_idx" ON "sync_runs" USING btree ("source","started_at");--> statement-breakpoint
CREATE INDEX "sync_skips_run_idx" ON "sync_skips" USING btree ("run_id");