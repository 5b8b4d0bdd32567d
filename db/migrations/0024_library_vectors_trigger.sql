-- Library search vectors written by one row trigger instead of three stored generated columns
-- (docs/decisions/011-library-search.md, "Ingest"). The generated columns folded the title three
-- times and built its vector and the facet lexemes twice for every row written; the trigger does
-- each once, and an update that leaves the searched fields alone keeps the vectors as they are.
-- The values are the same: the columns keep what is stored (DROP EXPRESSION rewrites nothing).
-- The cost per inserted row barely changes (55-73 ms against 58-73 ms per 500 rows, alternating
-- runs on 90,000 rows): most of it is to_tsvector of the whole text.
ALTER TABLE "resources"
  ALTER COLUMN "title_fold" DROP EXPRESSION,
  ALTER COLUMN "title_tsv" DROP EXPRESSION,
  ALTER COLUMN "search_tsv" DROP EXPRESSION;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION library_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  title_vector tsvector;
  facets tsvector;
BEGIN
  IF TG_OP = 'UPDATE'
    AND NEW.title IS NOT DISTINCT FROM OLD.title
    AND NEW.subjects IS NOT DISTINCT FROM OLD.subjects
    AND NEW.keywords IS NOT DISTINCT FROM OLD.keywords
    AND NEW.search_text IS NOT DISTINCT FROM OLD.search_text
    AND NEW.subject IS NOT DISTINCT FROM OLD.subject
    AND NEW.grades IS NOT DISTINCT FROM OLD.grades THEN
    -- Nothing searched changed: the stored vectors stand (and cannot be written around the trigger).
    NEW.title_fold := OLD.title_fold;
    NEW.title_tsv := OLD.title_tsv;
    NEW.search_tsv := OLD.search_tsv;
    RETURN NEW;
  END IF;
  NEW.title_fold := library_fold(NEW.title);
  title_vector := to_tsvector('simple'::regconfig, NEW.title_fold);
  facets := library_facets(NEW.subject, NEW.grades);
  -- Title words and the filter lexemes; title A, subjects and keywords B, everything (search_text) D.
  NEW.title_tsv := title_vector || facets;
  NEW.search_tsv := setweight(title_vector, 'A')
    || setweight(to_tsvector('simple'::regconfig, library_fold(library_join(NEW.subjects) || ' ' || library_join(NEW.keywords))), 'B')
    || to_tsvector('simple'::regconfig, NEW.search_text)
    || facets;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "resources_vectors" BEFORE INSERT OR UPDATE ON "resources" FOR EACH ROW EXECUTE FUNCTION library_vectors();
