/**
 * A small namespace-aware XML tree from saxes (no DTDs, no external entities: nothing is fetched
 * or expanded). Elements are matched by namespace URI and local name, never by prefix.
 */
import { SaxesParser } from "saxes";

export type XmlElement = { ns: string; name: string; attrs: Record<string, string>; children: XmlElement[]; text: string };

export function parseXml(xml: string): XmlElement {
  // HTML entities that some exporters leave in their XML (Moodle's htmlentities).
  const parser = new SaxesParser({ xmlns: true });
  const entities: Record<string, string> = { nbsp: "\u00a0", eacute: "é", egrave: "è", agrave: "à", ocirc: "ô", copy: "©", rsquo: "’", lsquo: "‘", ldquo: "“", rdquo: "”", ndash: "–", mdash: "—", hellip: "…" };
  Object.assign(parser.ENTITIES, entities);
  const root: XmlElement = { ns: "", name: "#document", attrs: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  parser.on("doctype", () => {
    throw new Error("DOCTYPE not allowed");
  });
  parser.on("opentag", (tag) => {
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) {
      if (typeof a === "string") continue;
      attrs[a.uri && a.uri !== "http://www.w3.org/2000/xmlns/" ? `{${a.uri}}${a.local}` : a.local] = a.value;
    }
    const el: XmlElement = { ns: tag.uri ?? "", name: tag.local ?? tag.name, attrs, children: [], text: "" };
    stack[stack.length - 1].children.push(el);
    stack.push(el);
  });
  parser.on("text", (t) => {
    stack[stack.length - 1].text += t;
  });
  parser.on("cdata", (t) => {
    stack[stack.length - 1].text += t;
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.write(xml.replace(/^\uFEFF/, "")).close();
  const top = root.children[0];
  if (!top) throw new Error("empty document");
  return top;
}

export const kids = (el: XmlElement | undefined, name: string) => (el ? el.children.filter((c) => c.name === name) : []);
export const kid = (el: XmlElement | undefined, name: string) => el?.children.find((c) => c.name === name);
/** All text inside an element. */
export const textOf = (el: XmlElement | undefined): string => (el ? el.text + el.children.map(textOf).join("") : "");
