import type { ClickHouseClient } from "@clickhouse/client";
import { select, TENANT } from "./metric";

/**
 * A query that groups every person of a tenant builds one hash-table entry per person. Past a few million people
 * that table no longer fits the caches and each row costs more, so the query grows worse than linearly with the data
 * (retention at 100M events / 10M users: 15.8× its 10M time, bench/README.md session 30). Such a query runs here in
 * slices of the person-key space, one after another: each slice reads only its keys' range of a table sorted by the
 * key and builds a table of at most about `personsPerSlice` entries. Slices hold disjoint people, so their rows add
 * up. At 10M events (1M people) a tenant is one slice and nothing changes (session 35: two or four slices gained
 * nothing there; ten slices cut retention at 100M by 35–45%).
 */
export const PERSONS_PER_SLICE = 1_500_000;
let personsPerSlice = PERSONS_PER_SLICE;

/** ANALYTICS_PERSONS_PER_SLICE (the warehouse process); a smaller slice bounds a query's memory too. */
export function setPersonsPerSlice(n: number) {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`persons per slice must be a positive integer, not ${n}`);
  personsPerSlice = n;
}

/** Binds {lo:UInt64} and {hi:UInt64}: the slice's inclusive bounds of a person key (a cityHash64, uniform). */
export const IN_SLICE = (key: string) => `${key} BETWEEN {lo:UInt64} AND {hi:UInt64}`;

export interface Slice {
  lo: string;
  hi: string;
}

/** `count` equal ranges covering every UInt64 key, as decimal strings (the client binds UInt64 from a string). */
export function keySlices(count: number): Slice[] {
  const k = BigInt(count);
  const start = (i: number) => (BigInt(i) << 64n) / k;
  return Array.from({ length: count }, (_, i) => ({ lo: String(start(i)), hi: String(start(i + 1) - 1n) }));
}

/** Runs `sql` (scoped by IN_SLICE) once per slice of the tenant's rows in `table`; one result per slice, in order. */
export async function selectBySlices<T>(client: ClickHouseClient, table: "user_profiles", sql: string, params: Record<string, unknown> & { tenant: string }): Promise<T[][]> {
  const [row] = await select<{ n: number }>(client, `SELECT count() AS n FROM ${table} WHERE ${TENANT}`, { tenant: params.tenant });
  const slices = keySlices(Math.max(1, Math.ceil(Number(row?.n ?? 0) / personsPerSlice)));
  const parts: T[][] = [];
  for (const s of slices) parts.push(await select<T>(client, sql, { ...params, ...s }));
  return parts;
}
