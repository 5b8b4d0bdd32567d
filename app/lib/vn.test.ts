import { describe, expect, it } from "vitest";
import {
  formatDate,
  formatDateTime,
  formatNumber,
  formatPhone,
  givenName,
  looksLikePhone,
  nameSortKey,
  nfc,
  normalizePhone,
  parseLocalDateTime,
  toLocalDateTimeInput,
} from "./vn.ts";

/** Byte order of the UTF-8 text: what PostgreSQL's "C" collation (PGlite and the server) does with `order by sort_key`. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
const sortByKey = (names: string[]) => [...names].sort((a, b) => byBytes(nameSortKey(a), nameSortKey(b)));

describe("normalizePhone", () => {
  it.each([
    "0912 345 678",
    "0912345678",
    "+84 912345678",
    "+84 912 345 678",
    "84912345678",
    "0912.345.678",
    "0912-345-678",
    "(0912) 345 678",
    " 0912 345 678 ",
  ])("%j → +84912345678", (input) => {
    expect(normalizePhone(input)).toBe("+84912345678");
  });

  it.each([
    ["0387 123 456", "+84387123456"],
    ["0567 123 456", "+84567123456"],
    ["0707 123 456", "+84707123456"],
    ["0868 123 456", "+84868123456"],
  ])("accepts the mobile prefix of %j", (input, e164) => {
    expect(normalizePhone(input)).toBe(e164);
  });

  it.each([
    ["a Hà Nội landline", "024 3826 1234"],
    ["a landline in E.164", "+842438261234"],
    ["too short", "0912 345 67"],
    ["too long", "0912 345 6789"],
    ["letters", "0912 abc 678"],
    ["a US number", "+1 212 555 0100"],
    ["a UK number", "+44 7700 900123"],
    ["empty", ""],
    ["a 1x prefix that is not a mobile", "0112 345 678"],
    ["84 followed by the trunk 0", "840912345678"],
  ])("rejects %s", (_label, input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});

describe("formatPhone", () => {
  it("writes an E.164 Vietnamese number as Vietnamese readers expect", () => {
    expect(formatPhone("+84912345678")).toBe("0912 345 678");
  });
  it("round-trips with normalizePhone", () => {
    expect(normalizePhone(formatPhone("+84387123456"))).toBe("+84387123456");
  });
  it("leaves foreign numbers as they are", () => {
    expect(formatPhone("+12125550100")).toBe("+12125550100");
  });
});

describe("looksLikePhone", () => {
  it("tells a phone number from an email", () => {
    expect(looksLikePhone("0912 345 678")).toBe(true);
    expect(looksLikePhone("+84 912 345 678")).toBe(true);
    expect(looksLikePhone("co.lan@thcs-demo.edu.vn")).toBe(false);
    expect(looksLikePhone("12")).toBe(false);
  });
});

describe("nfc", () => {
  it("composes decomposed (NFD) diacritics", () => {
    const decomposed = "Nguye\u0302\u0303n";
    expect(decomposed).not.toBe("Nguyễn");
    expect(nfc(decomposed)).toBe("Nguyễn");
    expect(nfc("Nguyê\u0303n")).toBe("Nguyễn");
    expect(nfc("Nguyê\u0303n")).toHaveLength(6);
  });
  it("collapses and trims whitespace", () => {
    expect(nfc("  Nguyễn   Văn\tAn \n")).toBe("Nguyễn Văn An");
  });
  it("makes NFD and NFC spellings of a name equal", () => {
    expect(nfc("Tra\u0302\u0300n Thi\u0323 Bi\u0300nh")).toBe(nfc("Trần Thị Bình"));
  });
});

describe("givenName", () => {
  it("is the last word of a family-name-first name", () => {
    expect(givenName("Nguyễn Văn An")).toBe("An");
    expect(givenName("Lê An")).toBe("An");
    expect(givenName("  Trần   Thị Bình ")).toBe("Bình");
    expect(givenName("Hoa")).toBe("Hoa");
  });
  it("returns NFC text for NFD input", () => {
    expect(givenName("Pha\u0323m Minh Du\u0303ng")).toBe("Dũng");
  });
});

describe("nameSortKey (Vietnamese class-list order)", () => {
  it("sorts by given name, then by the whole name", () => {
    const sorted = sortByKey(["Nguyễn Văn An", "Trần Thị Bình", "Lê An", "Phạm Minh Dũng"]);
    expect(sorted).toEqual(["Lê An", "Nguyễn Văn An", "Trần Thị Bình", "Phạm Minh Dũng"]);
    // The plain code-unit order of JavaScript's sort() gives the same result.
    expect(["Nguyễn Văn An", "Trần Thị Bình", "Lê An", "Phạm Minh Dũng"].sort((a, b) => (nameSortKey(a) < nameSortKey(b) ? -1 : 1))).toEqual(
      sorted,
    );
  });

  it("ignores case and Unicode normalisation form", () => {
    expect(nameSortKey("NGUYỄN VĂN AN")).toBe(nameSortKey("nguyễn văn an"));
    expect(nameSortKey("Nguye\u0302\u0303n Va\u0306n An")).toBe(nameSortKey("Nguyễn Văn An"));
  });

  it("puts a shorter given name before a longer one that starts the same", () => {
    expect(sortByKey(["Đỗ Thị Anh", "Vũ Văn An"])).toEqual(["Vũ Văn An", "Đỗ Thị Anh"]);
  });

  it("follows the Vietnamese alphabet (a ă â … d đ … o ô ơ … u ư … y) when the database sorts the keys byte by byte", () => {
    const classList = [
      "Hoàng Thị Yến",
      "Trần Văn Đức",
      "Nguyễn Thị Ánh",
      "Lê Văn Dũng",
      "Phạm Thị Ân",
      "Vũ Thị Ơn",
      "Đặng Văn Ước",
      "Bùi Văn Út",
      "Ngô Văn Ông",
      "Lý Thị Oanh",
      "Mai Văn Bình",
    ];
    expect(sortByKey(classList)).toEqual([
      "Nguyễn Thị Ánh", // a (the tone mark does not change the letter)
      "Phạm Thị Ân", // â
      "Mai Văn Bình",
      "Lê Văn Dũng", // d
      "Trần Văn Đức", // đ comes after d, not after y
      "Lý Thị Oanh", // o
      "Ngô Văn Ông", // ô
      "Vũ Thị Ơn", // ơ
      "Bùi Văn Út", // u
      "Đặng Văn Ước", // ư
      "Hoàng Thị Yến",
    ]);
  });

  it("orders tones after letters: every 'ha' before 'hai', and ha < hà < hả < hã < há < hạ", () => {
    const names = ["A Hai", "B Hạ", "C Há", "D Hã", "E Hả", "F Hà", "G Ha"];
    expect(sortByKey(names)).toEqual(["G Ha", "F Hà", "E Hả", "D Hã", "C Há", "B Hạ", "A Hai"]);
  });

  it("agrees with ICU's Vietnamese collation (given name first, then the whole name)", () => {
    const families = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Âu"];
    const middles = ["Văn", "Thị", "Minh", "Đức", "Ngọc", "Thu", "Quốc", "Thanh"];
    const givens = [
      "An", "Anh", "Ánh", "Ân", "Ấn", "Bình", "Cường", "Dũng", "Dung", "Đức", "Đạt", "Giang", "Hà", "Hạ", "Hải", "Hai",
      "Hương", "Hưng", "Hùng", "Khánh", "Linh", "Lĩnh", "Mai", "My", "Mỹ", "Nam", "Ngân", "Ngọc", "Oanh", "Ông", "Ơn",
      "Phúc", "Quân", "Sơn", "Thảo", "Thư", "Trâm", "Tú", "Uyên", "Út", "Ước", "Vy", "Xuân", "Yến",
    ];
    const names: string[] = [];
    for (let i = 0; i < givens.length * 6; i++) {
      names.push(`${families[(i * 7) % families.length]} ${middles[(i * 3) % middles.length]} ${givens[i % givens.length]}`);
    }
    const vi = new Intl.Collator("vi");
    const expected = [...new Set(names)].sort((a, b) => vi.compare(givenName(a), givenName(b)) || vi.compare(a, b));
    expect(sortByKey([...new Set(names)].reverse())).toEqual(expected);
  });

  it("breaks a tie on the given name by the family name in alphabetical order", () => {
    expect(sortByKey(["Đinh Văn Nam", "Dương Văn Nam", "Bế Văn Nam"])).toEqual(["Bế Văn Nam", "Dương Văn Nam", "Đinh Văn Nam"]);
  });
});

describe("formatDate / formatDateTime (Asia/Ho_Chi_Minh)", () => {
  it("shows the Vietnamese calendar day, which can differ from the UTC day", () => {
    expect(formatDate("2026-11-26T17:30:00Z")).toBe("27/11/2026");
    expect(formatDate("2026-11-26T16:59:00Z")).toBe("26/11/2026");
    expect(formatDate(new Date("2026-11-26T17:00:00Z"))).toBe("27/11/2026");
  });
  it("writes HH:mm dd/MM/yyyy in 24-hour time", () => {
    expect(formatDateTime("2026-11-26T17:30:00Z")).toBe("00:30 27/11/2026");
    expect(formatDateTime(new Date("2026-03-05T08:05:00Z"))).toBe("15:05 05/03/2026");
    expect(formatDateTime("2026-03-05T08:05:00Z")).toBe("15:05 05/03/2026");
  });
  it("has no daylight saving: UTC+7 in January and in July", () => {
    expect(formatDateTime("2026-01-15T00:00:00Z")).toBe("07:00 15/01/2026");
    expect(formatDateTime("2026-07-15T00:00:00Z")).toBe("07:00 15/07/2026");
  });
  it("agrees with the time-zone database on 2,000 instants from 2000 to 2050", () => {
    const tz = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Ho_Chi_Minh",
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    const from = Date.UTC(2000, 0, 1);
    const span = Date.UTC(2050, 0, 1) - from;
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 48271) % 2147483647;
      const at = new Date(from + Math.floor((seed / 2147483647) * span));
      const p = Object.fromEntries(tz.formatToParts(at).map((x) => [x.type, x.value]));
      expect(formatDateTime(at)).toBe(`${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`);
    }
  });
});

describe("formatNumber", () => {
  it("formats numbers under 1,000 exactly as Intl.NumberFormat does, in both languages", () => {
    const intl = (locale: "vi" | "en", digits: number) => new Intl.NumberFormat(locale === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: digits });
    const values: number[] = [0, 0.005, 0.05, 0.5, 8.35, 8.25, 9.95, 9.995, 99.995, 999.4, 999.5, 999.96, 1 / 3, 2 / 3, 1e-7, 123.456789];
    for (let k = 0; k <= 100_000; k += 7) values.push(k / 100, k / 1000);
    // One assertion over the mismatches: an expect per value would be most of the test's time.
    const mismatches: [number, string, number, string, string][] = [];
    for (const locale of ["vi", "en"] as const) {
      for (const digits of [0, 1, 2, 3]) {
        const f = intl(locale, digits);
        for (const v of values) {
          if (v >= 1000) continue;
          const ours = formatNumber(v, locale, digits);
          const theirs = f.format(v);
          if (ours !== theirs) mismatches.push([v, locale, digits, ours, theirs]);
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it("uses the decimal comma in Vietnamese and the point in English", () => {
    expect(formatNumber(8.5, "vi")).toBe("8,5");
    expect(formatNumber(8.5, "en")).toBe("8.5");
    expect(formatNumber(8.5)).toBe("8,5");
  });
  it("uses '.' for thousands in Vietnamese and ',' in English", () => {
    expect(formatNumber(1234.5, "vi")).toBe("1.234,5");
    expect(formatNumber(1234.5, "en")).toBe("1,234.5");
    expect(formatNumber(100000, "vi", 0)).toBe("100.000");
  });
  it("rounds to the given number of decimals and drops trailing zeros", () => {
    expect(formatNumber(7.25, "vi", 1)).toBe("7,3");
    expect(formatNumber(7.255, "en", 2)).toBe("7.26");
    expect(formatNumber(10, "vi")).toBe("10");
  });
});

describe("parseLocalDateTime / toLocalDateTimeInput", () => {
  it("reads a datetime-local value as Vietnamese time (UTC+7)", () => {
    expect(parseLocalDateTime("2026-11-30T17:00")?.toISOString()).toBe("2026-11-30T10:00:00.000Z");
    expect(parseLocalDateTime("2026-12-01T03:30")?.toISOString()).toBe("2026-11-30T20:30:00.000Z");
  });
  it("rejects other shapes and impossible dates", () => {
    expect(parseLocalDateTime("")).toBeNull();
    expect(parseLocalDateTime("2026-11-30")).toBeNull();
    expect(parseLocalDateTime("30/11/2026 17:00")).toBeNull();
    expect(parseLocalDateTime("2026-11-30T17:00:00Z")).toBeNull();
    expect(parseLocalDateTime("2026-13-01T10:00")).toBeNull();
    expect(parseLocalDateTime("2026-11-30T25:00")).toBeNull();
  });
  it("writes an instant as the Vietnamese wall-clock time", () => {
    expect(toLocalDateTimeInput("2026-11-30T10:00:00Z")).toBe("2026-11-30T17:00");
    expect(toLocalDateTimeInput(new Date("2026-11-30T20:30:00Z"))).toBe("2026-12-01T03:30");
  });
  it("round-trips", () => {
    for (const local of ["2026-11-30T17:00", "2027-01-01T00:00", "2026-05-31T23:59"]) {
      const instant = parseLocalDateTime(local);
      expect(instant).not.toBeNull();
      expect(toLocalDateTimeInput(instant!)).toBe(local);
    }
    const instant = new Date("2026-09-05T01:15:00Z");
    expect(parseLocalDateTime(toLocalDateTimeInput(instant))?.getTime()).toBe(instant.getTime());
  });
});
