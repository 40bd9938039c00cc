import type { Row } from "./api";
import { chart, table } from "./render";

type Filters = { from: string; to: string; campaignId: string; acquisitionCampaignId: string; cohortBy: string };

export interface View {
  metric: string;
  params: (f: Filters) => Record<string, string>;
  draw: (rows: Row[], chartEl: HTMLElement, tableEl: HTMLElement) => void;
}

const range = (f: Filters) => ({ from: f.from, to: f.to });
const cohort = (f: Filters) => ({ ...range(f), cohortBy: f.cohortBy, acquisitionCampaignId: f.acquisitionCampaignId });
const camp = (f: Filters) => ({ ...range(f), campaignId: f.campaignId });
const col = (rows: Row[], k: string) => rows.map((r) => r[k] as number | null);
const labelsOf = (rows: Row[], k: string) => rows.map((r) => String(r[k] || "(无)"));

const L: Record<string, string> = {
  cohort: "批次(周)", users: "用户", d1: "次日", d7: "7日", d30: "30日", d1Rate: "次日留存", d7Rate: "7日留存", d30Rate: "30日留存",
  ltv7Cents: "LTV 7天", ltv30Cents: "LTV 30天", ltv90Cents: "LTV 90天", campaignId: "活动", participants: "参与人数",
  sharers: "分享人数", shares: "分享次数", inviteeSignups: "受邀注册", shareRate: "分享率", invitesPerUser: "人均邀请",
  inviteConversion: "邀请转化", kFactor: "K 因子", step: "步骤", fromPrevious: "较上一步", fromFirst: "较首步",
  issued: "发放", redeemed: "已核销", succeeded: "核销成功", failed: "失败", redemptionRate: "核销率", successRate: "成功率",
  supplierId: "供应商", delivered: "交付成功", costCents: "成本", revenueCents: "归因收入", paidOrders: "支付订单", roi: "ROI",
  newUsers: "拉新", newUserShare: "拉新占比", productId: "商品", views: "浏览", viewToPaid: "浏览→支付",
};
for (let i = 0; i < 13; i++) {
  L[`retained_w${i}`] = `W${i} 人数`;
  L[`rates_w${i}`] = `W${i}`;
}

export const VIEWS: Record<string, View> = {
  retention: {
    metric: "retention",
    params: cohort,
    draw(rows, c, t) {
      chart(c, labelsOf(rows, "cohort"), [
        { label: "次日", values: col(rows, "d1Rate"), pct: true },
        { label: "7日", values: col(rows, "d7Rate"), pct: true },
        { label: "30日", values: col(rows, "d30Rate"), pct: true },
      ]);
      table(t, rows, L);
    },
  },
  retention_matrix: {
    metric: "retention_matrix",
    params: cohort,
    draw(rows, _c, t) {
      table(t, rows.map((r) => ({ cohort: r.cohort, users: r.users, rates: r.rates })), L, true);
    },
  },
  ltv: {
    metric: "ltv",
    params: (f) => ({ ...range(f), acquisitionCampaignId: f.acquisitionCampaignId }),
    draw(rows, c, t) {
      const yuan = (k: string) => col(rows, k).map((v) => (v === null ? null : v / 100));
      chart(c, labelsOf(rows, "cohort"), [
        { label: "7天 (¥)", values: yuan("ltv7Cents") },
        { label: "30天 (¥)", values: yuan("ltv30Cents") },
        { label: "90天 (¥)", values: yuan("ltv90Cents") },
      ]);
      table(t, rows, L);
    },
  },
  funnel: {
    metric: "funnel",
    params: camp,
    draw(rows, c, t) {
      const names: Record<string, string> = { view: "浏览", claim_or_draw: "领券/抽奖", order: "下单", paid: "支付", redeemed: "核销" };
      chart(c, rows.map((r) => names[String(r.step)] ?? String(r.step)), [{ label: "用户", values: col(rows, "users") }], true);
      table(t, rows, L);
    },
  },
  kfactor: {
    metric: "kfactor",
    params: camp,
    draw(rows, c, t) {
      chart(c, labelsOf(rows, "campaignId"), [{ label: "K 因子", values: col(rows, "kFactor") }], true);
      table(t, rows, L);
    },
  },
  roi: {
    metric: "roi",
    params: camp,
    draw(rows, c, t) {
      chart(c, labelsOf(rows, "campaignId"), [{ label: "ROI", values: col(rows, "roi") }], true);
      table(t, rows, L);
    },
  },
  redemption: {
    metric: "redemption",
    params: camp,
    draw(rows, c, t) {
      chart(c, labelsOf(rows, "campaignId"), [
        { label: "核销率", values: col(rows, "redemptionRate"), pct: true },
        { label: "成功率", values: col(rows, "successRate"), pct: true },
      ], true);
      table(t, rows, L);
    },
  },
  suppliers: {
    metric: "suppliers",
    params: range,
    draw(rows, c, t) {
      chart(c, labelsOf(rows, "supplierId"), [{ label: "成功率", values: col(rows, "successRate"), pct: true }], true);
      table(t, rows, L);
    },
  },
  top_products: {
    metric: "top_products",
    params: camp,
    draw(rows, c, t) {
      chart(c, labelsOf(rows, "productId"), [{ label: "收入 (¥)", values: col(rows, "revenueCents").map((v) => (v ?? 0) / 100) }], true);
      table(t, rows, L);
    },
  },
};
