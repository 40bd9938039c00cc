/**
 * Attribution on the dashboard: the channel / source / origin filters go to the views whose API takes them, and one
 * more view breaks new users down per campaign by channel, share vs organic and embedding origin.
 */
import type { Row } from "./api";
import { t } from "../i18n";
import { chart, table } from "./render";
import { metricParams, type Filters } from "./filters";
import { nameOf, type View } from "./views";

export const ATTRIBUTION_FIELDS = ["channel", "source", "origin"] as const;
const attribution = (f: Filters) => Object.fromEntries(ATTRIBUTION_FIELDS.map((k) => [k, f[k]]));
/** The metrics whose API takes the attribution filters (schema/analytics.ts): every view that counts users. */
const FILTERED = new Set(["retention", "retention_matrix", "ltv", "funnel", "kfactor", "roi"]);

/** The views, those that take attribution filters sending them too. */
export function withAttribution(views: Record<string, View>): Record<string, View> {
  return Object.fromEntries(
    Object.entries(views).map(([id, v]) => [id, FILTERED.has(v.metric) ? { ...v, params: (f: Filters) => ({ ...v.params(f), ...attribution(f) }) } : v]),
  );
}

const HEAD: Record<string, readonly [string, string]> = {
  campaignId: ["拉新活动", "Campaign"], channel: ["渠道", "Channel"], source: ["来源", "Source"], origin: ["嵌入来源", "Origin"], newUsers: ["新用户", "New users"],
};
const L = new Proxy({} as Record<string, string>, { get: (_, k) => (HEAD[String(k)] ? t(...HEAD[String(k)]!) : undefined) });

export const ACQUISITION_VIEW: View = {
  metric: "acquisition",
  empty: ["所选时间内没有新用户", "No new users in this range"],
  params: (f) => ({ ...metricParams("campaign", f), ...attribution(f) }),
  draw(rows: Row[], c, tableEl) {
    // Campaigns by name, as ROI and K-factor show them (the CSV export keeps the ids); no campaign is 非活动带来.
    const campaign = (r: Row) => nameOf("acquisitionCampaignId", r.campaignId);
    const source = (r: Row) => (r.source === "share" ? t("分享", "share") : t("自然", "organic"));
    // The axis names what tells the bars apart: parts that are empty are left out (not "(无) · (无) · …").
    const label = (r: Row) => [r.campaignId ? campaign(r) : "", String(r.channel ?? ""), source(r), String(r.origin ?? "")].filter(Boolean).join(" · ");
    chart(c, rows.map(label), [{ label: t("新用户", "New users"), values: rows.map((r) => r.newUsers as number) }], true);
    table(tableEl, rows.map((r) => ({ ...r, campaignId: campaign(r), source: source(r) })), L);
  },
};
