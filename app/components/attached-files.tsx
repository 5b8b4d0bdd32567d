import { Form } from "react-router";

type Attached = { id: string; filename: string };

/**
 * Attached files as download links. With `removeLabel`, each has a button that posts
 * `intent=remove-file` with its id to the page's own action (the lesson and assignment editors).
 */
export function AttachedFiles({ files, removeLabel, label }: { files: Attached[]; removeLabel?: string; label?: string }) {
  return (
    <ul className={removeLabel ? "list" : undefined} aria-label={label}>
      {files.map((f) => (
        <li key={f.id} className={removeLabel ? "row" : undefined}>
          <a href={`/files/${f.id}`} download>
            {f.filename}
          </a>
          {removeLabel ? (
            <Form method="post">
              <input type="hidden" name="intent" value="remove-file" />
              <input type="hidden" name="attachmentId" value={f.id} />
              <button type="submit" aria-label={`${removeLabel}: ${f.filename}`}>
                {removeLabel}
              </button>
            </Form>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
