import type { Route } from "./+types/api.preview";
import { requireRole } from "../auth/guards.server.ts";
import { renderMarkdown } from "../services/markdown.server.ts";
import { readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";

/** Markdown → sanitized HTML for the editor's live preview (teachers only). */
export async function action({ request, url, context }: Route.ActionArgs) {
  requireRole(url, context, "teacher");
  const form = await readForm(request, context, BODY_LIMITS.longText);
  const markdown = String(form.get("markdown") ?? "").slice(0, 100_000);
  return { html: renderMarkdown(markdown) };
}
