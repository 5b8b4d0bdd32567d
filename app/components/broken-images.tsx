import { useEffect, type RefObject } from "react";

/**
 * Images in a lesson's HTML that fail to load (a file gone from storage, a wrong address) are
 * replaced by their description in brackets instead of the browser's broken-image icon — also
 * those that failed before the page's script ran.
 */
export function useHideBrokenImages(container: RefObject<HTMLElement | null>, html: string) {
  useEffect(() => {
    const root = container.current;
    if (!root) return;
    const replace = (img: HTMLImageElement) => {
      const alt = img.getAttribute("alt")?.trim();
      if (alt) {
        const text = document.createElement("span");
        text.className = "missing-image";
        text.textContent = `[${alt}]`;
        img.replaceWith(text);
      } else img.remove();
    };
    const onError = (e: Event) => {
      if (e.target instanceof HTMLImageElement && root.contains(e.target)) replace(e.target);
    };
    root.addEventListener("error", onError, true);
    for (const img of root.querySelectorAll("img")) if (img.complete && img.naturalWidth === 0) replace(img);
    return () => root.removeEventListener("error", onError, true);
  }, [container, html]);
}
