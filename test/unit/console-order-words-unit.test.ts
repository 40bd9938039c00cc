import { describe, expect, it } from "vitest";
import { attemptWords, cancelAskWords, cancelAnswerWords, paymentReasonWords, paymentStatusWords, refundStateWords } from "../../site/src/lib/console-order-words";

describe("the console order page's words", () => {
  it("words a supplier attempt by its outcome and how it ended, in Chinese and English", () => {
    expect(attemptWords({ supplier: "快充", outcome: "ok", detail: "callback", latencyMs: 812 })).toEqual([
      "快充：充值成功（供应商回调） · 用时 812 ms", "快充: recharged (supplier's callback) · took 812 ms",
    ]);
    expect(attemptWords({ supplier: "快充", outcome: "failed", detail: "operator:operator_stopped_waiting", latencyMs: 5 })[0]).toBe("快充：充值失败（运营不再等待） · 用时 5 ms");
    // 不再等待 asks the supplier to cancel (撤单): its confirmed cancel, or its "already recharged".
    expect(attemptWords({ supplier: "快充", outcome: "failed", detail: "operator:cancelled", latencyMs: 5 })[0]).toBe("快充：充值失败（运营不再等待：供应商已撤单） · 用时 5 ms");
    expect(attemptWords({ supplier: "快充", outcome: "ok", detail: "operator", latencyMs: 5 })[0]).toBe("快充：充值成功（撤单时供应商答复已充值） · 用时 5 ms");
    expect(attemptWords({ supplier: "快充", outcome: "failed", detail: "poll:disowned", latencyMs: 5 })[0]).toBe("快充：充值失败（主动查询：供应商查无此单，已确认撤单） · 用时 5 ms");
    expect(attemptWords({ supplier: "快充", outcome: "failed", detail: "poll:invalid_account", latencyMs: 5 })[0]).toBe("快充：充值失败（主动查询：invalid_account） · 用时 5 ms");
    expect(attemptWords({ supplier: "快充", outcome: "error", detail: "http_502:busy", latencyMs: 40 })[0]).toBe("快充：出错（HTTP 502 busy） · 用时 40 ms");
    expect(attemptWords({ supplier: "快充", outcome: "timeout", detail: "TimeoutError", latencyMs: 3000 })[0]).toBe("快充：超时（无应答） · 用时 3000 ms");
    expect(attemptWords({ supplier: "快充", outcome: "out_of_stock", detail: "out_of_stock", latencyMs: 9 })[0]).toBe("快充：缺货 · 用时 9 ms");
    expect(attemptWords({ supplier: "快充", outcome: "accepted", detail: null, latencyMs: 9 })[1]).toBe("快充: accepted · took 9 ms");
    // An outcome this page does not know yet shows as stored rather than vanishing.
    expect(attemptWords({ supplier: "快充", outcome: "rerouted", detail: "x", latencyMs: 1 })[0]).toBe("快充：rerouted（x） · 用时 1 ms");
  });

  it("words the system's refund codes and keeps an operator's own reason", () => {
    expect(paymentReasonWords("all_suppliers_failed")[0]).toBe("所有供应商均未能充值，自动退款");
    expect(paymentReasonWords("group_team_expired")[1]).toBe("the team did not fill in time; refunded automatically");
    expect(paymentReasonWords("买家申请，协商一致")).toEqual(["买家申请，协商一致", "买家申请，协商一致"]);
    expect(paymentReasonWords(null)).toEqual(["", ""]);
  });

  it("words the last cancel request (撤单) of a waiting line: when, who, and what the supplier answered", () => {
    const ask = { at: "2026-05-03T04:03:00Z", by: "key_1", byName: "值班运营", answer: "refused", reason: "in_progress" };
    expect(cancelAskWords(ask, "12:03")).toEqual([
      "最近一次撤单请求：12:03 由 值班运营 申请，供应商拒绝（正在充值）", "Last cancel request: 12:03, asked by 值班运营; the supplier refused (recharging it now)",
    ]);
    expect(cancelAskWords({ ...ask, byName: null }, "12:03")[0]).toContain("由 key_1 申请");
    expect(cancelAskWords({ ...ask, by: "poll", byName: null, answer: "unanswered", reason: "timeout" }, "12:31")[0])
      .toBe("最近一次撤单请求：12:31 系统自动申请，供应商未答复（超时；撤单可能已在对方生效，再次申请可确认）");
    expect(cancelAnswerWords("unanswered", "error")[0]).toContain("供应商未答复（出错");
    expect(cancelAnswerWords("refused", null)).toEqual(["供应商拒绝", "the supplier refused"]);
    expect(cancelAnswerWords("cancelled", null)[0]).toBe("供应商已撤单");
    expect(cancelAnswerWords("later_kind", null)).toEqual(["later_kind", "later_kind"]);
  });

  it("shows a refund still processing at the gateway as 退款中 and one it refused as 退款失败 with its reason", () => {
    expect(paymentStatusWords({ kind: "refund", status: "pending" })).toEqual(["退款中", "Refunding"]);
    expect(paymentStatusWords({ kind: "refund", status: "failed", failureReason: "ABNORMAL" })).toEqual(["退款失败：ABNORMAL", "Refund failed: ABNORMAL"]);
    expect(paymentStatusWords({ kind: "refund", status: "failed", failureReason: null })[0]).toBe("退款失败");
    expect(paymentStatusWords({ kind: "charge", status: "pending" })[0]).toBe("处理中");
    expect(paymentStatusWords({ kind: "refund", status: "succeeded" })[0]).toBe("成功");
    const charge = { kind: "charge", status: "succeeded", provider: "sandbox" };
    expect(refundStateWords([charge, { kind: "refund", status: "succeeded", provider: "sandbox" }, { kind: "refund", status: "pending", provider: "sandbox" }])?.[0]).toBe("退款中");
    expect(refundStateWords([charge, { kind: "refund", status: "failed", provider: "wechatpay" }])?.[0]).toBe("退款失败");
    expect(refundStateWords([charge, { kind: "refund", status: "succeeded", provider: "sandbox" }])).toBeNull();
  });
});
