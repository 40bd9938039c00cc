import { describe, expect, it } from "vitest";
import { TICKET_REASONS } from "../../schema/after-sale";
import { failureWords, orderStatusWords, reasonWords, ticketReasonOptions } from "../../site/src/lib/order-words";

describe("the buyer's order words fit what was bought", () => {
  it("a failed direct recharge reads 充值失败, refunded automatically; a card key still reads 发放失败", () => {
    expect(orderStatusWords({ status: "failed", productKind: "direct_recharge" })[0]).toBe("充值失败");
    expect(orderStatusWords({ status: "paid", productKind: "direct_recharge" })[0]).toBe("已支付，充值中");
    expect(orderStatusWords({ status: "failed", productKind: "card_key" })[0]).toBe("发放失败");
    expect(orderStatusWords({ status: "paid", source: "group:tm_1", productKind: "direct_recharge" })[0]).toBe("已支付，等待成团");
    expect(failureWords("supplier_failed", "refunded", "direct_recharge")).toEqual(["充值失败，已自动退款", "Recharge failed; refunded automatically"]);
    expect(failureWords("supplier_failed", "failed", "direct_recharge")[0]).toBe("充值失败，款项将自动原路退回");
    expect(failureWords("out_of_stock", "refunded", "card_key")[0]).toBe("发放失败，已自动退款");
    // A group-buy refund says what happened to the team, whatever was bought.
    expect(failureWords("group_team_expired", "refunded", "direct_recharge")[0]).toBe("未在时限内成团，已全额退款");
  });

  it("the after-sale problems of a recharge default to 未到账 and never offer 卡密无效; every value is an allowed reason", () => {
    const recharge = ticketReasonOptions("direct_recharge");
    expect(recharge[0]).toEqual({ value: "not_received", words: ["未到账", "Not credited"] });
    expect(recharge.map((o) => o.value)).not.toContain("key_invalid");
    expect(recharge.map((o) => o.value)).toContain("wrong_account");
    expect(ticketReasonOptions("card_key")[0]!.value).toBe("key_invalid");
    expect(ticketReasonOptions("card_key").map((o) => o.value)).not.toContain("wrong_account");
    expect(ticketReasonOptions("bundle").map((o) => o.value)).toEqual([...TICKET_REASONS]);
    expect(ticketReasonOptions(null).map((o) => o.value)).toEqual([...TICKET_REASONS]);
    for (const kind of ["card_key", "direct_recharge", "coupon", "bundle", null]) {
      for (const o of ticketReasonOptions(kind)) expect(TICKET_REASONS).toContain(o.value);
    }
    expect(reasonWords("not_received", "direct_recharge")[0]).toBe("未到账");
    expect(reasonWords("not_received", "card_key")[0]).toBe("未收到");
  });
});
