/**
 * The ZNS templates the hub sends and their parameters. Zalo only sends templates it has
 * approved; each school registers these in its Zalo Official Account (the parameter names below,
 * with at most these lengths, which follow Zalo's parameter types: a name 30, a label 30, content
 * 200, a date 20, a URL 200) and puts the ids Zalo issued in ZALO_TEMPLATE_ID_NEWS and
 * ZALO_TEMPLATE_ID_DIGEST. Lengths are counted in characters after NFC normalisation.
 */
export type TemplateParam = { max: number; required: boolean };
export type TemplateSpec = { params: Record<string, TemplateParam> };

export const ZNS_TEMPLATES = {
  /** One piece of news about a child: "[student_name] — [kind]: [title] ([date]). Xem: [link]". */
  news: {
    params: {
      student_name: { max: 30, required: true },
      kind: { max: 30, required: true },
      title: { max: 200, required: true },
      date: { max: 20, required: true },
      link: { max: 200, required: false },
    },
  },
  /** A day's or a week's summary: "[student_name]: [count] tin mới [period]. [summary]. Xem: [link]". */
  digest: {
    params: {
      student_name: { max: 30, required: true },
      period: { max: 30, required: true },
      count: { max: 20, required: true },
      summary: { max: 200, required: true },
      link: { max: 200, required: false },
    },
  },
} as const satisfies Record<string, TemplateSpec>;

export type ZnsTemplateName = keyof typeof ZNS_TEMPLATES;

export type ParamProblem = { param: string; problem: "missing" | "too_long" | "unknown"; length?: number; max?: number };

const chars = (s: string) => [...s.normalize("NFC")].length;

/**
 * Check template parameters against the template's limits before anything is sent. Values are
 * normalised to NFC (the form returned in `params`); problems name each parameter.
 */
export function checkTemplateParams(spec: TemplateSpec, params: Record<string, string>): { params: Record<string, string>; problems: ParamProblem[] } {
  const out: Record<string, string> = {};
  const problems: ParamProblem[] = [];
  for (const [name, rule] of Object.entries(spec.params)) {
    const value = params[name]?.normalize("NFC").trim();
    if (!value) {
      if (rule.required) problems.push({ param: name, problem: "missing" });
      continue;
    }
    const length = chars(value);
    if (length > rule.max) problems.push({ param: name, problem: "too_long", length, max: rule.max });
    out[name] = value;
  }
  for (const name of Object.keys(params)) if (!(name in spec.params)) problems.push({ param: name, problem: "unknown" });
  return { params: out, problems };
}

export function describeProblems(problems: ParamProblem[]): string {
  return problems
    .map((p) => (p.problem === "too_long" ? `parameter ${p.param} is ${p.length} characters, at most ${p.max}` : p.problem === "missing" ? `parameter ${p.param} is missing` : `parameter ${p.param} is not in the template`))
    .join("; ");
}
