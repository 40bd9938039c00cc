/**
 * The dashboard's 会员 (membership) section: members by tier over time, the points ledger and its liability, member
 * vs non-member retention and LTV, paid-card renewals and check-in streaks. Each view is one metric of the JSON API
 * (GET /api/v1/analytics/<metric>), except member vs non-member, which asks retention and LTV once per segment and
 * sums the cohorts here.
 */
import { metric, type Row } from "./api";
import { ATTRIBUTION_FIELDS } from "./attribution";
import { apiRange, metricParams, type Filters } from "./filters";
import { t } from "../i18n";
import { chart, table } from "./render";
import { nameOf, TOO_YOUNG_COHORTS, type View } from "./views";
import { bucketFor, days, pivotTiers, sumCohorts } from "./membership-data";

const HEAD: Record<string, readonly [string, string]> = {
  bucket: ["日期", "Date"], tierId: ["等级", "Tier"], members: ["会员", "Members"], issued: ["发放", "Issued"], spent: ["消耗", "Spent"],
  expired: ["过期", "Expired"], reversed: ["冲回", "Reversed"], adjusted: ["调整", "Adjusted"], outstanding: ["未兑积分", "Outstanding"],
  outstandingValueCents: ["负债金额", "Liability"], due: ["到期", "Due"], renewed: ["续费", "Renewed"], lapsed: ["失效", "Lapsed"],
  pending: ["待定", "Pending"], renewalRate: ["续费率", "Renewal rate"], streak: ["最长连签(天)", "Longest streak (days)"], share: ["占比", "Share"],
  segment: ["分群", "Segment"], users: ["用户", "Users"], d1Rate: ["次日留存", "D1 retention"], d7Rate: ["7日留存", "D7 retention"],
  d30Rate: ["30日留存", "D30 retention"], ltv30Cents: ["LTV 30天", "LTV 30d"], ltv90Cents: ["LTV 90天", "LTV 90d"],
};
const L = new Proxy({} as Record<string, string>, { get: (_, k) => (HEAD[String(k)] ? t(...HEAD[String(k)]!) : undefined) });
const num = (rows: Row[], k: string) => rows.map((r) => (r[k] === null ? null : Number(r[k])));

const withAttribution = (f: Filters) => Object.fromEntries(ATTRIBUTION_FIELDS.map((k) => [k, f[k]]));

export const MEMBER_VIEWS: Record<string, View> = {
  members_by_tier: {
    metric: "members_by_tier",
    empty: ["所选时间内还没有会员 — 有用户加入会员后这里会显示", "No members in this range yet — they appear here once people join the membership"],
    params: (f) => ({ ...apiRange(f), bucket: bucketFor(f) }),
    draw(rows, c, tableEl) {
      const { buckets, tiers, counts } = pivotTiers(rows);
      chart(c, buckets, tiers.map((tier) => ({ label: nameOf("tierId", tier), values: buckets.map((b) => counts.get(`${b}|${tier}`) ?? 0) })));
      const named = Object.fromEntries(tiers.map((tier) => [tier, nameOf("tierId", tier)]));
      table(tableEl, buckets.map((b) => ({ bucket: b, ...Object.fromEntries(tiers.map((tier) => [named[tier]!, counts.get(`${b}|${tier}`) ?? 0])) })), L);
    },
  },
  points: {
    metric: "points",
    empty: ["所选时间内没有积分发放、消耗或过期，也没有未兑积分", "No points issued, spent or expired in this range, and none outstanding"],
    params: (f) => ({ ...apiRange(f), bucket: bucketFor(f), pointValueCents: f.pointValueCents }),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => String(r.bucket)), [
        { label: t("未兑积分", "Outstanding"), values: num(rows, "outstanding") },
        { label: t("发放", "Issued"), values: num(rows, "issued") },
        { label: t("消耗", "Spent"), values: num(rows, "spent") },
        { label: t("过期", "Expired"), values: num(rows, "expired") },
      ]);
      // The balance and its money value first: they are what fits the phone's width without scrolling.
      const order = ["bucket", "outstanding", "outstandingValueCents", "issued", "spent", "expired", "reversed", "adjusted"];
      table(tableEl, rows.map((r) => Object.fromEntries(order.map((k) => [k, r[k]]))), L);
    },
  },
  member_vs: {
    metric: "retention",
    empty: ["所选时间内没有新注册用户 — 会员与非会员按注册批次比较", "No sign-ups in this range — members and non-members are compared by sign-up cohort"],
    params: (f) => ({ ...metricParams("cohort", f), ...withAttribution(f) }),
    async load(f) {
      const segment = async (s: "members" | "non_members", label: string) => {
        const [ret, ltv] = await Promise.all([
          metric("retention", { ...metricParams("cohort", f), ...withAttribution(f), segment: s }),
          metric("ltv", { ...metricParams("ltv", f), ...withAttribution(f), segment: s }),
        ]);
        return ret.length || ltv.length ? [{ segment: label, ...sumCohorts(ret, ltv) }] : [];
      };
      return (await Promise.all([segment("members", t("会员", "Members")), segment("non_members", t("非会员", "Non-members"))])).flat();
    },
    draw(rows, c, tableEl) {
      chart(c, [t("次日", "D1"), t("7日", "D7"), t("30日", "D30")], rows.map((r) => ({
        label: String(r.segment), values: [r.d1Rate, r.d7Rate, r.d30Rate] as (number | null)[], pct: true,
      })), false, t(...TOO_YOUNG_COHORTS));
      table(tableEl, rows, L);
    },
  },
  paid_card_renewal: {
    metric: "paid_card_renewal",
    empty: ["所选时间内没有到期的付费会员卡 — 续费率按到期日统计：尚未售出付费会员卡，或已售出的卡还未到期", "No paid member card fell due in this range — renewal is counted by due date: no paid card sold yet, or none due yet"],
    params: (f) => ({ ...apiRange(f), bucket: days(f) <= 92 ? "week" : "month" }),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => String(r.bucket)), [{ label: t("续费率", "Renewal rate"), values: num(rows, "renewalRate"), pct: true }], true,
        t("到期的卡都还待定（未续费也未失效），见下表", "Every card due is still pending (neither renewed nor lapsed); see the table"));
      table(tableEl, rows, L);
    },
  },
  checkin_streaks: {
    metric: "checkin_streaks",
    empty: ["所选时间内没有会员签到", "No member checked in during this range"],
    params: (f) => apiRange(f),
    draw(rows, c, tableEl) {
      chart(c, rows.map((r) => String(r.streak)), [{ label: t("会员", "Members"), values: num(rows, "members") }], true);
      table(tableEl, rows, L);
    },
  },
};
