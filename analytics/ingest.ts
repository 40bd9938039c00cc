import type { ClickHouseClient } from "@clickhouse/client";
import { createHash } from "node:crypto";
import { PAYLOAD_COLUMNS, type EventEnvelope, type IngestResult } from "../schema/events";
import { INSERT_SETTINGS, QUERY_SETTINGS, serverInsertSettings } from "./settings";

const LIFTED = Object.entries(PAYLOAD_COLUMNS) as [string, (typeof PAYLOAD_COLUMNS)[keyof typeof PAYLOAD_COLUMNS]][];

/** The columns ingest writes, in the order of toRow's values; the payload fields lifted into columns (so dashboards
 * filter and sum without JSON parsing) come from schema/events.ts PAYLOAD_COLUMNS, the one list. */
export const INGEST_COLUMNS = [
  "event_id", "tenant_id", "type", "occurred_at", "user_id", "device_id", "api_key_id", "referrer_id",
  ...LIFTED.map(([, c]) => c.column),
  "payload", "v",
] as const;

const str = (x: unknown) => (typeof x === "string" ? x : "");
const cents = (x: unknown) => (typeof x === "number" ? Math.round(x) : 0);

/**
 * One row as an array in INGEST_COLUMNS order, inserted as JSONCompactEachRow: ClickHouse parses positional rows
 * ~35% cheaper than JSONEachRow's named fields (measured: 12.8 vs 19.9 µs of CPU per event, insert included).
 */
export function toRow(e: EventEnvelope): unknown[] {
  const p = e.payload;
  const row: unknown[] = [e.eventId, e.tenantId, e.type, e.occurredAt, e.actor.userId ?? "", e.actor.deviceId ?? "", e.actor.apiKeyId ?? "", e.actor.referrerId ?? ""];
  for (const [field, c] of LIFTED) row.push(c.kind === "cents" ? cents(p[field]) : str(p[field]));
  row.push(JSON.stringify(p), e.v);
  return row;
}

/**
 * Idempotent insert: ids already stored (or repeated inside the batch) are skipped. Calls are serialised by the
 * caller (IngestQueue) so check-then-insert cannot race; ReplacingMergeTree on the same key is the backstop.
 */
export interface IngestOptions {
  /** A ClickHouse server: async inserts with a deduplication token (analytics/settings.ts). */
  server?: boolean;
}

export async function ingestEvents(client: ClickHouseClient, events: EventEnvelope[], options: IngestOptions = {}): Promise<IngestResult> {
  return (await ingestEventBatches(client, [events], options))[0]!;
}

/**
 * Several batches in one dedupe query and one insert (group commit), with each batch's own result, as if they had
 * been ingested one after the other in this order: an id stored earlier, or seen in an earlier batch or earlier in
 * the same batch, counts as a duplicate of the later one.
 */
export async function ingestEventBatches(client: ClickHouseClient, batches: EventEnvelope[][], options: IngestOptions = {}): Promise<IngestResult[]> {
  const unique = new Map<string, EventEnvelope>();
  for (const events of batches) for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const candidates = [...unique.values()];
  const existing = await existingIds(client, candidates);
  const fresh = candidates.filter((e) => !existing.has(e.eventId));
  if (fresh.length > 0) {
    const settings = options.server ? serverInsertSettings(dedupToken(fresh)) : INSERT_SETTINGS;
    await client.insert({ table: "events", columns: [...INGEST_COLUMNS], values: fresh.map(toRow), format: "JSONCompactEachRow", clickhouse_settings: settings });
  }
  const seen = new Set(existing);
  return batches.map((events) => {
    let inserted = 0;
    for (const e of events) {
      if (seen.has(e.eventId)) continue;
      seen.add(e.eventId);
      inserted++;
    }
    return { received: events.length, inserted, duplicates: events.length - inserted };
  });
}

/** The same events inserted again (a retried batch, or another warehouse process with the same batch) carry the same token. */
function dedupToken(events: EventEnvelope[]): string {
  const h = createHash("sha256");
  for (const id of events.map((e) => e.eventId).sort()) h.update(id).update("\n");
  return h.digest("hex");
}

/**
 * The most bytes of ids (UTF-8, with a separator each) one dedupe query carries. On a server the ids travel
 * percent-encoded in the URL (at most 3 characters per byte), and ClickHouse refuses a URL over 1 MiB
 * (http_max_uri_size): a grouped ingest of 50,000 events would have crossed it. A longer batch is checked in several
 * queries, each over its own ids' time range.
 */
export const MAX_ID_LIST_BYTES = 256 * 1024;

async function existingIds(client: ClickHouseClient, events: EventEnvelope[]): Promise<Set<string>> {
  const found = new Set<string>();
  let from = 0;
  while (from < events.length) {
    let to = from;
    for (let bytes = 0, next = 0; to < events.length; to++, bytes += next) {
      next = Buffer.byteLength(events[to]!.eventId) + 1;
      if (to > from && bytes + next > MAX_ID_LIST_BYTES) break;
    }
    for (const id of await storedIds(client, events.slice(from, to))) found.add(id);
    from = to;
  }
  return found;
}

async function storedIds(client: ClickHouseClient, events: EventEnvelope[]): Promise<string[]> {
  let min = events[0]!.occurredAt;
  let max = min;
  for (const e of events) {
    if (e.occurredAt < min) min = e.occurredAt;
    if (e.occurredAt > max) max = e.occurredAt;
  }
  // The ids as one comma-joined string split by the engine: binding 25,000 ids as an Array(String) parameter cost the
  // embedded engine ~2.3 µs of CPU per id, the split ~0.9 (bench/README.md, session 51). An id holding a comma
  // (the envelope allows any 8–64 characters) sends the array.
  const ids = events.map((e) => e.eventId);
  const byList = !ids.some((id) => id.includes(","));
  const rs = await client.query({
    query: `SELECT event_id FROM events
            WHERE tenant_id IN {tenants:Array(String)}
              AND type IN {types:Array(String)}
              AND occurred_at BETWEEN parseDateTime64BestEffort({min:String}, 3) AND parseDateTime64BestEffort({max:String}, 3)
              AND ${byList ? "event_id IN splitByChar(',', {list:String})" : "event_id IN {ids:Array(String)}"}`,
    query_params: {
      tenants: [...new Set(events.map((e) => e.tenantId))],
      types: [...new Set(events.map((e) => e.type))],
      min,
      max,
      ...(byList ? { list: ids.join(",") } : { ids }),
    },
    format: "JSONEachRow",
    // Without PREWHERE the query cost the embedded engine 40–50% less per id, whether the range held stored events or
    // none (5,000 ids: 5.1–13.1 → 3.3–6.0 µs each; bench/README.md, session 53): the set is tested once, on the rows
    // the key range leaves, which are read anyway for event_id.
    clickhouse_settings: { ...QUERY_SETTINGS, optimize_move_to_prewhere: 0 },
  });
  return (await rs.json<{ event_id: string }>()).map((r) => r.event_id);
}

/**
 * The warehouse's single ingest lane: one ingest runs at a time (so check-then-insert cannot race), and batches that
 * arrive while one runs wait and then go together in one dedupe query and one insert (up to maxEvents). Under load
 * this turns many 5,000-event requests into fewer, larger inserts — fewer parts for ClickHouse to write and merge,
 * and the HTTP/JSON/zod work of the next requests overlaps the running insert; when idle, a batch goes alone at once.
 * If a grouped insert fails, every batch in it fails (the queue consumer retries; ingest is idempotent).
 */
export class IngestQueue {
  private waiting: { events: EventEnvelope[]; resolve: (r: IngestResult) => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  constructor(
    private readonly client: ClickHouseClient,
    private readonly options: IngestOptions = {},
    private readonly maxEvents = 50_000,
  ) {}

  ingest(events: EventEnvelope[]): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain() {
    this.running = true;
    while (this.waiting.length > 0) {
      const group = [this.waiting.shift()!];
      let size = group[0]!.events.length;
      while (this.waiting.length > 0 && size + this.waiting[0]!.events.length <= this.maxEvents) {
        size += this.waiting[0]!.events.length;
        group.push(this.waiting.shift()!);
      }
      try {
        const results = await ingestEventBatches(this.client, group.map((g) => g.events), this.options);
        group.forEach((g, i) => g.resolve(results[i]!));
      } catch (e) {
        for (const g of group) g.reject(e);
      }
    }
    this.running = false;
  }
}
