import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * 撤销核销 (voucher_redemption_reversed) on the redemption metric. Campaign r9 issues w1..w3 on 09-07.
 * w1: redeemed 09-08, the store undoes it 09-08, redeemed again 09-09 → redeemed; 2 successes − 1 reversal = 1.
 * w2: redeemed 09-08, undone 09-08, never again → not redeemed; 1 − 1 = 0 successes.
 * w3: redeemed 09-08 → redeemed; 1 success.
 *   → issued 3, redeemed 2, succeeded 2, failed 0.
 * Only 09-08 (w1's second redemption outside): w1 1 − 1, w2 1 − 1, w3 1 → 1 success; issued 0 (issued on 09-07).
 */
const r9 = (voucherId: string) => ({ voucherId, campaignId: "r9", kind: "coupon" });
const undo = (voucherId: string, redemptionId: string) => ({ ...r9(voucherId), storeId: "s1", redemptionId, reason: "扫错券" });
const fixture = [
  ...["w1", "w2", "w3"].map((v) => ev("voucher_issued", "u", at("09-07"), r9(v))),
  ev("voucher_redeemed", "u", at("09-08", 10), { ...r9("w1"), storeId: "s1", redemptionId: "rd1" }),
  ev("voucher_redemption_reversed", "u", at("09-08", 11), undo("w1", "rd1")),
  ev("voucher_redeemed", "u", at("09-09", 10), { ...r9("w1"), storeId: "s1", redemptionId: "rd1b", afterReversals: 1 }),
  ev("voucher_redeemed", "u", at("09-08", 10), { ...r9("w2"), storeId: "s1", redemptionId: "rd2" }),
  ev("voucher_redemption_reversed", "u", at("09-08", 12), undo("w2", "rd2")),
  ev("voucher_redeemed", "u", at("09-08", 10), { ...r9("w3"), storeId: "s1", redemptionId: "rd3" }),
];

const wh = useWarehouse(fixture);

describe("redemption metric after 撤销核销", () => {
  it("counts a voucher redeemed only while its redemptions outnumber its reversals, and takes each reversal's success off", async () => {
    expect(await wh.query("redemption")).toEqual([
      { campaignId: "r9", issued: 3, redeemed: 2, succeeded: 2, failed: 0, redemptionRate: 2 / 3, successRate: 1 },
    ]);
  });

  it("takes a reversal off the range it falls in", async () => {
    expect(await wh.query("redemption", { from: "2026-09-08", to: "2026-09-09" })).toEqual([
      { campaignId: "r9", issued: 0, redeemed: 0, succeeded: 1, failed: 0, redemptionRate: null, successRate: 1 },
    ]);
  });
});
