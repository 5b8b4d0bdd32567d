// KaTeX's stylesheet and fonts, built into the client assets (served from this site, so the CSP's
// style-src and font-src 'self' allow them). Only pages that show lessons or instructions load it.
import katexStylesheet from "katex/dist/katex.min.css?url";

export const mathLinks = () => [{ rel: "stylesheet", href: katexStylesheet }];
