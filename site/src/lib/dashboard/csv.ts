import { csvField } from "../../../../worker/domain/csv";
import type { Row } from "./api";

/** Flattens array cells (e.g. retained[0..12] → retained_w0..) so every view exports as a plain table. */
export function flatten(rows: Row[]): Row[] {
  return rows.map((r) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(r)) {
      if (Array.isArray(v)) v.forEach((x, i) => (out[`${k}_w${i}`] = x));
      else out[k] = v;
    }
    return out;
  });
}

const cell = (v: unknown) => csvField(v === null || v === undefined || typeof v === "number" || typeof v === "boolean" ? (v as number | boolean | null) : String(v));

export function toCsv(rows: Row[]): string {
  const flat = flatten(rows);
  const cols = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  return [cols.join(","), ...flat.map((r) => cols.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}

export function download(name: string, rows: Row[]) {
  const url = URL.createObjectURL(new Blob(["\ufeff" + toCsv(rows)], { type: "text/csv;charset=utf-8" }));
  const a = Object.assign(document.createElement("a"), { href: url, download: `${name}.csv` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
