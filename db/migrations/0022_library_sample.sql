-- A standing random sample of the library (docs/decisions/011-library-search.md): a few thousand
-- resources with only what a search's estimate reads (facet columns, their repositories, the
-- vector), small enough to stay in memory. A broad query's count and facets are estimated from it
-- in a few milliseconds instead of reading random pages of the whole table. Refreshed by the
-- library-sample job when the library has changed; without it searches sample the table itself.
CREATE TABLE "library_sample" (
  "id" uuid PRIMARY KEY,
  "subject" text,
  "grades" smallint[] NOT NULL DEFAULT '{}',
  "resource_type" text,
  "language" text,
  "licence" text,
  "school_id" uuid,
  "repository_ids" uuid[] NOT NULL DEFAULT '{}',
  "search_tsv" tsvector NOT NULL
);
--> statement-breakpoint
CREATE TABLE "library_sample_state" (
  "id" smallint PRIMARY KEY DEFAULT 1 CHECK ("id" = 1),
  "library_rows" bigint NOT NULL,
  "sample_rows" integer NOT NULL,
  "refreshed_at" timestamptz NOT NULL
);
--> statement-breakpoint
-- A narrow query reads only its few sampled rows.
CREATE INDEX "library_sample_search_tsv_idx" ON "library_sample" USING gin ("search_tsv");
