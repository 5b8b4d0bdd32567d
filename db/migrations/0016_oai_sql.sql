-- OAI-PMH sets: a school's or a subject's records, in datestamp order (ListSets probes, set-filtered paging).
CREATE INDEX IF NOT EXISTS "oai_records_school_idx" ON "oai_records" ("school_id", "datestamp", "id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "oai_records_subject_idx" ON "oai_records" ("subject", "datestamp", "id");
