// The card-key CSV format, in one place for both importers: `npm run import:keys` (Node, streamed) and the operator
// page's upload (browser). Same header names, same row rules, same per-line errors, same error file.

/** One CSV record per line (RFC 4180 quoting within a line; keys never span lines). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

const TRUE = new Set(["1", "true", "yes", "y", "是", "loop", "reusable"]);
const FALSE = new Set(["", "0", "false", "no", "n", "否"]);
export const truthy = (s: string | undefined) => TRUE.has((s ?? "").trim().toLowerCase());
const isFlag = (s: string | undefined) => truthy(s) || FALSE.has((s ?? "").trim().toLowerCase());

export const KEY_MIN = 4;
export const KEY_MAX = 512;
const KEY_HEADERS = ["key", "card_key", "cardkey", "secret", "卡密", "code"];
const REUSABLE_HEADERS = ["reusable", "loop", "循环"];

export interface KeyRow {
  line: number;
  secret: string;
  reusable: boolean;
}
export interface KeyRowError {
  line: number;
  code: "invalid" | "duplicate_in_file" | "duplicate_in_stock" | "not_sent";
  message: string;
}

/**
 * Reads a key CSV line by line (1-based line numbers of the file): a first line naming a key column is a header
 * (optionally with a `reusable` column); without one, the first column is the key. Blank lines are skipped.
 */
export class KeyCsvReader {
  private keyCol = 0;
  private reusableCol = -1;
  constructor(private readonly allReusable = false) {}

  /** A row to send, an error for that line, or null (header or blank). */
  read(raw: string, lineNo: number): KeyRow | KeyRowError | null {
    if (!raw.trim()) return null;
    const cells = parseCsvLine(lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw);
    if (lineNo === 1) {
      const names = cells.map((c) => c.trim().toLowerCase());
      const k = names.findIndex((n) => KEY_HEADERS.includes(n));
      if (k >= 0) {
        this.keyCol = k;
        this.reusableCol = names.findIndex((n) => REUSABLE_HEADERS.includes(n));
        return null;
      }
      // A header-less file: a second column (on any line) is the reusable flag.
      this.reusableCol = 1;
    }
    const secret = (cells[this.keyCol] ?? "").trim();
    if (secret.length < KEY_MIN || secret.length > KEY_MAX) {
      return { line: lineNo, code: "invalid", message: `a key must be ${KEY_MIN}-${KEY_MAX} characters` };
    }
    const flag = this.reusableCol >= 0 ? cells[this.reusableCol] : undefined;
    // A flag that is neither yes nor no is a mistake to show, not a silent "no".
    if (!isFlag(flag)) return { line: lineNo, code: "invalid", message: "the reusable column must be 1/0, true/false, yes/no or 是/否" };
    return { line: lineNo, secret, reusable: this.allReusable || truthy(flag) };
  }
}

export const isRowError = (r: KeyRow | KeyRowError): r is KeyRowError => "code" in r;

/** The downloadable error file: line, code, message; sorted by line. Never holds a key. */
export function errorsCsv(errors: KeyRowError[]): string {
  const sorted = [...errors].sort((a, b) => a.line - b.line);
  return `line,code,message\n${sorted.map((e) => `${e.line},${e.code},${csvField(e.message)}`).join("\n")}\n`;
}
