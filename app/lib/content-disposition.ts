/**
 * RFC 6266: the exact name in `filename*` (percent-encoded UTF-8; encodeURIComponent leaves ' ( ) *
 * bare, which RFC 5987 does not allow), and an ASCII fallback without diacritics for old clients.
 */
export function contentDisposition(kind: "inline" | "attachment", filename: string): string {
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  const ascii = filename
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
