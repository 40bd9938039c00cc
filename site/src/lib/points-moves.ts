/**
 * How one points movement reads in the member's statement (积分明细), pure so it is tested without a page. A reversal
 * says what it was (an order refund taking points back, a first order's refund taking a task's back, a returned
 * exchange giving them back) and why it moved fewer points than it might have (`shortfall`); one that moved nothing
 * reads 无变动 with that reason, never a bare "0".
 */
type Lang = "zh" | "en";
export interface MoveLike {
  kind: string;
  sourceKind: string;
  points: number;
  shortfall: number;
}

const KIND: Record<string, [string, string]> = {
  earn: ["获得", "Earned"], spend: ["使用", "Spent"], reverse: ["退回/冲正", "Reversed"], expire: ["过期", "Expired"], adjust: ["调整", "Adjusted"],
};
const SOURCE: Record<string, [string, string]> = {
  order: ["购物", "Purchase"], redemption: ["到店核销", "Store redemption"], check_in: ["签到", "Check-in"], task: ["任务", "Task"],
  referral: ["邀请好友", "Referral"], mall: ["积分商城", "Points mall"], lot: ["积分到期", "Expiry"], adjustment: ["客服调整", "Adjustment"],
};

export function describeMove(m: MoveLike, lang: Lang): { title: string; note: string | null; amount: string; tone: "plus" | "minus" | "none" } {
  const t = (zh: string, en: string) => (lang === "en" ? en : zh);
  const pick = (map: Record<string, [string, string]>, k: string) => t(...(map[k] ?? [k, k]));
  let title = `${pick(KIND, m.kind)} · ${pick(SOURCE, m.sourceKind)}`;
  let note: string | null = null;
  if (m.kind === "reverse" && m.sourceKind === "order") {
    title = t("订单退款 · 收回积分", "Order refunded · points taken back");
    if (m.shortfall > 0) note = t(`该订单所得积分中有 ${m.shortfall} 分已使用，不再扣回`, `${m.shortfall} of the order's points were already used and are not taken back`);
  } else if (m.kind === "reverse" && m.sourceKind === "task") {
    // Only a first-purchase task is taken back: its order was refunded.
    title = t("首单退款 · 收回任务积分", "First order refunded · task points taken back");
    if (m.shortfall > 0) note = t(`该任务所得积分中有 ${m.shortfall} 分已使用，不再扣回`, `${m.shortfall} of the task's points were already used and are not taken back`);
  } else if (m.kind === "reverse" && m.sourceKind === "mall") {
    title = t("兑换已退回 · 返还积分", "Exchange returned · points given back");
    if (m.shortfall > 0) note = t(`其中 ${m.shortfall} 分来自已退款订单或已过期，不予返还`, `${m.shortfall} of them came from a refunded order or have expired, and are not given back`);
  }
  if (m.points === 0) return { title, note, amount: t("无变动", "No change"), tone: "none" };
  return { title, note, amount: `${m.points > 0 ? "+" : ""}${m.points}`, tone: m.points > 0 ? "plus" : "minus" };
}
