import { EXPORT_COLUMNS, type ExportDataset, type ExportPosition, type ExportQuery, type ExportRow } from "../../schema/exports";
import { D1_EXPORT_PAGES } from "../db/exports";
import { chinaDay } from "../domain/china-time";
import { decodeCursor, encodeCursor } from "../domain/export-cursor";
import { exportEncoder } from "../domain/export-format";
import { ApiError } from "../errors";
import { warehouseRead } from "./warehouse";

type ExportEnv = Pick<Env, "DB" | "WAREHOUSE_URL" | "WAREHOUSE_QUERY_SECRET">;
type Page = (after: ExportPosition | null, limit: number) => Promise<(ExportRow & { at: string })[]>;

const D1_PAGE = 1000;
const WAREHOUSE_PAGE = 5000;

function pager(env: ExportEnv, tenantId: string, dataset: ExportDataset, range: { from: string; to: string }): { page: Page; size: number } {
  if (dataset === "events") {
    return {
      size: WAREHOUSE_PAGE,
      page: async (after, limit) =>
        (await warehouseRead<{ rows: (ExportRow & { at: string })[] }>(env, "/v1/export/events", { tenantId, ...range, after, limit })).rows,
    };
  }
  const page = D1_EXPORT_PAGES[dataset];
  return { size: D1_PAGE, page: (after, limit) => page(env.DB, tenantId, range, after, limit) };
}

export interface ExportFile {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  filename: string;
}

/**
 * One tenant's dataset as a file streamed page by page: memory holds one page, whatever the range. The first page is
 * read before answering, so a bad cursor or an unreachable warehouse is a clear error rather than a cut download;
 * a failure later ends the stream early, and the last row's cursor resumes it.
 */
export async function exportDataset(env: ExportEnv, tenantId: string, dataset: ExportDataset, q: ExportQuery): Promise<ExportFile> {
  let after: ExportPosition | null = null;
  if (q.cursor !== undefined) {
    after = decodeCursor(q.cursor);
    if (!after) throw ApiError.badRequest("invalid_cursor", "The cursor is not one an export row carried", [{ path: "query.cursor", message: "unknown cursor", code: "custom" }]);
  }
  const columns = EXPORT_COLUMNS[dataset];
  const encoder = exportEncoder(q.format, columns);
  const { page, size } = pager(env, tenantId, dataset, { from: q.from, to: q.to });
  let remaining = q.limit ?? Number.POSITIVE_INFINITY;

  const next = async (): Promise<{ rows: ExportRow[]; more: boolean }> => {
    const want = Math.min(size, remaining);
    if (want <= 0) return { rows: [], more: false };
    const rows = await page(after, want);
    remaining -= rows.length;
    const last = rows[rows.length - 1];
    if (last) after = { at: last.at, id: String(last.id ?? last.eventId) };
    const withCursor = rows.map((r) => ({ ...r, cursor: encodeCursor({ at: r.at, id: String(r.id ?? r.eventId) }) }));
    return { rows: withCursor, more: rows.length === want && remaining > 0 };
  };

  let first: { rows: ExportRow[]; more: boolean } | null = await next();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const head = encoder.start();
      if (head) controller.enqueue(head);
    },
    async pull(controller) {
      const current = first ?? (await next().catch((e) => {
        console.error(JSON.stringify({ at: "export", dataset, tenantId, problem: "page_failed", detail: String(e) }));
        throw e;
      }));
      first = null;
      const bytes = encoder.page(current.rows);
      if (bytes) controller.enqueue(bytes);
      if (!current.more) {
        const tail = encoder.end();
        if (tail) controller.enqueue(tail);
        controller.close();
      }
    },
  });
  return { body, contentType: encoder.contentType, filename: `kaquan-${dataset}-${chinaDay(q.from)}-${chinaDay(q.to)}.${encoder.extension}` };
}
