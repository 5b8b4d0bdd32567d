/** Fields the new-assignment and edit-assignment forms share. */
import { useRef, useState } from "react";
import { MarkdownToolbar } from "./markdown-toolbar.tsx";
import { Field, Select, TextArea } from "./forms.tsx";
import { useT } from "../i18n/index.ts";
import { parseLocalDateTime } from "../lib/vn.ts";
import { termOf } from "../lib/curriculum.ts";

/** The instructions in Markdown, with the lesson editor's formatting toolbar above them. */
export function InstructionsField({ defaultValue, error }: { defaultValue?: string; error?: string }) {
  const t = useT();
  const [text, setText] = useState(defaultValue ?? "");
  const area = useRef<HTMLTextAreaElement>(null);
  return (
    <div>
      <MarkdownToolbar target={area} onChange={setText} />
      <TextArea
        ref={area}
        label={t("assignment.instructions")}
        hint={t("assignment.instructionsHint")}
        name="instructionsMd"
        rows={6}
        value={text}
        onChange={(e) => setText(e.target.value)}
        error={error}
      />
    </div>
  );
}

/**
 * The due date, then where the grade goes in the gradebook: the kind of assessment and the term.
 * The term follows the due date (termOf) until the teacher chooses one.
 */
export function DueAndAssessmentFields({
  due,
  assessment,
  term,
  termChosen,
  errors,
}: {
  due: string;
  assessment: string;
  term: string;
  /** The term was set by the teacher (an existing assignment, a form sent back): keep it. */
  termChosen: boolean;
  errors?: Record<string, string>;
}) {
  const t = useT();
  const [termValue, setTerm] = useState(term);
  const chosen = useRef(termChosen);
  return (
    <>
      <Field
        label={t("assignment.dueAt")}
        name="dueAt"
        type="datetime-local"
        required
        defaultValue={due}
        error={errors?.dueAt}
        onChange={(e) => {
          const d = parseLocalDateTime(e.target.value);
          if (d && !chosen.current) setTerm(String(termOf(d)));
        }}
      />
      <div className="grid grid-2">
        <Select
          label={t("assignment.assessment")}
          name="assessment"
          defaultValue={assessment}
          options={(["regular", "midterm", "final"] as const).map((k) => ({ value: k, label: t(`gradebook.kinds.${k}`) }))}
          error={errors?.assessment}
        />
        <Select
          label={t("assignment.term")}
          hint={t("assignment.termHint")}
          name="term"
          value={termValue}
          onChange={(e) => {
            chosen.current = true;
            setTerm(e.target.value);
          }}
          options={[
            { value: "1", label: t("gradebook.term1") },
            { value: "2", label: t("gradebook.term2") },
          ]}
          error={errors?.term}
        />
      </div>
    </>
  );
}
