import { useT } from "../i18n/index.ts";

/** "Mở trên Google Classroom": the platform's own page for a synced or linked class or assignment. */
export function PlatformLinks({ links }: { links: { provider: "google" | "microsoft"; webUrl: string }[] }) {
  const t = useT();
  if (links.length === 0) return null;
  return (
    <p className="actions" data-testid="platform-links">
      {links.map((l) => (
        <a key={l.webUrl} href={l.webUrl} target="_blank" rel="noreferrer noopener">
          {t("platformLinks.open", { platform: t(`platformLinks.platform.${l.provider}`) })} ↗
        </a>
      ))}
    </p>
  );
}
