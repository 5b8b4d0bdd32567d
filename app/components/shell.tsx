import { useLocation } from "react-router";
import { Link, NavLink, useLinkNavigation } from "./link.tsx";
import { useRootData } from "../root.tsx";
import { useLocale, useT } from "../i18n/index.ts";

/**
 * Page frame: skip link, header with the role's navigation, language switch and sign-out. The two
 * header forms are plain HTML forms: both answer with a redirect, so the browser's own post is all
 * they need, and every page is spared the cost of a router form.
 */
export function AppShell({ children }: { children: React.ReactNode }) {
  const root = useRootData();
  const t = useT();
  const locale = useLocale();
  const location = useLocation();
  useLinkNavigation();
  const user = root?.user;
  const roles = new Set(user?.roles ?? []);
  const links: { to: string; label: string }[] = [];
  if (roles.has("student")) links.push({ to: "/today", label: t("nav.today") }, { to: "/join", label: t("nav.join") });
  if (roles.has("teacher")) links.push({ to: "/classes", label: t("nav.classes") });
  if (roles.has("parent")) links.push({ to: "/children", label: t("nav.children") });
  if (roles.has("parent") || roles.has("teacher") || roles.has("school_admin")) links.push({ to: "/contact-book", label: t("contactBook.nav") });
  if (user?.isAdmin) links.push({ to: "/admin", label: t("nav.admin") });
  if (user) links.push({ to: "/library", label: t("library.nav") });
  return (
    <>
      <a className="skip" href="#main">
        {t("app.skip")}
      </a>
      <header className="top">
        <div className="top-inner">
          <Link to={user?.home ?? "/"} className="brand">
            <span aria-hidden="true" className="brand-mark">
              LS
            </span>
            <span>{t("app.name")}</span>
          </Link>
          <form method="post" action="/lang" className="lang-switch">
            <input type="hidden" name="next" value={location.pathname + location.search} />
            <input type="hidden" name="lang" value={locale === "en" ? "vi" : "en"} />
            <button type="submit" className="link-button" lang={locale === "en" ? "vi" : "en"}>
              {locale === "en" ? "Tiếng Việt" : "English"}
            </button>
          </form>
        </div>
        {user ? (
          <nav aria-label={t("nav.menu")} className="nav">
            <ul>
              {links.map((l) => (
                <li key={l.to}>
                  <NavLink to={l.to}>{l.label}</NavLink>
                </li>
              ))}
              <li>
                <NavLink to="/notifications" data-testid="nav-notifications">
                  {t("notifyUi.nav")}
                  <UnreadBadge count={user.unread} />
                </NavLink>
              </li>
              <li>
                <NavLink to="/account">{t("nav.account")}</NavLink>
              </li>
              <li>
                <form method="post" action="/logout">
                  <button type="submit" className="link-button">
                    {t("nav.signOut")}
                  </button>
                </form>
              </li>
            </ul>
            <LibrarySearch />
          </nav>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** The menu's search box: a plain GET form to the library, so it needs no script. */
function LibrarySearch() {
  const t = useT();
  return (
    <form method="get" action="/library" role="search" className="menu-search" aria-label={t("library.menuSearch")}>
      <label htmlFor="menu-library-q" className="visually-hidden">
        {t("library.menuSearch")}
      </label>
      <input id="menu-library-q" type="search" name="q" placeholder={t("library.menuSearchPlaceholder")} maxLength={200} enterKeyHint="search" />
      {/* Its own name: a page's own "Tìm" button (the people list's) stays the only one of that name. */}
      <button type="submit" aria-label={t("library.menuSearchButton")}>
        {t("library.search")}
      </button>
    </form>
  );
}

/** The menu's unread count: "9+" past nine, with its meaning in words for screen readers. */
function UnreadBadge({ count }: { count: number }) {
  const t = useT();
  if (count <= 0) return null;
  const shown = count > 9 ? "9+" : String(count);
  return (
    <>
      {" "}
      <span className="badge badge-count" aria-hidden="true" data-testid="unread-badge">
        {shown}
      </span>
      <span className="visually-hidden">{t(count > 9 ? "notifyUi.unreadMany" : "notifyUi.unreadCount", { n: count > 9 ? 9 : count })}</span>
    </>
  );
}
