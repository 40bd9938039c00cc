import { describe, expect, it } from "vitest";
import { TICKET_REASONS } from "../../schema/after-sale";
import { bundleFailureWords, failureWords, orderStatusWords, reasonWords, ticketReasonOptions } from "../../site/src/lib/order-words";

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

  it("a failed bundle names the item that failed and says the others were not delivered either, then the whole refund", () => {
    const recharge = { name: "话费直充 30 元", kind: "direct_recharge", quantity: 1 };
    const video = { name: "视频会员月卡", kind: "card_key", quantity: 1 };
    const coupons = { name: "满100减20券", kind: "coupon", quantity: 2 };
    // It read 发放失败 / 发放失败，已自动退款 for the whole bundle.
    expect(orderStatusWords({ status: "failed", productKind: "bundle" })).toEqual(["未发放，退款中", "Not delivered; refunding"]);
    expect(orderStatusWords({ status: "refunded", productKind: "bundle" })[0]).toBe("已退款");
    expect(bundleFailureWords("all_suppliers_failed", "refunded", [recharge, video])).toEqual([
      "“话费直充 30 元”充值失败，“视频会员月卡”未发放，已全额自动退款",
      '"话费直充 30 元" could not be recharged; "视频会员月卡" was not delivered either; refunded in full automatically',
    ]);
    expect(bundleFailureWords("all_suppliers_failed", "failed", [recharge, video, coupons])![0])
      .toBe("“话费直充 30 元”充值失败，“视频会员月卡”、“满100减20券”（共 2 份）均未发放，款项将自动原路全额退回");
    // Two card keys and one ran out: which one is not known, so neither is blamed.
    expect(bundleFailureWords("out_of_stock", "refunded", [video, { ...video, name: "音乐会员月卡" }])![0])
      .toBe("组合中的卡密库存不足，“视频会员月卡”、“音乐会员月卡”均未发放，已全额自动退款");
    expect(bundleFailureWords("delivery_error", "refunded", [recharge, video])![0]).toBe("组合未能完整发放，“话费直充 30 元”、“视频会员月卡”均未发放，已全额自动退款");
    // Without the items (the bundle is gone), or for a group buy, the usual words.
    expect(bundleFailureWords("all_suppliers_failed", "refunded", undefined)).toBeNull();
    expect(bundleFailureWords("group_team_expired", "refunded", [recharge, video])).toBeNull();
  });
});

describe("a direct recharge in 我的卡券 and on its paid order page", () => {
  it("a delivered recharge is 已充值 under 已使用, also past its validity; a voided or refunded one keeps its own words", async () => {
    const { rechargeVoucherWords, voucherTab, paidNoteWords } = await import("../../site/src/lib/order-words");
    expect(rechargeVoucherWords({ kind: "direct_recharge", status: "issued" })).toEqual(["已充值", "Recharged"]);
    expect(rechargeVoucherWords({ kind: "direct_recharge", status: "expired" })?.[0]).toBe("已充值");
    expect(rechargeVoucherWords({ kind: "direct_recharge", status: "refunded" })).toBeNull();
    expect(rechargeVoucherWords({ kind: "card_key", status: "issued" })).toBeNull();
    expect(voucherTab({ kind: "direct_recharge", status: "issued" })).toBe("used");
    expect(voucherTab({ kind: "direct_recharge", status: "expired" })).toBe("used");
    expect(voucherTab({ kind: "direct_recharge", status: "voided" })).toBe("expired");
    expect(["issued", "redeemed", "expired", "voided", "refunded"].map((status) => voucherTab({ kind: "card_key", status })))
      .toEqual(["usable", "used", "expired", "expired", "expired"]);
    expect(paidNoteWords("direct_recharge")[0]).toMatch(/^支付成功，正在充值。.*若充值失败，款项将自动原路全额退回。$/);
    expect(paidNoteWords("card_key")[0]).not.toMatch(/直充|充值/);
  });
});
