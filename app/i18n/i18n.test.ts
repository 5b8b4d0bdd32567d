import { describe, expect, it } from "vitest";
import { en } from "./en.ts";
import { isLocale, localeFromRequest, translate, LOCALES } from "./index.ts";
import { vi } from "./vi.ts";

/** Every leaf of a dictionary as [dotted key, value]. */
function leaves(node: unknown, prefix = ""): [string, unknown][] {
  if (node === null || typeof node !== "object") return [[prefix, node]];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

const viLeaves = new Map(leaves(vi));
const enLeaves = new Map(leaves(en));
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("dictionaries", () => {
  it("has a real English dictionary, not the Vietnamese one", () => {
    expect(en).not.toBe(vi);
    expect(en.nav.today).toBe("Today");
  });

  it("every Vietnamese key exists in English", () => {
    const missing = [...viLeaves.keys()].filter((k) => !enLeaves.has(k));
    expect(missing).toEqual([]);
  });

  it("every English key exists in Vietnamese", () => {
    const extra = [...enLeaves.keys()].filter((k) => !viLeaves.has(k));
    expect(extra).toEqual([]);
  });

  it("every leaf is a non-empty string", () => {
    for (const [key, value] of [...viLeaves, ...enLeaves]) {
      expect(typeof value, key).toBe("string");
      expect((value as string).trim().length, key).toBeGreaterThan(0);
    }
  });

  it("every string has the same {placeholders} in both languages", () => {
    const mismatched = [...viLeaves]
      .filter(([key, text]) => JSON.stringify(placeholders(text as string)) !== JSON.stringify(placeholders(String(enLeaves.get(key)))))
      .map(([key]) => key);
    expect(mismatched).toEqual([]);
  });

  it("translates: English strings differ from Vietnamese except names and pure placeholders", () => {
    const same = [...viLeaves].filter(([key, text]) => enLeaves.get(key) === text).map(([key]) => key);
    // The product name, "Email", "Zalo", the platforms' names, "Client ID" and bare placeholders
    // read the same in both languages.
    expect(same.sort()).toEqual([
      "app.name",
      "assignment.tag",
      "common.bytes",
      "common.email",
      "connections.clientId",
      "connections.form.clientId",
      "connections.provider.google",
      "connections.provider.microsoft",
      "connections.provider.zoom",
      "coursePush.platform.google",
      "coursePush.platform.microsoft",
      "courseSync.reason.other",
      "platformLinks.account",
      "platformLinks.platform.google",
      "platformLinks.platform.microsoft",
      "sessions.platform.google",
      "sessions.platform.microsoft",
      "sessions.platform.zoom",
      "sessions.syncWhy.other",
      "unsubscribe.channels.email",
      "unsubscribe.channels.zalo",
    ]);
  });

  it("has no Vietnamese diacritics in English strings except quoted Vietnamese terms", () => {
    const allowed = /Lớp Số|Tiếng Việt|Hoàn thành tốt|Hoàn thành|Chưa hoàn thành|Chưa đạt|Đạt|giáo viên|học sinh|phụ huynh/g;
    const offenders = [...enLeaves]
      .filter(([, text]) => /[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]/i.test((text as string).replace(allowed, "")))
      .map(([key]) => key);
    expect(offenders).toEqual([]);
  });
});

describe("translate", () => {
  it("looks a key up in the chosen language", () => {
    expect(translate("vi", "nav.today")).toBe("Hôm nay");
    expect(translate("en", "nav.today")).toBe("Today");
    expect(translate("en", "assignment.scales.ten_point")).toBe(en.assignment.scales.ten_point);
  });

  it("fills placeholders, numbers included", () => {
    expect(translate("vi", "today.greeting", { name: "An" })).toBe("Chào An!");
    expect(translate("en", "today.greeting", { name: "An" })).toBe("Hello, An!");
    expect(translate("vi", "classes.submittedCount", { submitted: 12, total: 35, graded: 0 })).toBe("Đã nộp 12/35 · đã chấm 0");
    expect(translate("en", "errors.signin_throttled", { wait: "15 min" })).toContain("try again in 15 min");
  });

  it("fills every occurrence and leaves unknown placeholders visible", () => {
    expect(translate("vi", "classes.parentCodeIssued", { name: "Lê An", code: "PH-7KM2QXPA", uses: 2 })).toBe(
      "Mã phụ huynh cho Lê An: PH-7KM2QXPA (dùng được cho 2 phụ huynh, hết hạn {date})",
    );
  });

  it("does not interpret $ patterns in values", () => {
    expect(translate("en", "today.greeting", { name: "$& $1 $$" })).toBe("Hello, $& $1 $$!");
  });

  it("returns the key for an unknown key, or a key that names a group", () => {
    expect(translate("vi", "no.such.key")).toBe("no.such.key");
    expect(translate("en", "nav.nope")).toBe("nav.nope");
    expect(translate("en", "nav")).toBe("nav");
    expect(translate("en", "")).toBe("");
  });

  it("translates every key in both languages", () => {
    for (const locale of LOCALES) {
      for (const key of viLeaves.keys()) expect(translate(locale, key), key).not.toBe(key);
    }
  });
});

describe("locale helpers", () => {
  it("isLocale accepts only vi and en", () => {
    expect(isLocale("vi")).toBe(true);
    expect(isLocale("en")).toBe(true);
    expect(isLocale("fr")).toBe(false);
    expect(isLocale(undefined)).toBe(false);
    expect(isLocale("EN")).toBe(false);
  });

  it("reads the lang cookie, and defaults to Vietnamese", () => {
    const req = (cookie?: string) => new Request("http://hub.test/", { headers: cookie ? { cookie } : {} });
    expect(localeFromRequest(req("lang=en"))).toBe("en");
    expect(localeFromRequest(req("lopso_session=abc; lang=en"))).toBe("en");
    expect(localeFromRequest(req("lang=vi; other=1"))).toBe("vi");
    expect(localeFromRequest(req("lang=fr"))).toBe("vi");
    expect(localeFromRequest(req("xlang=en"))).toBe("vi");
    expect(localeFromRequest(req())).toBe("vi");
  });
});
