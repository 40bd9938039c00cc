import { ByteWriter } from "hyparquet-writer/src/bytewriter.js";
import { ParquetWriter } from "hyparquet-writer/src/parquet-writer.js";
import { schemaFromColumnData } from "hyparquet-writer/src/schema.js";
import type { ExportColumn, ExportFormat, ExportRow, ExportValue } from "../../schema/exports";
import { chinaDateTime } from "./china-time";
import { CSV_BOM, csvField } from "./csv";

/** Turns pages of rows into the bytes of one export file, page by page, so memory holds one page at a time. */
export interface ExportEncoder {
  contentType: string;
  extension: string;
  start(): Uint8Array | null;
  page(rows: ExportRow[]): Uint8Array | null;
  end(): Uint8Array | null;
}

const utf8 = new TextEncoder();

function normalise(column: ExportColumn, v: ExportValue | undefined): ExportValue {
  if (v === undefined || v === null || v === "") return column.nullable ? null : column.kind === "int" ? 0 : column.kind === "bool" ? false : "";
  if (column.kind === "int") return Number(v);
  if (column.kind === "bool") return v === true || v === 1 || v === "1" || v === "true";
  if (column.kind === "time") return new Date(String(v)).toISOString();
  return String(v);
}

function ndjson(columns: ExportColumn[]): ExportEncoder {
  return {
    contentType: "application/x-ndjson; charset=utf-8",
    extension: "ndjson",
    start: () => null,
    // No rows, no line: an empty export (or a last page that came back empty) is not a blank line a reader must skip.
    page: (rows) => (rows.length ? utf8.encode(rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, normalise(c, r[c.name])])))).join("\n") + "\n") : null),
    end: () => null,
  };
}

/**
 * `csv`: RFC 4180 with ISO UTC times, for programs. `csv-excel`: the file a person opens in Excel or WPS — a byte-order
 * mark first (else a Chinese Windows reads it as GBK) and times as China wall-clock time, which a spreadsheet reads as
 * a date (chinaDateTime).
 */
function csv(columns: ExportColumn[], forSpreadsheet: boolean): ExportEncoder {
  const line = (fields: ExportValue[]) => fields.map(csvField).join(",") + "\r\n";
  const cell = (c: ExportColumn, v: ExportValue) => (forSpreadsheet && c.kind === "time" && v !== null ? chinaDateTime(String(v)) : v);
  return {
    contentType: "text/csv; charset=utf-8",
    extension: "csv",
    start: () => utf8.encode((forSpreadsheet ? CSV_BOM : "") + line(columns.map((c) => c.name))),
    page: (rows) => utf8.encode(rows.map((r) => line(columns.map((c) => cell(c, normalise(c, r[c.name]))))).join("")),
    end: () => null,
  };
}

const PARQUET_TYPE = { string: "STRING", int: "INT64", time: "TIMESTAMP", bool: "BOOLEAN" } as const;

/** A ByteWriter whose flushed bytes are handed out and dropped: Parquet written row group by row group. */
class DrainingWriter extends ByteWriter {
  drained: Uint8Array[] = [];
  flush() {
    this.drained.push(this.getBytes().slice());
    this.index = 0;
  }
  override finish() {
    this.flush();
  }
  take(): Uint8Array | null {
    const parts = this.drained;
    this.drained = [];
    if (parts.length === 0) return null;
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** Parquet with one row group per page (SNAPPY, statistics), times as TIMESTAMP_MILLIS UTC. */
function parquet(columns: ExportColumn[]): ExportEncoder {
  const writer = new DrainingWriter();
  const schema = schemaFromColumnData({
    columnData: columns.map((c) => ({ name: c.name, data: [], type: PARQUET_TYPE[c.kind], nullable: !!c.nullable })),
  });
  let pq: ParquetWriter | null = null;
  const open = () => (pq ??= new ParquetWriter({ writer, schema, createdBy: "kaquan export" }));
  return {
    contentType: "application/vnd.apache.parquet",
    extension: "parquet",
    start: () => {
      open();
      return writer.take();
    },
    page: (rows) => {
      if (rows.length === 0) return null;
      const columnData = columns.map((c) => ({
        name: c.name,
        data: rows.map((r) => {
          const v = normalise(c, r[c.name]);
          if (v === null) return v;
          return c.kind === "time" ? new Date(v as string) : c.kind === "int" ? BigInt(v as number) : v;
        }),
      }));
      void open().write({ columnData, rowGroupSize: rows.length });
      return writer.take();
    },
    end: () => {
      void open().finish();
      return writer.take();
    },
  };
}

export function exportEncoder(format: ExportFormat, columns: ExportColumn[]): ExportEncoder {
  return format === "csv" || format === "csv-excel" ? csv(columns, format === "csv-excel") : format === "parquet" ? parquet(columns) : ndjson(columns);
}
