/**
 * KPI tiles: totals over the selected range from the same metrics as the charts, and the change against the
 * previous period of equal length.
 */
import { metric, type Row } from "./api";
import { metricParams, type Filters } from "./filters";
import { ATTRIBUTION_FIELDS } from "./attribution";

export type KpiValues = { participants: number; newUsers: number; gmvCents: number; netRevenueCents: number; redemptionRate: number | null; kFactor: number | null };

const sum = (rows: Row[], k: string) => rows.reduce((n, r) => n + (Number(r[k]) || 0), 0);

/** The tiles that count people follow the attribution filters (as the views below do); money and redemption cannot. */
export const attributionSet = (f: Filters) => ATTRIBUTION_FIELDS.some((k) => f[k] !== "");

export async function kpis(f: Filters): Promise<KpiValues> {
  const attribution = Object.fromEntries(ATTRIBUTION_FIELDS.map((k) => [k, f[k]]));
  const [k, ltv, money, red] = await Promise.all([
    metric("kfactor_overall", { ...metricParams("campaign", f), ...attribution }),
    // New users of the 活动 picked (those it brought in, as ROI's 拉新), unless a 拉新活动 is picked: every other tile
    // follows the campaign, and this one counted every sign-up of the range.
    metric("ltv", { ...metricParams("ltv", { ...f, acquisitionCampaignId: f.acquisitionCampaignId || f.campaignId }), ...attribution }),
    metric("revenue_overall", metricParams("campaign", f)),
    metric("redemption", metricParams("campaign", f)),
  ]);
  // One row over every campaign: a person who took part in three campaigns is one participant.
  const participants = sum(k, "participants");
  const issued = sum(red, "issued");
  return {
    participants,
    newUsers: sum(ltv, "users"),
    gmvCents: sum(money, "revenueCents"),
    netRevenueCents: sum(money, "netRevenueCents"),
    redemptionRate: issued ? sum(red, "redeemed") / issued : null,
    kFactor: participants ? sum(k, "inviteeSignups") / participants : null,
  };
}

/** Change in percent against the previous period; null when there is nothing to compare with. */
export function delta(now: number | null, before: number | null): number | null {
  if (now === null || before === null || before === 0) return null;
  return ((now - before) / Math.abs(before)) * 100;
}

const yuan = (cents: number) => `¥${(cents / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export const KPI_TILES: { key: keyof KpiValues; zh: string; en: string; format: (v: number) => string }[] = [
  { key: "participants", zh: "参与人数", en: "Participants", format: (v) => v.toLocaleString() },
  { key: "newUsers", zh: "新用户", en: "New users", format: (v) => v.toLocaleString() },
  { key: "gmvCents", zh: "GMV", en: "GMV", format: yuan },
  { key: "netRevenueCents", zh: "净收入（扣退款）", en: "Net of refunds", format: yuan },
  { key: "redemptionRate", zh: "核销率", en: "Redemption rate", format: (v) => `${(v * 100).toFixed(1)}%` },
  // Campaign shares only (kfactor_overall); 拼团, 助力 and 邀请有礼 have their own K in 裂变增长.
  { key: "kFactor", zh: "K 因子（活动分享带来的注册 ÷ 参与人数）", en: "K-factor (sign-ups from campaign shares ÷ participants)", format: (v) => v.toFixed(2) },
];
