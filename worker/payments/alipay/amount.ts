/** Alipay amounts are yuan strings with at most two decimals ("12.30"); kaquan keeps integer cents. No floats. */
export function yuanToCents(yuan: string): number | null {
  const m = /^(-?)(\d{1,12})(?:\.(\d{1,2}))?$/.exec(yuan.trim());
  if (!m) return null;
  const cents = Number(m[2]) * 100 + Number((m[3] ?? "").padEnd(2, "0"));
  return m[1] ? -cents : cents;
}

export function centsToYuan(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new Error("cents must be an integer");
  const abs = Math.abs(cents);
  return `${cents < 0 ? "-" : ""}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** "yyyy-MM-dd HH:mm:ss" in China time (UTC+8, no daylight saving), the gateway's timestamp format. */
export function chinaTimestamp(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** "yyyy-MM-dd HH:mm:ss" China time → epoch ms, or null. */
export function parseChinaTime(text: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(text.trim());
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}+08:00`);
  return Number.isNaN(ms) ? null : ms;
}
