import type { ClickHouseClient } from "@clickhouse/client";
import { select, TENANT } from "./metric";

/**
 * A query that groups every person of a tenant builds one hash-table entry per person. Past a few million people
 * that table no longer fits the caches and each row costs more, so the query grows worse than linearly with the data
 * (retention at 100M events / 10M users: 15.8× its 10M time, bench/README.md session 30). Such a query runs here in
 * slices of the person-key space, one after another: each slice reads only its keys' range of a table sorted by the
 * key and builds a table of at most about `personsPerSlice` entries. Slices hold disjoint people, so their rows add
 * up. At 10M events (1M people) a tenant is one slice, read by the query without the slice's bounds (session 35:
 * two or four slices gained nothing there; slices of 1.5M people cut retention and the funnel at 100M by 30–45%).
 */
export const PERSONS_PER_SLICE = 1_500_000;
let personsPerSlice = PERSONS_PER_SLICE;

/** ANALYTICS_PERSONS_PER_SLICE (the warehouse process); a smaller slice bounds a query's memory too. */
export function setPersonsPerSlice(n: number) {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`persons per slice must be a positive integer, not ${n}`);
  personsPerSlice = n;
  counted.clear();
}

/** A person-grouping query in two forms: all of the tenant's people, and one slice (binds {lo:UInt64}, {hi:UInt64}). */
export interface SlicedSql {
  whole: string;
  sliced: string;
}

/** `build` is given how to keep a person key to the slice (`true` for the whole form), and which form it builds. */
export function slicedSql(build: (inSlice: (key: string) => string, sliced: boolean) => string): SlicedSql {
  return { whole: build(() => "true", false), sliced: build((key) => `${key} BETWEEN {lo:UInt64} AND {hi:UInt64}`, true) };
}

export interface Slice {
  lo: string;
  hi: string;
}

/** `count` equal ranges covering every UInt64 key (a cityHash64, uniform), as decimal strings for UInt64 params. */
export function keySlices(count: number): Slice[] {
  const k = BigInt(count);
  const start = (i: number) => (BigInt(i) << 64n) / k;
  return Array.from({ length: count }, (_, i) => ({ lo: String(start(i)), hi: String(start(i + 1) - 1n) }));
}

// The tenant's people change slowly and only set how many slices a query takes, never its answer: counted once a minute.
const COUNT_TTL_MS = 60_000;
const counted = new Map<string, { people: number; at: number }>();

async function peopleOf(client: ClickHouseClient, tenant: string): Promise<number> {
  const hit = counted.get(tenant);
  if (hit && Date.now() - hit.at < COUNT_TTL_MS) return hit.people;
  // One row per user in user_profiles, and a few not yet merged: the funnel's people are users too.
  const [row] = await select<{ n: number }>(client, `SELECT count() AS n FROM user_profiles WHERE ${TENANT}`, { tenant });
  const people = Number(row?.n ?? 0);
  counted.set(tenant, { people, at: Date.now() });
  return people;
}

/** The slices the tenant's people are read in; none when one pass reads them all. */
export async function slicesFor(client: ClickHouseClient, tenant: string): Promise<Slice[]> {
  const count = Math.ceil((await peopleOf(client, tenant)) / personsPerSlice);
  return count <= 1 ? [] : keySlices(count);
}

/** Runs the query once per slice of the tenant's people, one slice after another; one result per slice, in order. */
export async function selectBySlices<T>(client: ClickHouseClient, sql: SlicedSql, params: Record<string, unknown> & { tenant: string }): Promise<T[][]> {
  const slices = await slicesFor(client, params.tenant);
  if (!slices.length) return [await select<T>(client, sql.whole, params)];
  const parts: T[][] = [];
  for (const s of slices) parts.push(await select<T>(client, sql.sliced, { ...params, ...s }));
  return parts;
}

/**
 * The rows of every slice added up per `key`: each person (or voucher) is in one slice, so a group's counts and sums
 * add across slices. Groups come back in the order first seen.
 */
export function addUpSlices<K extends string, C extends string>(slices: (Record<K, string> & Record<C, number>)[][], key: K, cols: readonly C[]) {
  const by = new Map<string, Record<K, string> & Record<C, number>>();
  for (const r of slices.flat()) {
    const s = by.get(r[key]);
    if (!s) by.set(r[key], { ...r });
    else for (const c of cols) (s as Record<C, number>)[c] += Number(r[c]);
  }
  return [...by.values()];
}
