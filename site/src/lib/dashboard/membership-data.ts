/** Pure helpers of the dashboard's 会员 section (membership.ts): no DOM, unit-tested in test/unit/membership-unit.test.ts. */
// Kept free of the page modules (api.ts, i18n) so Node's unit tests can import it.
type Row = Record<string, unknown>;
type Range = { from: string; to: string };

const DAY_MS = 86_400_000;
/** Days in the form's range (both ends inclusive). */
export const days = (f: Range) => Math.round((Date.parse(`${f.to}T00:00:00Z`) - Date.parse(`${f.from}T00:00:00Z`)) / DAY_MS) + 1;
/** Days up to a month, weeks up to half a year, then months: a phone-width chart keeps ≤ ~30 points. */
export const bucketFor = (f: Range) => (days(f) <= 31 ? "day" : days(f) <= 190 ? "week" : "month");

/** members_by_tier rows (bucket, tier, members) as buckets × tiers (tiers sorted, '' = none first). */
export function pivotTiers(rows: Row[]): { buckets: string[]; tiers: string[]; counts: Map<string, number> } {
  const buckets = [...new Set(rows.map((r) => String(r.bucket)))];
  const tiers = [...new Set(rows.map((r) => String(r.tierId)))].sort();
  return { buckets, tiers, counts: new Map(rows.map((r) => [`${r.bucket}|${r.tierId}`, Number(r.members)])) };
}

/**
 * Retention and LTV cohort rows summed into one row: users; the share active on day N over the cohorts old enough
 * for it (a young cohort's null day is left out of numerator and denominator); LTV per user over all cohorts.
 */
export function sumCohorts(retention: Row[], ltv: Row[]): Row {
  const users = retention.reduce((n, r) => n + Number(r.users), 0);
  const rate = (k: string) => {
    const known = retention.filter((r) => r[k] !== null);
    const den = known.reduce((n, r) => n + Number(r.users), 0);
    return den ? known.reduce((n, r) => n + Number(r[k]), 0) / den : null;
  };
  const ltvUsers = ltv.reduce((n, r) => n + Number(r.users), 0);
  const perUser = (k: string) => (ltvUsers ? ltv.reduce((n, r) => n + Number(r[k]) * Number(r.users), 0) / ltvUsers : null);
  return { users, d1Rate: rate("d1"), d7Rate: rate("d7"), d30Rate: rate("d30"), ltv30Cents: perUser("ltv30Cents"), ltv90Cents: perUser("ltv90Cents") };
}
