/**
 * One CSV cell (RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes inside doubled). A text cell that a
 * spreadsheet would run as a formula — it starts with =, +, -, @, a tab or a CR and is not a plain number — is
 * written with a leading ' (OWASP "CSV injection"): exports carry words brands and buyers typed (names, notes,
 * recharge accounts), and the file is opened in Excel or WPS.
 */
export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return csvQuote(typeof v === "string" && /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s) ? `'${s}` : s);
}

/**
 * The first characters of every CSV file a person opens (exports, reconciliation runs, statements, reports): without
 * this byte-order mark Excel and WPS read the file in the computer's own code page — GBK on a Chinese Windows — and
 * every Chinese word in it (product names, refund reasons, store names) comes out garbled.
 */
export const CSV_BOM = "\uFEFF";

/** RFC 4180 quoting only, for files machines read in a third party's own format (a gateway's statement or bill). */
export function csvQuote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
