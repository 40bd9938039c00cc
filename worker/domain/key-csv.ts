// The card-key CSV format, in one place for both importers: `npm run import:keys` (Node, streamed) and the operator
// page's upload (browser). Same header names, same row rules, same per-line errors, same error file.
import { csvField } from "./csv";

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

/**
 * True when a line ends inside a quoted field (`"ABCD-1234,1` with no closing quote). Keys never span lines, so such a
 * row is a broken file, not a key that happens to contain a comma: it is refused rather than imported as written.
 */
export function hasOpenQuote(line: string): boolean {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] !== '"') continue;
    if (quoted && line[i + 1] === '"') i++;
    else quoted = !quoted;
  }
  return quoted;
}

const TRUE = new Set(["1", "true", "yes", "y", "是", "loop", "reusable"]);
const FALSE = new Set(["", "0", "false", "no", "n", "否"]);
export const truthy = (s: string | undefined) => TRUE.has((s ?? "").trim().toLowerCase());
const isFlag = (s: string | undefined) => truthy(s) || FALSE.has((s ?? "").trim().toLowerCase());

export const KEY_MIN = 4;
export const KEY_MAX = 512;
const KEY_HEADERS = ["key", "card_key", "cardkey", "secret", "卡密", "code"];
const REUSABLE_HEADERS = ["reusable", "loop", "循环"];

/** Why a row is `invalid`, as the importers and the API word it (the API's own check: printable characters). */
export const KEY_ROW_MESSAGES = {
  length: `a key must be ${KEY_MIN}-${KEY_MAX} characters`,
  flag: "the reusable column must be 1/0, true/false, yes/no or 是/否",
  openQuote: 'a quoted field is not closed (a " without its closing ")',
  printable: `a key must be ${KEY_MIN}-${KEY_MAX} printable characters`,
} as const;

/**
 * A key the API stores: no control or format characters (a zero-width space, a BOM, a bidi mark: invisible, so the
 * buyer copies a key the platform refuses, and the same key typed without them passes the duplicate check and is sold
 * twice), no unpaired surrogates, and written in NFKC already (full-width ＡＢＣ１ is the key ABC1 typed another way).
 */
export const isPrintableKey = (secret: string) => !/[\p{Cc}\p{Cf}\p{Cs}]/u.test(secret) && secret === secret.normalize("NFKC");
const FIRST_LINE_HINT = `and line 1 is no header either: name the key column ${KEY_HEADERS.join(", ")}`;

/** The operator page's words for each reason, [中文, English]; a message not listed is shown as the API wrote it. */
export const KEY_ROW_TEXT: Record<string, [string, string]> = {
  [KEY_ROW_MESSAGES.length]: [`卡密须为 ${KEY_MIN}–${KEY_MAX} 个字符`, KEY_ROW_MESSAGES.length],
  [KEY_ROW_MESSAGES.flag]: ["可重复列只能填 1/0、true/false、yes/no 或 是/否", KEY_ROW_MESSAGES.flag],
  [KEY_ROW_MESSAGES.openQuote]: ["引号未闭合（有 \" 却没有配对的 \"）", KEY_ROW_MESSAGES.openQuote],
  [KEY_ROW_MESSAGES.printable]: [`卡密须为 ${KEY_MIN}–${KEY_MAX} 个可见字符（不能含控制字符、零宽字符或全角字母数字）`, KEY_ROW_MESSAGES.printable],
};

/** An `invalid` row's message for people, in the page's language (the first-line hint included). */
export function keyRowText(message: string, lang: "zh" | "en"): string {
  const hinted = message.endsWith(`(${FIRST_LINE_HINT})`);
  const base = hinted ? message.slice(0, -FIRST_LINE_HINT.length - 3) : message;
  const pair = KEY_ROW_TEXT[base];
  const text = pair ? pair[lang === "zh" ? 0 : 1] : base;
  if (!hinted) return text;
  return lang === "zh" ? `${text}（第 1 行也不是表头：键列须命名为 ${KEY_HEADERS.join("、")}）` : `${text} (${FIRST_LINE_HINT})`;
}

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
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, "") : raw;
    let headerless = false;
    if (lineNo === 1) {
      const names = parseCsvLine(line).map((c) => c.trim().toLowerCase());
      const k = names.findIndex((n) => KEY_HEADERS.includes(n));
      if (k >= 0) {
        this.keyCol = k;
        this.reusableCol = names.findIndex((n) => REUSABLE_HEADERS.includes(n));
        return null;
      }
      // A header-less file: a second column (on any line) is the reusable flag.
      this.reusableCol = 1;
      headerless = true;
    }
    const refuse = (message: string): KeyRowError => ({
      line: lineNo,
      code: "invalid",
      // A first line that is neither a header we know nor a key row: say both, so a file with its own column names
      // (`name,price`) is not answered only with the row rule it happened to break.
      message: headerless ? `${message} (${FIRST_LINE_HINT})` : message,
    });
    if (hasOpenQuote(line)) return refuse(KEY_ROW_MESSAGES.openQuote);
    const cells = parseCsvLine(line);
    const secret = (cells[this.keyCol] ?? "").trim();
    if (secret.length < KEY_MIN || secret.length > KEY_MAX) return refuse(KEY_ROW_MESSAGES.length);
    const flag = this.reusableCol >= 0 ? cells[this.reusableCol] : undefined;
    // A flag that is neither yes nor no is a mistake to show, not a silent "no".
    if (!isFlag(flag)) return refuse(KEY_ROW_MESSAGES.flag);
    return { line: lineNo, secret, reusable: this.allReusable || truthy(flag) };
  }
}

export const isRowError = (r: KeyRow | KeyRowError): r is KeyRowError => "code" in r;

/** The downloadable error file: line, code, message; sorted by line. Never holds a key. */
export function errorsCsv(errors: KeyRowError[]): string {
  const sorted = [...errors].sort((a, b) => a.line - b.line);
  return `line,code,message\n${sorted.map((e) => `${e.line},${e.code},${csvField(e.message)}`).join("\n")}\n`;
}
