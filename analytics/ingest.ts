import type { ClickHouseClient } from "@clickhouse/client";
import type { EventEnvelope, IngestResult } from "../schema/events";

/** Columns lifted out of the payload so dashboards can filter and sum without JSON parsing. */
export function toRow(e: EventEnvelope) {
  const p = e.payload;
  return {
    event_id: e.eventId,
    tenant_id: e.tenantId,
    type: e.type,
    occurred_at: e.occurredAt,
    user_id: e.actor.userId ?? "",
    device_id: e.actor.deviceId ?? "",
    api_key_id: e.actor.apiKeyId ?? "",
    referrer_id: e.actor.referrerId ?? "",
    campaign_id: typeof p.campaignId === "string" ? p.campaignId : "",
    product_id: typeof p.productId === "string" ? p.productId : "",
    order_id: typeof p.orderId === "string" ? p.orderId : "",
    amount_cents: typeof p.amountCents === "number" ? Math.round(p.amountCents) : 0,
    cost_cents: typeof p.costCents === "number" ? Math.round(p.costCents) : 0,
    acquisition_campaign_id: typeof p.acquisitionCampaignId === "string" ? p.acquisitionCampaignId : "",
    voucher_id: typeof p.voucherId === "string" ? p.voucherId : "",
    supplier_id: typeof p.supplierId === "string" ? p.supplierId : "",
    store_id: typeof p.storeId === "string" ? p.storeId : "",
    origin: typeof p.origin === "string" ? p.origin : "",
    payload: JSON.stringify(p),
    v: e.v,
  };
}

/**
 * Idempotent insert: ids already stored (or repeated inside the batch) are skipped. Calls are serialised by the
 * caller (IngestQueue) so check-then-insert cannot race; ReplacingMergeTree on the same key is the backstop.
 */
export async function ingestEvents(client: ClickHouseClient, events: EventEnvelope[]): Promise<IngestResult> {
  return (await ingestEventBatches(client, [events]))[0]!;
}

/**
 * Several batches in one dedupe query and one insert (group commit), with each batch's own result, as if they had
 * been ingested one after the other in this order: an id stored earlier, or seen in an earlier batch or earlier in
 * the same batch, counts as a duplicate of the later one.
 */
export async function ingestEventBatches(client: ClickHouseClient, batches: EventEnvelope[][]): Promise<IngestResult[]> {
  const unique = new Map<string, EventEnvelope>();
  for (const events of batches) for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const candidates = [...unique.values()];
  const existing = await existingIds(client, candidates);
  const fresh = candidates.filter((e) => !existing.has(e.eventId));
  if (fresh.length > 0) {
    await client.insert({ table: "events", values: fresh.map(toRow), format: "JSONEachRow" });
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

async function existingIds(client: ClickHouseClient, events: EventEnvelope[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  let min = events[0]!.occurredAt;
  let max = min;
  for (const e of events) {
    if (e.occurredAt < min) min = e.occurredAt;
    if (e.occurredAt > max) max = e.occurredAt;
  }
  const rs = await client.query({
    query: `SELECT event_id FROM events
            WHERE tenant_id IN {tenants:Array(String)}
              AND type IN {types:Array(String)}
              AND occurred_at BETWEEN parseDateTime64BestEffort({min:String}, 3) AND parseDateTime64BestEffort({max:String}, 3)
              AND event_id IN {ids:Array(String)}`,
    query_params: {
      tenants: [...new Set(events.map((e) => e.tenantId))],
      types: [...new Set(events.map((e) => e.type))],
      min,
      max,
      ids: events.map((e) => e.eventId),
    },
    format: "JSONEachRow",
  });
  return new Set((await rs.json<{ event_id: string }>()).map((r) => r.event_id));
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
  constructor(private readonly client: ClickHouseClient, private readonly maxEvents = 50_000) {}

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
        const results = await ingestEventBatches(this.client, group.map((g) => g.events));
        group.forEach((g, i) => g.resolve(results[i]!));
      } catch (e) {
        for (const g of group) g.reject(e);
      }
    }
    this.running = false;
  }
}
