import { describe, expect, it } from "vitest";
import { navigationTarget } from "./link.tsx";

const here = { origin: "https://lopso.example", pathname: "/today", search: "" };
const click = { defaultPrevented: false, button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false };
const anchor = (href: string, attrs: { target?: string; download?: boolean; reload?: boolean } = {}) => ({
  href: new URL(href, here.origin).href,
  target: attrs.target ?? "",
  hasAttribute: (name: string) => (name === "download" && Boolean(attrs.download)) || (name === "data-reload" && Boolean(attrs.reload)),
});

describe("navigationTarget: which clicks become client-side navigations", () => {
  it("takes a plain click on a link to another page of the hub", () => {
    expect(navigationTarget(click, anchor("/lessons/42"), here)).toBe("/lessons/42");
    expect(navigationTarget(click, anchor("/classes/1?tab=roster#top"), here)).toBe("/classes/1?tab=roster#top");
  });
  it("leaves modified and non-primary clicks to the browser (new tab, new window, download)", () => {
    for (const mod of ["metaKey", "ctrlKey", "shiftKey", "altKey"] as const) {
      expect(navigationTarget({ ...click, [mod]: true }, anchor("/lessons/42"), here)).toBeNull();
    }
    expect(navigationTarget({ ...click, button: 1 }, anchor("/lessons/42"), here)).toBeNull();
    expect(navigationTarget({ ...click, defaultPrevented: true }, anchor("/lessons/42"), here)).toBeNull();
  });
  it("leaves downloads, other windows, marked reloads and other sites alone", () => {
    expect(navigationTarget(click, anchor("/files/7", { download: true }), here)).toBeNull();
    expect(navigationTarget(click, anchor("/lessons/42", { target: "_blank" }), here)).toBeNull();
    expect(navigationTarget(click, anchor("/lessons/42", { target: "_self" }), here)).toBe("/lessons/42");
    expect(navigationTarget(click, anchor("/lessons/42", { reload: true }), here)).toBeNull();
    expect(navigationTarget(click, anchor("https://classroom.google.com/c/1"), here)).toBeNull();
    expect(navigationTarget(click, anchor("http://lopso.example/today"), here)).toBeNull();
  });
  it("leaves in-page anchors (the skip link) to the browser", () => {
    expect(navigationTarget(click, anchor("/today#main"), here)).toBeNull();
    expect(navigationTarget(click, anchor("/join#main"), here)).toBe("/join#main");
  });
});
