ALTER TABLE "parent_links" ADD COLUMN "source" text;--> statement-breakpoint
CREATE INDEX "parent_links_source_idx" ON "parent_links" USING btree ("source") WHERE "parent_links"."source" is not null;