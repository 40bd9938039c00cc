import type { ClickHouseClient } from "@clickhouse/client";

export interface GenerateOptions {
  tenantId: string;
  events: number;
  users: number;
  days: number;
  /** Exclusive end of the span; events fall in [end − days, end). */
  end: Date;
  /** Event ids are `${idPrefix}${n}`: a second run with the same prefix would be the same events. */
  idPrefix?: string;
}

/**
 * Benchmark-size synthetic events generated inside ClickHouse (INSERT … SELECT FROM numbers()): no rows cross the
 * client. Each user gets events/users events: sign-up first, then views, claims/draws, shares, referral sign-ups,
 * orders, payments, deliveries and redemptions, thinning down a funnel, spread over a lifespan skewed short (churn).
 * Deterministic (cityHash64 of the row number), so runs are comparable.
 */
export async function generateEvents(client: ClickHouseClient, o: GenerateOptions): Promise<{ rows: number; ms: number }> {
  const started = performance.now();
  await client.command({ query: `INSERT INTO events (${COLUMNS}) ${generatedEventsSql(o)}`, query_params: generatedParams(o), clickhouse_settings: { max_insert_threads: "2" } });
  return { rows: o.events, ms: performance.now() - started };
}

/**
 * The bulk-load path: the generated rows are first written to a Native file (what an export from another system
 * would be), then loaded with INSERT … SELECT FROM file(). Returns both timings; `loadMs` is the ingest figure.
 * The file is in time order by default, as an event log's export or replay is; `order: "shuffled"` keeps the
 * generator's per-user order instead (the table must then sort more: ~20% slower, analytics/README.md).
 * The file lands in the engine's user_files directory (chdb: the process's working directory); it is overwritten,
 * and the caller removes it.
 */
export async function generateViaFile(
  client: ClickHouseClient,
  o: GenerateOptions,
  fileName: string,
  order: "time" | "shuffled" = "time",
) {
  const rows = order === "time" ? `SELECT * FROM (${generatedEventsSql(o)}) ORDER BY occurred_at` : generatedEventsSql(o);
  let started = performance.now();
  await client.command({
    query: `INSERT INTO FUNCTION file({file:String}, 'Native') ${rows}`,
    query_params: { ...generatedParams(o), file: fileName },
    // A time-ordered file of 100M events is sorted on disk past 4 GiB rather than in memory.
    clickhouse_settings: { engine_file_truncate_on_insert: 1, max_bytes_before_external_sort: String(4 * 2 ** 30) },
  });
  const generateMs = performance.now() - started;
  started = performance.now();
  await client.command({
    query: `INSERT INTO events (${COLUMNS}) SELECT * FROM file({file:String}, 'Native')`,
    query_params: { file: fileName },
    clickhouse_settings: BULK_INSERT_SETTINGS,
  });
  // Part of the load (and of its time): without collapsing on insert, each 1M-row block wrote its own profile row per
  // user (2.2M rows for 1M users at 10M events), which no background merge folds while the table has two parts, and
  // cohort queries read 27–56% slower. One forced merge folds them (~0.8 s at 10M).
  await client.command({ query: "OPTIMIZE TABLE user_profiles FINAL" });
  return { rows: o.events, generateMs, loadMs: performance.now() - started };
}

/**
 * Bulk loads squash the input into blocks of 1M rows before they reach the table and its materialized views, and do
 * not collapse each block on insert (`optimize_on_insert = 0`, as the streaming ingest's INSERT_SETTINGS): the file's
 * events are distinct, and ReplacingMergeTree's merges drop any duplicate later. Measured at 10M time-ordered events
 * (bench/README.md, session 52): collapsing each block cost ~0.9 µs of CPU per row, a third of the whole load. Without
 * it, 5M-row blocks cost 1.64–1.68 µs per row against 1.31–1.37 for 1M-row ones (0.5M: 1.53–1.57), and a load of 5M
 * events or fewer ran on one insert thread. The load then folds `user_profiles` (generateViaFile).
 * parallel_view_processing: without it, a table with a materialized view is written by one thread (measured: load
 * CPU ≈ wall time); with it, the two insert threads each write events and run the views for their own blocks.
 */
export const BULK_INSERT_SETTINGS = {
  max_insert_threads: "2",
  parallel_view_processing: 1,
  optimize_on_insert: 0,
  min_insert_block_size_rows: "1000000",
  min_insert_block_size_bytes: String(1 << 30),
} as const;

const COLUMNS = `event_id, tenant_id, type, occurred_at, user_id, referrer_id, campaign_id, product_id, order_id,
                 amount_cents, cost_cents, acquisition_campaign_id, voucher_id, supplier_id, store_id, payload`;

function generatedParams(o: GenerateOptions) {
  const span = o.days * 86_400;
  const start = Math.floor(o.end.getTime() / 1000) - span;
  return { prefix: o.idPrefix ?? "g", tenant: o.tenantId, start, span, users: o.users, events: o.events };
}

function generatedEventsSql(o: GenerateOptions) {
  const perUser = Math.max(10, Math.floor(o.events / o.users));
  return `
SELECT concat({prefix:String}, toString(n)) AS event_id, {tenant:String} AS tenant_id, type,
       toDateTime64({start:UInt64} + signup + intDiv(k * life, ${perUser - 1}) + k, 3, 'UTC') AS occurred_at,
       concat('u', toString(u)) AS user_id,
       if(type = 'referral_signed_up', concat('u', toString((u * 7919) % {users:UInt64})), '') AS referrer_id,
       if(type IN ('page_view', 'claim_succeeded', 'draw_made', 'share_sent', 'referral_signed_up', 'voucher_issued', 'voucher_redeemed', 'order_paid', 'order_created') AND has_campaign,
          campaign, '') AS campaign_id,
       if(type IN ('product_viewed', 'order_created', 'order_paid'), concat('p', toString(cityHash64(u, 5) % 200)), '') AS product_id,
       if(type IN ('order_created', 'order_paid', 'order_delivered', 'supplier_failed'), concat('o', toString(u)), '') AS order_id,
       if(type = 'order_paid', 990 + (cityHash64(u, 6) % 10) * 1000, 0) AS amount_cents,
       multiIf(type = 'claim_succeeded', 300, type = 'draw_made', if(cityHash64(u, 7) % 4 = 0, 500, 0), 0) AS cost_cents,
       if(type = 'user_signed_up' AND acquired, campaign, '') AS acquisition_campaign_id,
       if(type IN ('voucher_issued', 'voucher_redeemed', 'voucher_redeem_failed'), concat('v', toString(u)), '') AS voucher_id,
       if(type IN ('order_delivered', 'supplier_failed'), concat('sp', toString(cityHash64(u, 8) % 5)), '') AS supplier_id,
       if(type IN ('voucher_redeemed', 'voucher_redeem_failed'), concat('st', toString(cityHash64(u, 9) % 30)), '') AS store_id,
       '{"generated":true}' AS payload
FROM (
  SELECT number AS n, n % {users:UInt64} AS u, intDiv(n, {users:UInt64}) AS k,
         cityHash64(u, 1) % {span:UInt64} AS signup,
         toUInt64(({span:UInt64} - signup) * pow((cityHash64(u, 2) % 1000) / 1000, 3)) AS life,
         cityHash64(u, 3) % 100 AS depth,
         concat('c', toString(cityHash64(u, 4) % 20)) AS campaign,
         cityHash64(u, 10) % 100 < 60 AS has_campaign,
         cityHash64(u, 11) % 100 < 40 AS acquired,
         multiIf(
           k = 0, 'user_signed_up',
           k = 1, 'page_view',
           k = 2, 'product_viewed',
           k = 3, multiIf(depth < 35, 'claim_succeeded', depth < 60, 'draw_made', 'page_view'),
           k = 4, multiIf(cityHash64(u, 12) % 100 < 25, 'share_sent', depth < 60, 'voucher_issued', 'page_view'),
           k = 5, if(cityHash64(u, 13) % 100 < 10, 'referral_signed_up', 'page_view'),
           k = 6, if(depth < 25, 'order_created', 'product_viewed'),
           k = 7, if(depth < 20, 'order_paid', 'page_view'),
           k = 8, multiIf(depth < 18, 'order_delivered', depth < 20, 'supplier_failed', 'page_view'),
           k = 9, multiIf(depth < 12, 'voucher_redeemed', depth < 14, 'voucher_redeem_failed', 'page_view'),
           'page_view') AS type
  FROM numbers({events:UInt64})
)`;
}
