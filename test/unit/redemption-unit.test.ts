import { describe, expect, it } from "vitest";
import { couponCode, typedCodeCandidates } from "../../worker/domain/codes";
import { integrity } from "../../worker/domain/integrity";
import { isPastValidity, redeemRefusal, type RedeemContext } from "../../worker/domain/redemption";
import { failedBurst, holderAcrossStores, storeSpike, windowStart } from "../../worker/domain/redemption-risk";

const now = new Date("2026-06-01T12:00:00.000Z");
const ctx = (over: Partial<RedeemContext> = {}): RedeemContext => ({
  voucher: { status: "issued", validFrom: "2026-01-01T00:00:00.000Z", validTo: "2026-12-31T00:00:00.000Z" },
  allowedStoreIds: [],
  storeId: "st_1",
  thresholdCents: null,
  orderAmountCents: undefined,
  now,
  ...over,
});

describe("redeemRefusal", () => {
  it("accepts a valid voucher and refuses by status, window, store and threshold", () => {
    expect(redeemRefusal(ctx())).toBeNull();
    expect(redeemRefusal(ctx({ voucher: { ...ctx().voucher, status: "voided" } }))?.code).toBe("voucher_voided");
    expect(redeemRefusal(ctx({ voucher: { ...ctx().voucher, status: "refunded" } }))?.code).toBe("voucher_refunded");
    expect(redeemRefusal(ctx({ voucher: { ...ctx().voucher, validFrom: "2026-07-01T00:00:00.000Z" } }))?.code).toBe("voucher_not_yet_valid");
    expect(redeemRefusal(ctx({ voucher: { ...ctx().voucher, validTo: "2026-05-31T23:59:59.000Z" } }))?.code).toBe("voucher_expired");
    expect(redeemRefusal(ctx({ voucher: { ...ctx().voucher, validTo: null } }))).toBeNull();
    expect(redeemRefusal(ctx({ allowedStoreIds: ["st_2"] }))?.code).toBe("store_not_allowed");
    expect(redeemRefusal(ctx({ allowedStoreIds: ["st_2", "st_1"] }))).toBeNull();
    expect(redeemRefusal(ctx({ thresholdCents: 10000 }))).toMatchObject({ status: 422, code: "order_amount_required" });
    expect(redeemRefusal(ctx({ thresholdCents: 10000, orderAmountCents: 9999 }))?.code).toBe("threshold_not_met");
    expect(redeemRefusal(ctx({ thresholdCents: 10000, orderAmountCents: 10000 }))).toBeNull();
    // The merchant console shows the message: yuan in both languages, never raw cents.
    expect(redeemRefusal(ctx({ thresholdCents: 5000, orderAmountCents: 100 }))?.message).toBe("消费满 50.00 元可用 / Needs a purchase of at least ¥50.00");
    expect(redeemRefusal(ctx({ thresholdCents: 5000 }))?.message).not.toMatch(/cents/i);
    expect(redeemRefusal(ctx({ voucher: { ...ctx().voucher, kind: "direct_recharge" } }))?.code).toBe("voucher_not_redeemable");
  });

  it("knows when an issued voucher is past its window", () => {
    expect(isPastValidity({ status: "issued", validTo: "2026-05-01T00:00:00.000Z" }, now)).toBe(true);
    expect(isPastValidity({ status: "redeemed", validTo: "2026-05-01T00:00:00.000Z" }, now)).toBe(false);
    expect(isPastValidity({ status: "issued", validTo: null }, now)).toBe(false);
  });
});

describe("typedCodeCandidates", () => {
  it("puts the canonical coupon code first however it was typed, then the input as typed for imported card keys", () => {
    for (const typed of ["858J-B5Z8-DVSU-DFZZ", "858j-b5z8-dvsu-dfzz", "858J B5Z8 DVSU DFZZ", " 858JB5Z8DVSUDFZZ ", "858jb5z8dvsudfzz"]) {
      expect(typedCodeCandidates(typed)[0]).toBe("858J-B5Z8-DVSU-DFZZ");
    }
    const code = couponCode();
    expect(typedCodeCandidates(code.toLowerCase().replaceAll("-", ""))[0]).toBe(code);
    // An imported card key keeps its own format: tried as typed (trimmed), then in upper case without spaces.
    expect(typedCodeCandidates(" video-ab12cd34 ")).toEqual(["video-ab12cd34", "VIDEO-AB12CD34"]);
    expect(typedCodeCandidates("NEWBIE-1A2B3C4D")).toEqual(["NEWBIE-1A2B3C4D"]);
    // 16 characters outside the coupon alphabet (0, O, 1, I, L) are not taken for a coupon code.
    expect(typedCodeCandidates("0000-1111-OOOO-IIII")).toEqual(["0000-1111-OOOO-IIII"]);
  });
});

describe("redemption risk thresholds", () => {
  it("flags a store far above its own norm, never a quiet store's small burst", () => {
    // 1008 windows of 10 minutes in 7 days: 2016 in the baseline is 2 per window.
    expect(storeSpike(30, 2016).spike).toBe(true);
    expect(storeSpike(30, 20_160).spike).toBe(false); // a busy store doing its usual 20 per window
    expect(storeSpike(29, 0).spike).toBe(false); // under the floor
    expect(holderAcrossStores(3)).toBe(true);
    expect(holderAcrossStores(2)).toBe(false);
    expect(failedBurst(10)).toBe(true);
    expect(failedBurst(9)).toBe(false);
    expect(windowStart(new Date("2026-06-01T12:07:31.000Z"), 10)).toBe("2026-06-01T12:00:00.000Z");
  });
});

describe("integrity index", () => {
  it("scores 100 for a clean brand and falls with complaints, failures and uncompensated complaints", () => {
    expect(integrity({ vouchersIssued: 0, complaints: 0, compensated: 0, redemptionAttempts: 0, redemptionSuccesses: 0 }).score).toBe(100);
    const some = integrity({ vouchersIssued: 100, complaints: 2, compensated: 1, redemptionAttempts: 50, redemptionSuccesses: 45 });
    expect(some).toEqual({ complaintRate: 0.02, compensationRate: 0.5, redemptionSuccessRate: 0.9, score: Math.round(100 * (0.4 * 0.8 + 0.3 * 0.9 + 0.3 * 0.5)) });
    expect(integrity({ vouchersIssued: 10, complaints: 5, compensated: 0, redemptionAttempts: 10, redemptionSuccesses: 0 }).score).toBe(0);
  });
});
