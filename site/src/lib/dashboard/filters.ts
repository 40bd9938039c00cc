/**
 * The dashboard's filter state and the one place that turns it into query strings: the page URL (shareable) and
 * each metric's API params. A new filter (e.g. a channel) is a field here, a control in the filter form, and an
 * entry in `metricParams` for the metrics that take it.
 */
import { BUSINESS_UTC_OFFSET, chinaDay } from "../../../../worker/domain/china-time";
export type Filters = {
  from: string;
  to: string;
  campaignId: string;
  acquisitionCampaignId: string;
  cohortBy: string;
  /** Attribution (site/src/lib/dashboard/attribution.ts): UTM source, share vs organic, embedding origin. */
  channel: string;
  source: string;
  origin: string;
  /** Money value of one point in cents for the points liability ('' = the API's default, 1). */
  pointValueCents: string;
};

/** A filter state over `range` with nothing narrowed: every campaign and channel, cohorts by sign-up. */
export const NO_FILTERS = (range: { from: string; to: string }): Filters => ({
  ...range, campaignId: "", acquisitionCampaignId: "", cohortBy: "signup", channel: "", source: "", origin: "", pointValueCents: "",
});

const DAY_MS = 86_400_000;
/**
 * The business runs on China time (Asia/Shanghai, UTC+8 all year, no daylight saving): the form's dates are China
 * days, and a China day d is the instants [d 00:00+08:00, d+1 00:00+08:00). A date in UTC days instead put the
 * orders of 00:00–08:00 China time into the day before (and left them out of 今天 until 08:00).
 */
/** The China date (YYYY-MM-DD) of an instant. */
export const day = (d: Date) => chinaDay(d);
const nextDate = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
const prevDate = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) - n * DAY_MS).toISOString().slice(0, 10);

/** 今天, 7天, 30天, 90天: the last N China days including today. */
export const PRESETS = [
  { days: 1, zh: "今天", en: "Today" },
  { days: 7, zh: "7天", en: "7 days" },
  { days: 30, zh: "30天", en: "30 days" },
  { days: 90, zh: "90天", en: "90 days" },
] as const;

export function presetRange(days: number, now = new Date()): { from: string; to: string } {
  return { from: day(new Date(now.getTime() - (days - 1) * DAY_MS)), to: day(now) };
}

/**
 * The form's "to" is inclusive for people; the API's end is exclusive. Sent as China midnights with their offset (a
 * bare date means the same to the API: schema/instant.ts), so the address says what instant it asks for.
 */
export function apiRange(f: Pick<Filters, "from" | "to">): { from: string; to: string } {
  return { from: `${f.from}T00:00:00${BUSINESS_UTC_OFFSET}`, to: `${nextDate(f.to)}T00:00:00${BUSINESS_UTC_OFFSET}` };
}

/** The period of equal length just before (inclusive dates), for the comparison on the KPI tiles. */
export function previousPeriod(f: Filters): Filters {
  const from = Date.parse(`${f.from}T00:00:00Z`);
  const days = Math.round((Date.parse(`${f.to}T00:00:00Z`) - from) / DAY_MS) + 1;
  return { ...f, from: prevDate(f.from, days), to: prevDate(f.from, 1) };
}

type Shape = "range" | "campaign" | "cohort" | "ltv" | "top";

/** A metric's API params from the filter state (empty values are left out when the query string is built). */
export function metricParams(shape: Shape, f: Filters): Record<string, string> {
  const range = apiRange(f);
  switch (shape) {
    case "range":
      return range;
    case "campaign":
      return { ...range, campaignId: f.campaignId };
    case "cohort":
      return { ...range, cohortBy: f.cohortBy, acquisitionCampaignId: f.acquisitionCampaignId };
    case "ltv":
      return { ...range, acquisitionCampaignId: f.acquisitionCampaignId };
    case "top":
      return { ...range, campaignId: f.campaignId, limit: "200" };
  }
}

export function toQuery(params: Record<string, string>): string {
  return new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "")).toString();
}

/** The page URL's query for a filter state (inclusive dates, as in the form). */
export const pageQuery = (f: Filters) => toQuery(f);

export function fromQuery(search: string, fallback: Filters): Filters {
  const q = new URLSearchParams(search);
  const pick = (k: keyof Filters) => q.get(k) ?? fallback[k];
  return Object.fromEntries((Object.keys(fallback) as (keyof Filters)[]).map((k) => [k, pick(k)])) as Filters;
}
