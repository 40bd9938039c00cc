/**
 * The dashboard's 精准营销 (targeting, issue 19) section: uplift of each targeted issuance against its holdout,
 * coupon cost vs attributed revenue per segment, win-back reactivation and expiry-reminder-to-use conversion.
 * One metric each (GET /api/v1/analytics/<metric>).
 */
import type { Row } from "./api";
import { apiRange, day } from "./filters";
import { t } from "../i18n";
import { bucketFor } from "./membership-data";
import { chart, table } from "./render";
import { nameOf, type View } from "./views";

const HEAD: Record<string, readonly [string, string]> = {
  issuanceId: ["定向发放", "Issuance"], segmentId: ["人群", "Segment"], couponProductId: ["券", "Coupon"], treated: ["发券组", "Treated"],
  control: ["对照组", "Control"], treatedRedeemed: ["发券组使用", "Treated used"], controlRedeemed: ["对照组使用", "Control used"],
  treatedRedemptionRate: ["发券组使用率", "Treated use rate"], controlRedemptionRate: ["对照组使用率", "Control use rate"],
  redemptionUplift: ["使用率提升", "Use-rate uplift"], treatedRevenuePerPersonCents: ["发券组人均收入", "Treated revenue/person"],
  controlRevenuePerPersonCents: ["对照组人均收入", "Control revenue/person"], revenueUpliftCents: ["人均收入提升", "Revenue uplift/person"],
  couponsApplied: ["用券次数", "Coupons applied"], discountCents: ["优惠金额", "Discounts"], issueCostCents: ["发券成本", "Issue cost"],
  costCents: ["总成本", "Total cost"], orders: ["用券订单", "Orders"], attributedRevenueCents: ["归因收入", "Attributed revenue"],
  revenuePerCostCent: ["收入/成本", "Revenue per cost"],
  bucket: ["日期", "Date"], sent: ["召回消息", "Messages"], reactivated: ["已回流", "Came back"], reactivationRate: ["回流率", "Reactivation rate"],
  reminded: ["已提醒", "Reminded"], used: ["已使用", "Used"], conversionRate: ["提醒后使用率", "Used after reminder"],
};
const L = new Proxy({} as Record<string, string>, { get: (_, k) => (HEAD[String(k)] ? t(...HEAD[String(k)]!) : undefined) });
const num = (rows: Row[], k: string) => rows.map((r) => (r[k] === null ? null : Number(r[k])));
const DAY_MS = 86_400_000;
/** The win-back window the dashboard asks for: the API's default `days`. */
const WIN_BACK_DAYS = 30;
const segmentName = (id: unknown) => (id ? nameOf("segmentId", id) : t("(非定向)", "(not targeted)"));

export const TARGETING_VIEWS: Record<string, View> = {
  targeting_uplift: {
    metric: "targeting_uplift",
    empty: ["所选时间内没有定向发券 — 向人群定向发券（含随机对照组）后这里会显示", "No targeted issuance in this range — it appears once coupons are issued to a segment (with its random holdout)"],
    params: (f) => apiRange(f),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => nameOf("issuanceId", r.issuanceId)), [
        { label: t("发券组使用率", "Treated use rate"), values: num(rows, "treatedRedemptionRate"), pct: true },
        { label: t("对照组使用率", "Control use rate"), values: num(rows, "controlRedemptionRate"), pct: true },
      ], true);
      table(tableEl, rows.map((r) => ({ ...r, issuanceId: nameOf("issuanceId", r.issuanceId), segmentId: r.segmentId ? nameOf("segmentId", r.segmentId) : t("指定会员", "Named members"), couponProductId: nameOf("productId", r.couponProductId) })), L);
    },
  },
  coupon_roi: {
    metric: "coupon_roi",
    empty: ["所选时间内没有订单用券", "No order used a coupon in this range"],
    params: (f) => apiRange(f),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => segmentName(r.segmentId)), [
        { label: t("成本 (¥)", "Cost (¥)"), values: num(rows, "costCents").map((v) => (v ?? 0) / 100) },
        { label: t("归因收入 (¥)", "Attributed revenue (¥)"), values: num(rows, "attributedRevenueCents").map((v) => (v ?? 0) / 100) },
      ], true);
      table(tableEl, rows.map((r) => ({ ...r, segmentId: segmentName(r.segmentId) })), L);
    },
  },
  win_back_reactivation: {
    metric: "win_back_reactivation",
    empty: ["所选时间内没有发出沉睡召回消息", "No win-back message was sent in this range"],
    params: (f) => ({ ...apiRange(f), bucket: bucketFor(f) }),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => String(r.bucket)), [{ label: t("回流率", "Reactivation rate"), values: num(rows, "reactivationRate"), pct: true }], true);
      table(tableEl, rows, L);
      // A message of the last 30 days (the API's default window) may still bring its person back: its 0% is not final.
      const since = day(new Date(Date.now() - WIN_BACK_DAYS * DAY_MS));
      const sent = rows.filter((r) => Number(r.sent) > 0);
      const last = String(sent[sent.length - 1]?.bucket ?? "");
      if (last && Date.parse(`${last}T00:00:00Z`) + 31 * DAY_MS >= Date.parse(`${since}T00:00:00Z`)) {
        const p = document.createElement("p");
        p.className = "note";
        p.textContent = t(`${since} 之后发出的消息仍在 ${WIN_BACK_DAYS} 天观察期内：它们的回流率还会上升。`, `Messages sent after ${since} are still inside the ${WIN_BACK_DAYS}-day window: their rate can still rise.`);
        tableEl.append(p);
      }
    },
  },
  reminder_conversion: {
    metric: "reminder_conversion",
    empty: ["所选时间内没有发出到期提醒", "No expiry reminder was sent in this range"],
    params: (f) => ({ ...apiRange(f), bucket: bucketFor(f) }),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => String(r.bucket)), [{ label: t("提醒后使用率", "Used after reminder"), values: num(rows, "conversionRate"), pct: true }], true);
      table(tableEl, rows, L);
    },
  },
};
