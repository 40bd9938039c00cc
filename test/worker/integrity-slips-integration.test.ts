import { describe, expect, it } from "vitest";
import { api } from "./helpers";
import { issue, redeemReq, redemptionBrand } from "./redemption-fixtures";

// Issue 13 #9: a merchant's input slip must not lower the brand's public integrity score.
describe("integrity score and merchant input slips", () => {
  it("does not count a missing order amount or an unknown/mistyped code as a failed redemption", async () => {
    const b = await redemptionBrand({ config: { coupon: { thresholdCents: 10000, discountCents: 2000 } } });
    const v = await issue(b.tenant.id, b.productId);
    const slip = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id });
    expect(slip.status).toBe(422);
    expect(slip.body.error.code).toBe("order_amount_required");
    expect((await redeemReq(b.redeemerKey, { code: "vc_doesnotexist", storeId: b.store.id })).status).toBe(404);
    expect((await redeemReq(b.redeemerKey, { secret: "ABCD-EFGH-IJKL-MNOP", storeId: b.store.id })).status).toBe(404);
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id, orderAmountCents: 12000 })).status).toBe(200);

    const index = await api(`/brands/${b.tenant.slug}/integrity`);
    expect(index.status).toBe(200);
    expect(index.body).toMatchObject({ redemptionAttempts: 1, redemptionSuccessRate: 1, score: 100 });
  });

  it("still counts a genuine voucher turned away at the counter (voided)", async () => {
    const b = await redemptionBrand();
    const ok = await issue(b.tenant.id, b.productId);
    const voided = await issue(b.tenant.id, b.productId);
    expect((await api(`/vouchers/${voided.code}/void`, { method: "POST", token: b.adminKey, json: { reason: "test" } })).status).toBe(200);
    expect((await redeemReq(b.redeemerKey, { code: voided.code, storeId: b.store.id })).body.error.code).toBe("voucher_voided");
    expect((await redeemReq(b.redeemerKey, { code: ok.code, storeId: b.store.id })).status).toBe(200);
    const index = await api(`/brands/${b.tenant.slug}/integrity`);
    expect(index.body).toMatchObject({ redemptionAttempts: 2, redemptionSuccessRate: 0.5 });
  });
});
