-- Library search (docs/decisions/011-library-search.md): folded full-text vectors with the title
-- weighted, their GIN indexes, and a lexicon of the library's words for typo correction (pg_trgm).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
-- The database's copy of searchFold (app/lib/vn.ts): no diacritics, đ → d, lower case.
CREATE OR REPLACE FUNCTION library_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT lower(translate(regexp_replace(normalize(coalesce(t, ''), NFD), '[\u0300-\u036f]', '', 'g'), 'đĐ', 'dd')) $$;
--> statement-breakpoint
-- array_to_string is only STABLE in general (element output functions); for text[] it is immutable.
CREATE OR REPLACE FUNCTION library_join(a text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(array_to_string(a, ' '), '') $$;
--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "title_fold" text GENERATED ALWAYS AS (library_fold("title")) STORED;
--> statement-breakpoint
ALTER TABLE "resources" ADD COLUMN "title_tsv" tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, library_fold("title"))) STORED;
--> statement-breakpoint
-- Title A, subjects and keywords B, everything (search_text, written by the ingest) D.
ALTER TABLE "resources" ADD COLUMN "search_tsv" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple'::regconfig, library_fold("title")), 'A')
  || setweight(to_tsvector('simple'::regconfig, library_fold(library_join("subjects") || ' ' || library_join("keywords"))), 'B')
  || to_tsvector('simple'::regconfig, "search_text")
) STORED;
--> statement-breakpoint
CREATE INDEX "resources_title_tsv_idx" ON "resources" USING gin ("title_tsv");
--> statement-breakpoint
CREATE INDEX "resources_search_tsv_idx" ON "resources" USING gin ("search_tsv");
--> statement-breakpoint
CREATE INDEX "resources_updated_idx" ON "resources" ("updated_at" DESC, "id");
--> statement-breakpoint
CREATE INDEX "resources_subject_idx" ON "resources" ("subject", "updated_at" DESC);
--> statement-breakpoint
CREATE INDEX "resources_grades_idx" ON "resources" USING gin ("grades");
--> statement-breakpoint
CREATE INDEX "resources_school_idx" ON "resources" ("school_id") WHERE "school_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "resource_sources_repository_idx" ON "resource_sources" ("repository_id", "resource_id");
--> statement-breakpoint
-- Every word of the library once: a misspelt query word is corrected to its nearest word here.
CREATE TABLE "library_words" ("word" text PRIMARY KEY);
--> statement-breakpoint
CREATE INDEX "library_words_trgm_idx" ON "library_words" USING gin ("word" gin_trgm_ops);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION library_words_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO library_words (word)
    SELECT DISTINCT w FROM new_rows, unnest(tsvector_to_array(new_rows.search_tsv)) AS w
    WHERE length(w) BETWEEN 2 AND 40
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "resources_words_insert" AFTER INSERT ON "resources" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION library_words_add();
--> statement-breakpoint
CREATE TRIGGER "resources_words_update" AFTER UPDATE ON "resources" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION library_words_add();
--> statement-breakpoint
INSERT INTO library_words (word)
  SELECT DISTINCT w FROM resources, unnest(tsvector_to_array(search_tsv)) AS w WHERE length(w) BETWEEN 2 AND 40
ON CONFLICT DO NOTHING;
