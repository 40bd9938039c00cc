/**
 * The console's order page in words: a supplier attempt in its 发货记录, and why a refund in 支付与退款 was made.
 *
 * A supplier attempt (the API keeps the stored codes: `outcome` ok | accepted |
 * failed | out_of_stock | error | timeout; `detail` how it ended — "callback", "poll:<supplier's reason>",
 * "operator:cancelled" (撤单 confirmed), "poll:disowned", "http_502:busy", "TimeoutError"…). Pure, [zh, en]; unknown codes show as they are.
 */
import { BALANCE_PROVIDER } from "../../../worker/domain/after-sale";

type Words = [string, string];

const OUTCOME: Record<string, Words> = {
  ok: ["充值成功", "recharged"],
  accepted: ["已受理", "accepted"],
  failed: ["充值失败", "failed"],
  out_of_stock: ["缺货", "out of stock"],
  error: ["出错", "error"],
  timeout: ["超时", "timed out"],
};

const VIA: Record<string, Words> = {
  callback: ["供应商回调", "supplier's callback"],
  poll: ["主动查询", "our status query"],
  operator: ["运营不再等待", "an operator stopped waiting"],
};

const REASON: Record<string, Words> = {
  operator_stopped_waiting: ["", ""],
  cancelled: ["供应商已撤单", "the supplier cancelled it"],
  operator_confirmed_cancel: ["运营确认供应商已线下撤单", "the operator attested the supplier's cancel made another way"],
  disowned: ["供应商查无此单，已确认撤单", "the supplier lost the order and confirmed its cancel"],
  not_received: ["供应商未收到订单，已确认撤单", "the supplier never got the order and confirmed its cancel"],
  network: ["网络不通", "network unreachable"],
  TimeoutError: ["无应答", "no answer"],
  AbortError: ["无应答", "no answer"],
  TypeError: ["网络不通", "network unreachable"],
  bad_response: ["应答无法识别", "unreadable answer"],
  out_of_stock: ["", ""],
};

function detailWords(detail: string): Words {
  const [head, ...rest] = detail.split(":");
  const tail = rest.join(":");
  const via = VIA[head!];
  if (via) {
    const why = tail ? (REASON[tail] ?? [tail, tail]) : ["", ""];
    return [why[0] ? `${via[0]}：${why[0]}` : via[0], why[1] ? `${via[1]}: ${why[1]}` : via[1]];
  }
  const http = /^http_(\d{3})$/.exec(head!);
  if (http) return [`HTTP ${http[1]}${tail ? ` ${tail}` : ""}`, `HTTP ${http[1]}${tail ? ` ${tail}` : ""}`];
  return REASON[detail] ?? [detail, detail];
}

/** "<supplier>：充值成功（供应商回调）· 1234 ms": the outcome, how it ended, how long the supplier took. */
export function attemptWords(a: { supplier: string; outcome: string; detail: string | null; latencyMs: number }): Words {
  const outcome = OUTCOME[a.outcome] ?? [a.outcome, a.outcome];
  // A success settled by 不再等待 is the supplier answering the cancel request: it had already recharged it.
  const detail: Words = a.outcome === "ok" && a.detail === "operator" ? ["撤单时供应商答复已充值", "answered the cancel: already recharged"]
    : a.detail ? detailWords(a.detail) : ["", ""];
  return [
    `${a.supplier}：${outcome[0]}${detail[0] ? `（${detail[0]}）` : ""} · 用时 ${a.latencyMs} ms`,
    `${a.supplier}: ${outcome[1]}${detail[1] ? ` (${detail[1]})` : ""} · took ${a.latencyMs} ms`,
  ];
}

/** Refunds the system made by itself (worker/services/fulfilment.ts, groups.ts): their codes. */
const REFUND_REASON: Record<string, Words> = {
  all_suppliers_failed: ["所有供应商均未能充值，自动退款", "no supplier could recharge it; refunded automatically"],
  out_of_stock: ["库存不足，自动退款", "out of stock; refunded automatically"],
  product_missing: ["商品已不存在，自动退款", "the product is gone; refunded automatically"],
  delivery_error: ["发放出错，自动退款", "delivery failed; refunded automatically"],
  delivery_retries_exhausted: ["多次重试仍未发放，自动退款", "not delivered after every retry; refunded automatically"],
  stored_value_load_failed: ["储值未能入账，自动退款", "the balance could not be loaded; refunded automatically"],
  group_seat_refused: ["团已满或已结束，自动退款", "the team was full or over; refunded automatically"],
  group_team_missing: ["拼团不存在，自动退款", "the team is gone; refunded automatically"],
  group_team_expired: ["未在时限内成团，自动退款", "the team did not fill in time; refunded automatically"],
  group_team_closed: ["拼团活动已结束，自动退款", "the group buy ended; refunded automatically"],
};

/** A payment row's reason: a system code in words; an operator's own words (or none) as they are. */
export function paymentReasonWords(reason: string | null): Words {
  if (!reason) return ["", ""];
  return REFUND_REASON[reason] ?? [reason, reason];
}

/** A payment row's kind: 支付 / 退款 at a gateway; 储值余额支付 / 退回储值余额 for the balance's part. */
export function paymentKindWords(p: { kind: string; provider: string }): Words {
  if (p.provider === BALANCE_PROVIDER) return p.kind === "charge" ? ["储值余额支付", "Paid from balance"] : ["退回储值余额", "Back to balance"];
  return p.kind === "charge" ? ["支付", "Charge"] : ["退款", "Refund"];
}

/**
 * A payment row's status. A gateway refund still being processed there is 退款中 (its rights are already taken back);
 * one the gateway refused is 退款失败 with its reason (what it took was given back).
 */
export function paymentStatusWords(p: { kind: string; status: string; failureReason?: string | null }): Words {
  if (p.kind === "refund" && p.status === "pending") return ["退款中", "Refunding"];
  if (p.kind === "refund" && p.status === "failed") return p.failureReason ? [`退款失败：${p.failureReason}`, `Refund failed: ${p.failureReason}`] : ["退款失败", "Refund failed"];
  return p.status === "succeeded" ? ["成功", "Succeeded"] : p.status === "failed" ? ["失败", "Failed"] : ["处理中", "Pending"];
}

/** The order's refund state beside its status: the latest gateway refund still processing, or refused. */
export function refundStateWords(payments: { kind: string; status: string; provider: string }[]): Words | null {
  const refunds = payments.filter((p) => p.kind === "refund" && p.provider !== BALANCE_PROVIDER);
  const last = refunds[refunds.length - 1]; // not .at(-1): Safari 15 lacks it (test/unit/site-syntax-unit)
  if (last?.status === "pending") return ["退款中", "refunding"];
  if (last?.status === "failed") return ["退款失败", "refund failed"];
  return null;
}

/** The supplier's answer to a cancel request (撤单, the API's SupplierCancelAsk answer and reason). */
export function cancelAnswerWords(answer: string, reason: string | null): Words {
  switch (answer) {
    case "cancelled": return ["供应商已撤单", "the supplier cancelled it"];
    case "succeeded": return ["供应商答复已充值成功", "the supplier says it already recharged it"];
    case "failed": return ["供应商答复充值已失败", "the supplier says the recharge failed"];
    case "refused": {
      const why: Words = reason === "in_progress" ? ["正在充值", "recharging it now"] : reason ? [reason, reason] : ["", ""];
      return [`供应商拒绝${why[0] ? `（${why[0]}）` : ""}`, `the supplier refused${why[1] ? ` (${why[1]})` : ""}`];
    }
    case "unanswered": {
      const why: Words = reason === "timeout" ? ["超时", "timed out"] : reason === "other_order" ? ["答复的不是本单", "answered about another order"] : ["出错", "an error"];
      // A cancel that hung may still have taken effect there: only asking again tells.
      return [`供应商未答复（${why[0]}；撤单可能已在对方生效，再次申请可确认）`, `the supplier did not answer (${why[1]}; the cancel may still have taken effect there: ask again to know)`];
    }
    default: return [answer, answer];
  }
}

/** "最近一次撤单请求：12:03 由 owner 申请，供应商拒绝（正在充值）": the last cancel asked for a waiting line. */
export function cancelAskWords(a: { at: string; by: string; byName: string | null; answer: string; reason: string | null }, when: string): Words {
  const who: Words = a.by === "poll" ? ["系统自动申请", "asked by the system"] : [`由 ${a.byName ?? a.by} 申请`, `asked by ${a.byName ?? a.by}`];
  const answer = cancelAnswerWords(a.answer, a.reason);
  return [`最近一次撤单请求：${when} ${who[0]}，${answer[0]}`, `Last cancel request: ${when}, ${who[1]}; ${answer[1]}`];
}
