import type { ClickHouseClient } from "@clickhouse/client";
import type { z } from "zod";
import { QUERY_SETTINGS } from "../settings";

/** One dashboard view: zod params and rows (from schema/analytics.ts) and a tenant-scoped query. */
export interface Metric<P extends z.ZodType, R extends z.ZodType> {
  params: P;
  row: R;
  run(client: ClickHouseClient, tenantId: string, params: z.output<P>): Promise<z.output<R>[]>;
}

/** Every query binds {tenant:String}, {from:String}, {to:String}; these fragments keep the scoping uniform. */
export const TENANT = "tenant_id = {tenant:String}";
export const FROM = "parseDateTime64BestEffort({from:String}, 3, 'UTC')";
export const TO = "parseDateTime64BestEffort({to:String}, 3, 'UTC')";
export const IN_RANGE = `occurred_at >= ${FROM} AND occurred_at < ${TO}`;

export async function select<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: "JSONEachRow", clickhouse_settings: QUERY_SETTINGS });
  return rs.json<T>();
}

/** A query whose rows have a text key (or none) and numeric columns, for selectParts. */
export interface Part {
  sql: string;
  key?: string;
  cols: readonly string[];
}
type PartRows<P extends Record<string, Part>> = { [K in keyof P]: (Record<P[K]["cols"][number], number> & { key: string })[] };

/**
 * Several independent queries sent as one statement (UNION ALL), read back per part. Embedded ClickHouse (chdb) runs
 * statements with bound parameters one after another, so parts sent as separate statements never overlap; in one
 * statement they share the pipeline's threads (growth: 596 → 509 ms median at 10M events, bench/README.md session 37).
 * Numbers come back as Float64 (exact for integers below 2^53).
 */
export async function selectParts<const P extends Record<string, Part>>(client: ClickHouseClient, parts: P, params: Record<string, unknown>): Promise<PartRows<P>> {
  const width = Math.max(...Object.values(parts).map((p) => p.cols.length));
  const sql = Object.entries(parts)
    .map(([name, p]) => {
      const cols = Array.from({ length: width }, (_, i) => (i < p.cols.length ? `toFloat64(${p.cols[i]})` : "0.") + ` AS c${i}`);
      return `SELECT '${name}' AS part, ${p.key ? `toString(${p.key})` : "''"} AS key, ${cols.join(", ")} FROM (${p.sql})`;
    })
    .join("\nUNION ALL ");
  const out = Object.fromEntries(Object.keys(parts).map((k) => [k, [] as unknown[]])) as Record<string, Record<string, number | string>[]>;
  for (const row of await select<Record<string, string | number>>(client, sql, params)) {
    const p = parts[row.part as string]!;
    out[row.part as string]!.push(Object.fromEntries([["key", row.key], ...p.cols.map((c, i) => [c, Number(row[`c${i}`])])]));
  }
  return out as PartRows<P>;
}

/**
 * Distinct people (or orders) counted exactly over each id's 64-bit hash. uniqExact on a String already keeps a
 * 128-bit hash of each value, but SipHash costs about twice cityHash64 (bench/README.md, session 31); among 10M ids
 * the chance of any collision is ~3e-6.
 */
/**
 * An order's refunded money, over its refund events grouped by order: a refund made in parts sends
 * order_partially_refunded for each part and, with the last, order_refunded for the whole, so it is the larger of the
 * two sums. A refund the gateway refused after it was recorded (order_refund_failed) comes off the parts when it was
 * one (inParts), and off the whole when it was the whole or reopened the order the whole had closed.
 */
export const REFUNDED_OF_ORDER = `greatest(
  sumIf(amount_cents, type = 'order_refunded')
    - sumIf(amount_cents, type = 'order_refund_failed' AND (NOT JSONExtractBool(payload, 'inParts') OR JSONExtractBool(payload, 'reopened'))),
  sumIf(amount_cents, type = 'order_partially_refunded') - sumIf(amount_cents, type = 'order_refund_failed' AND JSONExtractBool(payload, 'inParts')))`;

export const distinct = (col: string) => `uniqExact(cityHash64(${col}))`;
export const distinctIf = (col: string, cond: string) => `uniqExactIf(cityHash64(${col}), ${cond})`;

export const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

/** Binds the attribution filters (schema/analytics.ts): '' = no filter. */
export const attributionParams = (p: { channel?: string; source?: string; origin?: string }) => ({
  channel: p.channel ?? "", source: p.source ?? "", origin: p.origin ?? "",
});
/** The same filters on a user_signed_up row (its lifted columns and payload). */
export const SIGNUP_MATCHES = `({channel:String} = '' OR JSONExtractString(payload, 'utmSource') = {channel:String})
  AND ({source:String} = '' OR ({source:String} = 'share') = (referrer_id != ''))
  AND ({origin:String} = '' OR origin = {origin:String})`;
/**
 * `col` names a user who signed up matching the attribution filters (true when no filter is set); `key` is how `col`
 * spells a user id (user_profiles keys users by cityHash64(user_id)).
 */
export const attributed = (col: string, key = "user_id") => `(({channel:String} = '' AND {source:String} = '' AND {origin:String} = '') OR ${col} IN (
  SELECT ${key} FROM events WHERE ${TENANT} AND type = 'user_signed_up' AND ${SIGNUP_MATCHES}))`;
