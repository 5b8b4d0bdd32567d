import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { compress, pickEncoding } from "./encoding.ts";

describe("pickEncoding: Accept-Encoding", () => {
  it("prefers brotli, then gzip, and honours q=0", () => {
    expect(pickEncoding("gzip, deflate, br")).toBe("br");
    expect(pickEncoding("gzip;q=1.0, br;q=0")).toBe("gzip");
    expect(pickEncoding("br;q=0.0, gzip;q=0")).toBeNull();
    expect(pickEncoding("identity")).toBeNull();
    expect(pickEncoding("*")).toBe("gzip");
    expect(pickEncoding(undefined)).toBeNull();
    expect(pickEncoding(" GZIP ; q=0.5")).toBe("gzip");
  });
  it("compresses so that the standard decoders give the page back", () => {
    const page = Buffer.from("<li>Bài 3. Giải bài toán có lời văn — Toán 6A1</li>".repeat(200));
    const br = compress(page, "br");
    const gz = compress(page, "gzip");
    expect(br.length).toBeLessThan(page.length / 10);
    expect(zlib.brotliDecompressSync(br).equals(page)).toBe(true);
    expect(zlib.gunzipSync(gz).equals(page)).toBe(true);
  });
});
