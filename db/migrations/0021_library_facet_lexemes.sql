-- Library search filters inside the full-text vectors (docs/decisions/011-library-search.md): the
-- resource's subject and grades as lexemes no query word can spell ("subject=toan", "grade=6"), so
-- that words + subject + grade is one intersection of one GIN index instead of a large bitmap
-- rechecked row by row against the subject and grade columns.
CREATE OR REPLACE FUNCTION library_facets(s text, g smallint[]) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT array_to_tsvector(array_remove(array['subject=' || s], NULL) || coalesce(array(SELECT 'grade=' || x::text FROM unnest(g) AS x WHERE x BETWEEN 1 AND 12), '{}'::text[])) $$;
--> statement-breakpoint
-- Facet lexemes are not words: the typo lexicon leaves them out.
CREATE OR REPLACE FUNCTION library_words_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO library_words (word)
    SELECT DISTINCT w FROM new_rows, unnest(tsvector_to_array(new_rows.search_tsv)) AS w
    WHERE length(w) BETWEEN 2 AND 40 AND position('=' in w) = 0
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP INDEX IF EXISTS "resources_title_tsv_idx";
--> statement-breakpoint
DROP INDEX IF EXISTS "resources_search_tsv_idx";
--> statement-breakpoint
ALTER TABLE "resources" DROP COLUMN "title_tsv", DROP COLUMN "search_tsv";
--> statement-breakpoint
ALTER TABLE "resources"
  ADD COLUMN "title_tsv" tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, library_fold("title")) || library_facets("subject", "grades")
  ) STORED,
  ADD COLUMN "search_tsv" tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, library_fold("title")), 'A')
    || setweight(to_tsvector('simple'::regconfig, library_fold(library_join("subjects") || ' ' || library_join("keywords"))), 'B')
    || to_tsvector('simple'::regconfig, "search_text")
    || library_facets("subject", "grades")
  ) STORED;
--> statement-breakpoint
CREATE INDEX "resources_title_tsv_idx" ON "resources" USING gin ("title_tsv");
--> statement-breakpoint
CREATE INDEX "resources_search_tsv_idx" ON "resources" USING gin ("search_tsv");
