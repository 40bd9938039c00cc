import type { Bucket } from "../../schema/analytics";

const DAY_MS = 86_400_000;

/** Calendar start (UTC) of the day, week (Monday) or month holding `t`. */
export function bucketStart(t: number, unit: Bucket): number {
  const day = Math.floor(t / DAY_MS) * DAY_MS;
  if (unit === "day") return day;
  if (unit === "week") return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS;
  const d = new Date(day);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function next(start: number, unit: Bucket): number {
  if (unit === "day") return start + DAY_MS;
  if (unit === "week") return start + 7 * DAY_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * The buckets covering [from, to): label = the bucket's first day (YYYY-MM-DD, the first one may start before
 * `from`), start/end = the part of [from, to) it covers (ISO), so a state "at the end of the bucket" is at `end`.
 */
export function bucketsOf(from: string, to: string, unit: Bucket): { label: string; start: string; end: string }[] {
  const [f, t] = [Date.parse(from), Date.parse(to)];
  const out = [];
  for (let s = bucketStart(f, unit); s < t; s = next(s, unit)) {
    out.push({ label: new Date(s).toISOString().slice(0, 10), start: new Date(Math.max(s, f)).toISOString(), end: new Date(Math.min(next(s, unit), t)).toISOString() });
  }
  return out;
}

/** ClickHouse expression: the label of the bucket holding `col` (a DateTime64), matching bucketsOf. */
export function bucketSql(col: string, unit: Bucket): string {
  const start = unit === "day" ? `toDate(${col})` : unit === "week" ? `toMonday(${col})` : `toStartOfMonth(${col})`;
  return `toString(${start})`;
}
