import type { Names, Row } from "./api";
import { t } from "../i18n";
import { metricParams, type Filters } from "./filters";
import { chart, table } from "./render";

export interface View {
  metric: string;
  params: (f: Filters) => Record<string, string>;
  /** A view built from several queries (the page then calls this instead of the one metric). */
  load?: (f: Filters) => Promise<Row[]>;
  draw: (rows: Row[], chartEl: HTMLElement, tableEl: HTMLElement) => void;
  /**
   * What the card says when it has nothing to show (no rows, or only zeros): what is missing for this card, in
   * Chinese and English. Without it, the campaign sentence.
   */
  empty?: readonly [string, string];
}

const range = (f: Filters) => metricParams("range", f);
const cohort = (f: Filters) => metricParams("cohort", f);
const camp = (f: Filters) => metricParams("campaign", f);
const col = (rows: Row[], k: string) => rows.map((r) => r[k] as number | null);

// Ids in rows are shown by name (from /analytics/names); an id the brand no longer has stays as it is.
let known: Names = { campaigns: {}, products: {}, suppliers: {}, tiers: {}, segments: {}, issuances: {} };
export const setNames = (n: Names) => void (known = n);
const ID_NAMES: Record<string, keyof Names> = {
  campaignId: "campaigns", acquisitionCampaignId: "campaigns", productId: "products", supplierId: "suppliers", tierId: "tiers", segmentId: "segments", issuanceId: "issuances",
};
// An empty campaign is not missing data: the voucher, order or person came without a campaign.
const EMPTY: Record<string, readonly [string, string]> = {
  campaignId: ["非活动（直接购买等）", "No campaign (bought, etc.)"], acquisitionCampaignId: ["非活动带来", "Not from a campaign"], tierId: ["未分等级", "No tier"],
};
export function nameOf(k: string, id: unknown): string {
  if (!id) return t(...(EMPTY[k] ?? ["(无)", "(none)"]));
  const map = ID_NAMES[k];
  return (map && known[map][String(id)]) || String(id);
}
const labelsOf = (rows: Row[], k: string) => rows.map((r) => (ID_NAMES[k] ? nameOf(k, r[k]) : String(r[k] || t("(无)", "(none)"))));
/** Rows for display: id columns replaced by names (CSV exports keep the ids). */
const named = (rows: Row[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, ID_NAMES[k] ? nameOf(k, v) : v])));

// Column headers in both languages, resolved when a table is drawn (the page's language is known by then).
const HEADERS: Record<string, readonly [string, string]> = {
  cohort: ["批次(周)", "Cohort (week)"], users: ["用户", "Users"], d1: ["次日", "D1"], d7: ["7日", "D7"], d30: ["30日", "D30"],
  d1Rate: ["次日留存", "D1 retention"], d7Rate: ["7日留存", "D7 retention"], d30Rate: ["30日留存", "D30 retention"],
  ltv7Cents: ["LTV 7天", "LTV 7d"], ltv30Cents: ["LTV 30天", "LTV 30d"], ltv90Cents: ["LTV 90天", "LTV 90d"], campaignId: ["活动", "Campaign"],
  participants: ["参与人数", "Participants"], sharers: ["分享人数", "Sharers"], shares: ["分享次数", "Shares"],
  inviteeSignups: ["受邀注册", "Invitee sign-ups"], shareRate: ["分享率", "Share rate"], invitesPerUser: ["人均邀请", "Invites per user"],
  inviteConversion: ["邀请转化", "Invite conversion"], kFactor: ["K 因子", "K-factor"], step: ["步骤", "Step"],
  fromPrevious: ["较上一步", "From previous"], fromFirst: ["较首步", "From first"], issued: ["发放", "Issued"], redeemed: ["已核销", "Redeemed"],
  succeeded: ["核销成功", "Succeeded"], failed: ["失败", "Failed"], redemptionRate: ["核销率", "Redemption rate"], successRate: ["成功率", "Success rate"],
  supplierId: ["供应商", "Supplier"], delivered: ["交付成功", "Delivered"], costCents: ["成本", "Cost"], revenueCents: ["归因收入", "Attributed revenue"],
  paidOrders: ["支付订单", "Paid orders"], roi: ["ROI", "ROI"], newUsers: ["拉新", "New users"], newUserShare: ["拉新占比", "New-user share"],
  productId: ["商品", "Product"], views: ["浏览", "Views"], viewers: ["浏览人数", "Viewers"], viewToPaid: ["浏览→支付", "Viewers who paid"],
  refundedCents: ["退款", "Refunds"], netRevenueCents: ["净收入", "Net of refunds"],
  // Social growth (issue 18)
  mechanism: ["玩法", "Mechanism"], cycleMedianMinutes: ["裂变周期(分钟,中位)", "Viral cycle (median min)"],
  teamsOpened: ["开团", "Teams opened"], teamsCompleted: ["成团", "Teams filled"], teamsFailed: ["失败/过期", "Failed/expired"],
  teamSuccessRate: ["成团率", "Team success"], teamFailRate: ["失败率", "Team failure"], assistHelps: ["助力次数", "Helps"],
  goalsReached: ["助力达成", "Goals reached"], assistsPerGoal: ["每次达成助力数", "Helps per goal"],
  inviteeLtvCents: ["受邀用户 LTV", "Invitee LTV"], organicLtvCents: ["自然用户 LTV", "Organic LTV"], rewardCostCents: ["奖励成本", "Reward cost"],
  attributedRevenueCents: ["归因收入", "Attributed revenue"], revenuePerCostCent: ["收入/成本", "Revenue per cost"],
};
const MECHANISMS: Record<string, readonly [string, string]> = {
  campaign: ["活动分享", "Campaign"], group: ["拼团", "Group buy"], assist: ["助力", "Assist"], invite: ["邀请有礼", "Invite"], product: ["商品分享", "Product"],
};
const mechanismName = (m: unknown) => t(...(MECHANISMS[String(m)] ?? [String(m), String(m)]));

for (let i = 0; i < 13; i++) {
  HEADERS[`retained_w${i}`] = [`W${i} 人数`, `W${i} users`];
  HEADERS[`rates_w${i}`] = [`W${i}`, `W${i}`];
}
/** Headers in the page's language; `over` renames a column for one view. */
const labels = (over: Record<string, readonly [string, string]> = {}) => new Proxy({} as Record<string, string>, {
  get: (_, k) => {
    const pair = over[String(k)] ?? HEADERS[String(k)];
    return pair ? t(pair[0], pair[1]) : undefined;
  },
});
const L = labels();

/** A chart of retention rates whose every cohort is too young for one (the table shows the cohorts with "–"). */
export const TOO_YOUNG_COHORTS = ["批次都尚未满期 — 次日留存在注册次日过完后才有，见下表", "Every cohort is too young — D1 retention exists once the day after sign-up is over; see the table"] as const;
const NO_COHORTS = ["所选时间内没有新用户 — 按注册（或首单）时间分批，有用户加入后这里会显示", "No new users in this range — cohorts are by sign-up (or first purchase) date"] as const;

export const VIEWS: Record<string, View> = {
  retention: {
    metric: "retention",
    empty: NO_COHORTS,
    params: cohort,
    draw(rows, c, tableEl) {
      chart(c, labelsOf(rows, "cohort"), [
        { label: t("次日", "D1"), values: col(rows, "d1Rate"), pct: true },
        { label: t("7日", "D7"), values: col(rows, "d7Rate"), pct: true },
        { label: t("30日", "D30"), values: col(rows, "d30Rate"), pct: true },
      ], false, t(...TOO_YOUNG_COHORTS));
      table(tableEl, named(rows), L);
    },
  },
  retention_matrix: {
    metric: "retention_matrix",
    empty: NO_COHORTS,
    params: cohort,
    draw(rows, _c, tableEl) {
      table(tableEl, rows.map((r) => ({ cohort: r.cohort, users: r.users, rates: r.rates })), L, true);
    },
  },
  ltv: {
    metric: "ltv",
    empty: NO_COHORTS,
    params: (f) => metricParams("ltv", f),
    draw(rows, c, tableEl) {
      const yuan = (k: string) => col(rows, k).map((v) => (v === null ? null : v / 100));
      chart(c, labelsOf(rows, "cohort"), [
        { label: t("7天 (¥)", "7 days (¥)"), values: yuan("ltv7Cents") },
        { label: t("30天 (¥)", "30 days (¥)"), values: yuan("ltv30Cents") },
        { label: t("90天 (¥)", "90 days (¥)"), values: yuan("ltv90Cents") },
      ]);
      table(tableEl, named(rows), L);
    },
  },
  funnel: {
    metric: "funnel",
    empty: ["所选时间内没有人浏览、领券/抽奖或下单", "Nobody viewed, claimed, drew or ordered in this range"],
    params: camp,
    draw(rows, c, tableEl) {
      // One campaign's funnel (its last step is `used`): its own orders — the win's order, or one that applied its
      // coupon — and its vouchers used at a store or on a paid order (analytics/metrics/funnel.ts).
      const one = rows.some((r) => r.step === "used");
      const names: Record<string, string> = {
        view: t("浏览", "View"), claim_or_draw: t("领券/抽奖", "Claim/draw"),
        order: one ? t("本活动订单", "Campaign's order") : t("下单", "Order"), paid: one ? t("本活动订单支付", "Campaign's order paid") : t("支付", "Paid"),
        redeemed: t("到店核销", "Redeemed in store"), used: t("本活动券已使用（到店核销或下单抵扣）", "Its voucher used (in store or on a paid order)"),
      };
      chart(c, rows.map((r) => names[String(r.step)] ?? String(r.step)), [{ label: t("用户", "Users"), values: col(rows, "users") }], true);
      table(tableEl, rows.map((r) => ({ ...r, step: names[String(r.step)] ?? r.step })), L);
    },
  },
  kfactor: {
    metric: "kfactor",
    params: camp,
    draw(rows, c, tableEl) {
      chart(c, labelsOf(rows, "campaignId"), [{ label: t("K 因子", "K-factor"), values: col(rows, "kFactor") }], true);
      table(tableEl, named(rows), L);
    },
  },
  growth: {
    metric: "growth",
    empty: ["所选时间内没有分享、拼团、助力或邀请", "No shares, group buys, assists or invites in this range"],
    params: range,
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => mechanismName(r.mechanism)), [{ label: t("K 因子", "K-factor"), values: col(rows, "kFactor") }], true);
      table(tableEl, rows.map((r) => ({ ...r, mechanism: mechanismName(r.mechanism) })), L);
    },
  },
  roi: {
    metric: "roi",
    params: camp,
    draw(rows, c, tableEl) {
      chart(c, labelsOf(rows, "campaignId"), [{ label: "ROI", values: col(rows, "roi") }], true);
      table(tableEl, named(rows), L);
    },
  },
  redemption: {
    metric: "redemption",
    empty: ["所选时间内没有发放券，也没有核销", "No vouchers issued or redeemed in this range"],
    params: camp,
    draw(rows, c, tableEl) {
      chart(c, labelsOf(rows, "campaignId"), [
        { label: t("核销率", "Redemption rate"), values: col(rows, "redemptionRate"), pct: true },
        { label: t("成功率", "Success rate"), values: col(rows, "successRate"), pct: true },
      ], true);
      table(tableEl, named(rows), L);
    },
  },
  suppliers: {
    metric: "suppliers",
    empty: ["暂无数据 — 有订单经上游供应商发货后这里会显示数据", "No data yet — it appears here once orders are fulfilled through suppliers"],
    params: range,
    draw(rows, c, tableEl) {
      chart(c, labelsOf(rows, "supplierId"), [{ label: t("成功率", "Success rate"), values: col(rows, "successRate"), pct: true }], true);
      table(tableEl, named(rows), L);
    },
  },
  top_products: {
    metric: "top_products",
    empty: ["所选时间内没有商品被浏览或购买", "No product was viewed or bought in this range"],
    params: camp,
    draw(rows, c, tableEl) {
      chart(c, labelsOf(rows, "productId"), [
        { label: t("收入 (¥)", "Revenue (¥)"), values: col(rows, "revenueCents").map((v) => (v ?? 0) / 100) },
        { label: t("退款 (¥)", "Refunds (¥)"), values: col(rows, "refundedCents").map((v) => (v ?? 0) / 100) },
      ], true);
      // A product's takings, as its chart says: 归因收入 (ROI's column) read as if credited to some campaign.
      table(tableEl, named(rows), labels({ revenueCents: ["收入", "Revenue"] }));
    },
  },
};
