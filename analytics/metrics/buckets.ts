import type { Bucket } from "../../schema/analytics";

const DAY_MS = 86_400_000;
/**
 * Buckets are calendar days, weeks and months of the business's own time zone, China time (UTC+8 all year, no
 * daylight saving): an instant's bucket is the China day it falls on, so 00:00–08:00 China time is not put in the day
 * before (as UTC days did). `OFFSET_MS` and `BUSINESS_TZ` (for ClickHouse) must name the same zone, and so must the
 * profile view's active days (schema/clickhouse/0021), which the cohort metrics (retention, its matrix, LTV) read.
 */
export const BUSINESS_TZ = "Asia/Shanghai";
const OFFSET_MS = 8 * 3_600_000;

/** Calendar start (China time) of the day, week (Monday) or month holding `t`, as an instant. */
export function bucketStart(t: number, unit: Bucket): number {
  const day = Math.floor((t + OFFSET_MS) / DAY_MS) * DAY_MS; // China midnight, in "China wall clock as UTC" terms
  if (unit === "day") return day - OFFSET_MS;
  if (unit === "week") return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS - OFFSET_MS;
  const d = new Date(day);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - OFFSET_MS;
}

function next(start: number, unit: Bucket): number {
  if (unit === "day") return start + DAY_MS;
  if (unit === "week") return start + 7 * DAY_MS;
  const d = new Date(start + OFFSET_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - OFFSET_MS;
}

/** The China date (YYYY-MM-DD) a bucket starting at `start` is labelled with. */
const label = (start: number) => new Date(start + OFFSET_MS).toISOString().slice(0, 10);

/**
 * The buckets covering [from, to): label = the bucket's first day (YYYY-MM-DD, the first one may start before
 * `from`), start/end = the part of [from, to) it covers (ISO), so a state "at the end of the bucket" is at `end`.
 */
export function bucketsOf(from: string, to: string, unit: Bucket): { label: string; start: string; end: string }[] {
  const [f, t] = [Date.parse(from), Date.parse(to)];
  const out = [];
  for (let s = bucketStart(f, unit); s < t; s = next(s, unit)) {
    out.push({ label: label(s), start: new Date(Math.max(s, f)).toISOString(), end: new Date(Math.min(next(s, unit), t)).toISOString() });
  }
  return out;
}

/**
 * Rows of a bucketed rate in every bucket of [from, to), `empty(label)` where the query found nothing, so a chart's
 * axis is time and a quiet week is a gap, not two neighbouring bars. No row at all stays [] (the card's empty state).
 */
export function everyBucket<R extends { bucket: string }>(rows: R[], from: string, to: string, unit: Bucket, empty: (bucket: string) => R): R[] {
  if (!rows.length) return rows;
  const byLabel = new Map(rows.map((r) => [r.bucket, r]));
  return bucketsOf(from, to, unit).map(({ label }) => byLabel.get(label) ?? empty(label));
}

/** The instant a China date (YYYY-MM-DD) starts: its midnight China time. */
export const dayStart = (date: string) => Date.parse(`${date}T00:00:00Z`) - OFFSET_MS;

/** ClickHouse expression: the China date (a Date) of the day, week (its Monday) or month holding `col` (a DateTime64). */
export function businessDateSql(col: string, unit: Bucket): string {
  const tz = `'${BUSINESS_TZ}'`;
  return unit === "day" ? `toDate(${col}, ${tz})` : unit === "week" ? `toMonday(${col}, ${tz})` : `toStartOfMonth(${col}, ${tz})`;
}

/** ClickHouse expression: the label of the bucket holding `col` (a DateTime64), matching bucketsOf. */
export function bucketSql(col: string, unit: Bucket): string {
  return `toString(${businessDateSql(col, unit)})`;
}
