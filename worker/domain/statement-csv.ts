import { CSV_BOM, csvField, csvQuote } from "./csv";

/** RFC 4180 CSV text → rows of fields (quoted fields may hold commas, quotes and line breaks; a BOM is dropped). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const s = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(field), (field = "");
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && s[i + 1] === "\n") i++;
      row.push(field), rows.push(row), (row = []), (field = "");
    } else field += ch;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

/**
 * Rows → CSV text with CRLF line ends. `people` (the default) is a file a person opens in a spreadsheet: it starts with
 * the byte-order mark (CSV_BOM) and its typed formulas are written as text; `machine` is a gateway's own file format,
 * written as the gateway writes it.
 */
export function toCsv(rows: string[][], reader: "people" | "machine" = "people"): string {
  const cell = reader === "people" ? csvField : csvQuote;
  return (reader === "people" ? CSV_BOM : "") + rows.map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}
