/**
 * Links are plain anchors; one click handler on the document turns clicks on same-origin links into
 * client-side navigations. React Router's <Link> runs a dozen hooks per link on every server
 * render (≈ 24 µs each here), which made links a fifth of a list page's rendering cost
 * (docs/decisions/006). Without JavaScript, or before hydration, the anchors simply load the page.
 */
import { useEffect } from "react";
import { useLocation, useNavigate } from "react-router";

type AnchorProps = Omit<React.AnchorHTMLAttributes<HTMLAnchorElement>, "href"> & { to: string };

/** A link to a page of the hub (an absolute path such as `/classes/…`). */
export function Link({ to, ...rest }: AnchorProps) {
  return <a href={to} {...rest} />;
}

/** A menu link, marked `aria-current="page"` (and `.active`) on its page and the pages under it. */
export function NavLink({ to, className, ...rest }: AnchorProps) {
  const { pathname } = useLocation();
  const active = pathname === to || pathname.startsWith(to.endsWith("/") ? to : `${to}/`);
  return <a href={to} aria-current={active ? "page" : undefined} className={[className, active ? "active" : ""].filter(Boolean).join(" ") || undefined} {...rest} />;
}

/**
 * Whether a click on this anchor should become a client-side navigation: a plain left click on a
 * same-origin link to another page, not a download, not for another window, not an in-page anchor.
 */
export function navigationTarget(
  event: Pick<MouseEvent, "defaultPrevented" | "button" | "metaKey" | "ctrlKey" | "shiftKey" | "altKey">,
  anchor: Pick<HTMLAnchorElement, "href" | "target" | "hasAttribute">,
  current: { origin: string; pathname: string; search: string },
): string | null {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  if ((anchor.target && anchor.target !== "_self") || anchor.hasAttribute("download") || anchor.hasAttribute("data-reload")) return null;
  let url: URL;
  try {
    url = new URL(anchor.href, current.origin);
  } catch {
    return null;
  }
  if (url.origin !== current.origin) return null;
  if (url.hash && url.pathname === current.pathname && url.search === current.search) return null;
  return url.pathname + url.search + url.hash;
}

/** Installs the document's one click handler (once, in the root component). */
export function useLinkNavigation() {
  const navigate = useNavigate();
  useEffect(() => {
    const onClick = (event: MouseEvent) => {
      const anchor = event.target instanceof Element ? event.target.closest("a[href]") : null;
      if (!(anchor instanceof HTMLAnchorElement)) return;
      const to = navigationTarget(event, anchor, window.location);
      if (to === null) return;
      event.preventDefault();
      void navigate(to);
    };
    document.addEventListener("click", onClick);
    return () => document.removeEventListener("click", onClick);
  }, [navigate]);
}
