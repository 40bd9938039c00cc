import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../worker/errors";
import { createOrder } from "../../worker/services/orders";
import { createOrders } from "../../worker/services/order-batch";
import { api, countRows, recordedOfType } from "./helpers";
import { couponProduct, FUTURE, issueCoupon as issue, pay, shop, shopWithKeys } from "./commerce-helpers";

const BUDGET_TIMEOUT = 120_000;

async function buyer(slug: string) {
  const g = await shop(slug, "/guest", { method: "POST" });
  return { cookie: g.cookie!, id: g.body.buyer.id as string };
}

const voucherStatus = async (id: string) => (await env.DB.prepare("SELECT status FROM vouchers WHERE id = ?").bind(id).first<{ status: string }>())!.status;
const order = (slug: string, cookie: string, idem: string, json: Record<string, unknown>) => shop(slug, "/orders", { method: "POST", cookie, idem: `order-${idem}`.slice(0, 60), json });

async function setup(keys = 10) {
  const s = await shopWithKeys(keys, { priceCents: 10_000, tags: ["video"] });
  const manjian = await couponProduct(s.adminKey, { kind: "threshold", thresholdCents: 10_000, discountCents: 2000 }, "满100减20");
  const zhekou = await couponProduct(s.adminKey, { kind: "percent", percentOff: 10, capCents: 500 }, "9折券");
  const store = await couponProduct(s.adminKey, { kind: "threshold", thresholdCents: 0, discountCents: 3000, online: false }, "门店券");
  const music = await couponProduct(s.adminKey, { kind: "threshold", discountCents: 4000, scope: { tags: ["music"] } }, "音乐券");
  return { ...s, tenantId: s.tenant.id as string, manjian, zhekou, store, music };
}

describe("quote and placing with coupons", () => {
  it("quotes held coupons with reasons and the best combination, places the order with it, records which coupon took how much", async () => {
    const s = await setup();
    const b = await buyer(s.slug);
    const [v1, v2, v3, v4] = [await issue(s.tenantId, b.id, s.manjian), await issue(s.tenantId, b.id, s.zhekou), await issue(s.tenantId, b.id, s.store), await issue(s.tenantId, b.id, s.music)];
    const q = await shop(s.slug, "/checkout/quote", { method: "POST", cookie: b.cookie, json: { productId: s.productId, quantity: 1 } });
    expect(q.status).toBe(200);
    expect(q.body.subtotalCents).toBe(10_000);
    expect(Object.fromEntries(q.body.applicable.map((c: any) => [c.voucherId, c.discountCents]))).toEqual({ [v1]: 2000, [v2]: 500 });
    expect(Object.fromEntries(q.body.inapplicable.map((c: any) => [c.voucherId, c.reason]))).toEqual({ [v3]: "offline", [v4]: "scope" });
    // 100 − 20 = 80, then 10% = 8 capped at 5 → 75
    expect(q.body.best).toMatchObject({ discountCents: 2500, totalCents: 7500 });
    expect([...q.body.best.voucherIds].sort()).toEqual([v1, v2].sort());
    // No session: nothing held, no error.
    const anon = await shop(s.slug, "/checkout/quote", { method: "POST", json: { productId: s.productId } });
    expect(anon.body).toMatchObject({ applicable: [], inapplicable: [], best: { discountCents: 0, totalCents: 10_000 } });

    const placed = await order(s.slug, b.cookie, "o1", { productId: s.productId, couponVoucherIds: q.body.best.voucherIds });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ amountCents: 7500, discountCents: 2500, status: "created" });
    expect([await voucherStatus(v1), await voucherStatus(v2), await voucherStatus(v3)]).toEqual(["redeemed", "redeemed", "issued"]);
    const applied = await recordedOfType(s.tenantId, "coupon_applied");
    expect(applied.map((e) => [e.payload.voucherId, e.payload.discountCents]).sort()).toEqual([[v1, 2000], [v2, 500]].sort());
    // The cashier charges the discounted amount; the order page shows the coupons.
    const paid = await pay(placed.body.checkoutUrl);
    expect(paid.status).toBe(200);
    const view = await shop(s.slug, `/orders/${placed.body.id}`, { cookie: b.cookie });
    expect(view.body.order).toMatchObject({ status: "delivered", amountCents: 7500, discountCents: 2500 });
    expect(view.body.coupons.map((c: any) => [c.voucherId, c.discountCents, c.state]).sort()).toEqual([[v1, 2000, "applied"], [v2, 500, "applied"]].sort());
    expect(view.body.vouchers).toHaveLength(1);
    // A used coupon is no longer quoted.
    const after = await shop(s.slug, "/checkout/quote", { method: "POST", cookie: b.cookie, json: { productId: s.productId } });
    expect(after.body.applicable).toEqual([]);
  });

  it("refuses uncombinable, forged, someone else's and another store's coupons with nothing changed", async () => {
    const s = await setup();
    const other = await setup();
    const b = await buyer(s.slug);
    const c = await buyer(s.slug);
    const mine = await issue(s.tenantId, b.id, s.manjian);
    const hers = await issue(s.tenantId, c.id, s.manjian);
    const elsewhere = await issue(other.tenantId, b.id, other.manjian);
    const again = await couponProduct(s.adminKey, { kind: "threshold", discountCents: 1000 });
    const second = await issue(s.tenantId, b.id, again);
    for (const [ids, status, code] of [
      [["vch_forged"], 422, "invalid_coupon"], [[hers], 422, "invalid_coupon"], [[elsewhere], 422, "invalid_coupon"],
      [[mine, second], 409, "coupon_not_applicable"],
    ] as const) {
      const r = await order(s.slug, b.cookie, `bad-${code}-${ids.join()}`, { productId: s.productId, couponVoucherIds: ids });
      expect([r.status, r.body.error.code]).toEqual([status, code]);
    }
    expect(await countRows("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ? AND buyer_id = ? AND product_id = ?", s.tenantId, b.id, s.productId)).toBe(0);
    expect([await voucherStatus(mine), await voucherStatus(hers), await voucherStatus(elsewhere), await voucherStatus(second)]).toEqual(["issued", "issued", "issued", "issued"]);
    expect(await countRows("SELECT COUNT(*) AS n FROM order_coupons WHERE tenant_id IN (?, ?)", s.tenantId, other.tenantId)).toBe(0);
  });

  it("eligibility is checked when used: 409 not_eligible naming the rule", async () => {
    const s = await setup();
    const b = await buyer(s.slug);
    const gold = await couponProduct(s.adminKey, { kind: "threshold", discountCents: 1000, eligibility: { tierIds: ["tier_gold"] } });
    const first = await couponProduct(s.adminKey, { kind: "first_order", discountCents: 1500 });
    const vg = await issue(s.tenantId, b.id, gold);
    const vf = await issue(s.tenantId, b.id, first);
    // The free coupon orders above were paid orders: the first-order coupon no longer applies either.
    const q = await shop(s.slug, "/checkout/quote", { method: "POST", cookie: b.cookie, json: { productId: s.productId } });
    expect(Object.fromEntries(q.body.inapplicable.map((c: any) => [c.voucherId, [c.reason, c.rule]]))).toEqual({ [vg]: ["eligibility", "tier"], [vf]: ["eligibility", "first_order"] });
    const r = await order(s.slug, b.cookie, "elig", { productId: s.productId, couponVoucherIds: [vg] });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("not_eligible");
    expect(r.body.error.issues[0]).toMatchObject({ path: "json.couponVoucherIds.0", code: "tier" });
    expect(await voucherStatus(vg)).toBe("issued");
  });
});

describe("under concurrency", () => {
  it("two orders on one held coupon: one wins, the other is refused and gives its stock back", async () => {
    const s = await setup(5);
    const b = await buyer(s.slug);
    const v = await issue(s.tenantId, b.id, s.manjian);
    const [x, y] = await Promise.all(["a", "b"].map((k) => order(s.slug, b.cookie, `race-${k}`, { productId: s.productId, couponVoucherIds: [v] })));
    expect([x!.status, y!.status].sort()).toEqual([201, 409]);
    const loser = x!.status === 409 ? x! : y!;
    expect(["coupon_unavailable", "coupon_not_applicable"]).toContain(loser.body.error.code);
    expect(await countRows("SELECT COUNT(*) AS n FROM order_coupons WHERE voucher_id = ? AND state = 'applied'", v)).toBe(1);
    expect(await countRows("SELECT COUNT(*) AS n FROM card_keys WHERE tenant_id = ? AND status = 'reserved'", s.tenantId)).toBe(1);
  });

  it("200 concurrent orders against a money budget of N: exactly N applied, counters exact", async () => {
    const N = 37;
    const s = await shopWithKeys(200, { priceCents: 10_000 });
    const t = s.tenant.id as string;
    const couponId = await couponProduct(s.adminKey, { kind: "threshold", discountCents: 1000, budget: { maxCents: N * 1000 } });
    const buyers = Array.from({ length: 200 }, (_, i) => `byr_cb${i}_${t.slice(-8)}`);
    await env.DB.batch(buyers.map((id) => env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind) VALUES (?, ?, 'guest')").bind(id, t)));
    const issued = await createOrders(env, buyers.map((id) => ({ tenantId: t, buyerId: id, productId: couponId, idempotencyKey: `iss-${id}`, unitPriceCents: 0 })));
    expect(issued.every((o) => o.ok)).toBe(true);
    const held = new Map((await env.DB.prepare("SELECT holder_id, id FROM vouchers WHERE tenant_id = ? AND product_id = ?").bind(t, couponId).all<{ holder_id: string; id: string }>()).results.map((r) => [r.holder_id, r.id]));
    const out = await Promise.all(buyers.map((id) =>
      createOrder(env, { tenantId: t, buyerId: id, productId: s.productId, idempotencyKey: `buy-${id}`, couponVoucherIds: [held.get(id)!] })
        .then(() => "ok", (e: unknown) => (e instanceof ApiError ? e.code : String(e)))));
    expect(out.filter((o) => o === "ok")).toHaveLength(N);
    expect(out.filter((o) => o !== "ok" && o !== "coupon_budget_exhausted" && o !== "coupon_not_applicable")).toEqual([]);
    const budget = await env.DB.prepare("SELECT * FROM coupon_budgets WHERE tenant_id = ? AND product_id = ?").bind(t, couponId).first<any>();
    expect(budget).toMatchObject({ applied_count: N, applied_cents: N * 1000, issued_count: 200 });
    expect(await countRows("SELECT COUNT(*) AS n FROM order_coupons WHERE tenant_id = ? AND state = 'applied'", t)).toBe(N);
    expect(await countRows("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND product_id = ? AND status = 'redeemed'", t, couponId)).toBe(N);
    expect(await countRows("SELECT COALESCE(SUM(discount_cents), 0) AS n FROM orders WHERE tenant_id = ? AND product_id = ? AND status = 'created'", t, s.productId)).toBe(N * 1000);
    expect(await recordedOfType(t, "coupon_budget_exhausted")).toHaveLength(1);
  }, BUDGET_TIMEOUT);

  it("issuing stops exactly at the count budget: later orders fail and refund like a sold-out", async () => {
    const s = await shopWithKeys(0);
    const t = s.tenant.id as string;
    const couponId = await couponProduct(s.adminKey, { kind: "threshold", discountCents: 1000, budget: { maxCount: 5 } });
    const buyers = Array.from({ length: 30 }, (_, i) => `byr_cc${i}_${t.slice(-8)}`);
    await env.DB.batch(buyers.map((id) => env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind) VALUES (?, ?, 'guest')").bind(id, t)));
    const out = await Promise.all(buyers.map((id) => createOrder(env, { tenantId: t, buyerId: id, productId: couponId, idempotencyKey: `iss-${id}`, unitPriceCents: 0 })));
    expect(out.filter((o) => o.order.status === "delivered")).toHaveLength(5);
    expect(out.filter((o) => o.order.status === "refunded").map((o) => o.order.failure_reason)).toEqual(Array(25).fill("coupon_budget_exhausted"));
    expect(await countRows("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND product_id = ?", t, couponId)).toBe(5);
    const status = await api(`/products/${couponId}/coupon-budget`, { token: s.adminKey });
    expect(status.body).toMatchObject({ maxCount: 5, issuedCount: 5 });
    expect(status.body.exhaustedAt).not.toBeNull();
    expect(await recordedOfType(t, "coupon_budget_exhausted")).toHaveLength(1);
  }, BUDGET_TIMEOUT);
});

describe("refund and cancel give a coupon back", () => {
  it("a still-valid coupon comes back once; an expired one stays used", async () => {
    const s = await setup();
    const b = await buyer(s.slug);
    const v = await issue(s.tenantId, b.id, s.manjian);
    const o1 = await order(s.slug, b.cookie, "r1", { productId: s.productId, couponVoucherIds: [v] });
    expect(o1.status).toBe(201);
    const c1 = await shop(s.slug, `/orders/${o1.body.id}/cancel`, { method: "POST", cookie: b.cookie });
    expect(c1.status).toBe(200);
    expect(await voucherStatus(v)).toBe("issued");
    expect((await shop(s.slug, `/orders/${o1.body.id}/cancel`, { method: "POST", cookie: b.cookie })).status).toBe(409);
    expect(await recordedOfType(s.tenantId, "coupon_returned")).toHaveLength(1);

    // Used again, paid, then refunded by the operator: back again (once more).
    const o2 = await order(s.slug, b.cookie, "r2", { productId: s.productId, couponVoucherIds: [v] });
    expect(o2.body.amountCents).toBe(8000);
    await pay(o2.body.checkoutUrl);
    const refund = await api(`/orders/${o2.body.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "test" } });
    expect(refund.status).toBe(200);
    expect(await voucherStatus(v)).toBe("issued");
    expect(await recordedOfType(s.tenantId, "coupon_returned")).toHaveLength(2);
    const budget = await api(`/products/${s.manjian}/coupon-budget`, { token: s.adminKey });
    expect(budget.body).toMatchObject({ appliedCount: 0, appliedCents: 0 });

    // Applied, then it expires; the cancel leaves it used.
    const o3 = await order(s.slug, b.cookie, "r3", { productId: s.productId, couponVoucherIds: [v] });
    await env.DB.prepare("UPDATE vouchers SET valid_to = '2026-01-02T00:00:00.000Z' WHERE id = ?").bind(v).run();
    await shop(s.slug, `/orders/${o3.body.id}/cancel`, { method: "POST", cookie: b.cookie });
    expect(await voucherStatus(v)).toBe("redeemed");
    expect((await env.DB.prepare("SELECT state FROM order_coupons WHERE order_id = ?").bind(o3.body.id).first<{ state: string }>())!.state).toBe("spent");
    expect(await recordedOfType(s.tenantId, "coupon_returned")).toHaveLength(2);
  });

  it("an order brought to 0 by coupons is paid and delivered at once", async () => {
    const s = await shopWithKeys(2, { priceCents: 900 });
    const t = s.tenant.id as string;
    const couponId = await couponProduct(s.adminKey, { kind: "fixed_price", fixedPriceCents: 0 });
    const b = await buyer(s.slug);
    const v = await issue(t, b.id, couponId);
    const o = await order(s.slug, b.cookie, "zero", { productId: s.productId, couponVoucherIds: [v] });
    expect(o.body).toMatchObject({ amountCents: 0, discountCents: 900, status: "delivered" });
  });
});

describe("the quote says how many the buyer may order now", () => {
  const room = async (slug: string, productId: string, cookie?: string) => {
    const q = await shop(slug, "/checkout/quote", { method: "POST", cookie, json: { productId } });
    expect(q.status, JSON.stringify(q.body)).toBe(200);
    return [q.body.maxQuantity, q.body.limitLeft];
  };

  it("the per-person limit less the units the buyer holds (paid or unpaid), the stock, at most 10; a cancelled order gives its units back", async () => {
    const s = await shopWithKeys(20, { perUserLimit: 5 });
    const b = await buyer(s.slug);
    expect(await room(s.slug, s.productId)).toEqual([5, 5]);
    expect(await room(s.slug, s.productId, b.cookie)).toEqual([5, 5]);
    const first = await order(s.slug, b.cookie, "room-1", { productId: s.productId, quantity: 2 });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect((await pay(first.body.checkoutUrl)).status).toBe(200);
    const second = await order(s.slug, b.cookie, "room-2", { productId: s.productId, quantity: 2 });
    expect(second.status).toBe(201);
    expect(await room(s.slug, s.productId, b.cookie)).toEqual([1, 1]);
    // What the quote allows, the order takes; one more is refused.
    expect((await order(s.slug, b.cookie, "room-3", { productId: s.productId, quantity: 2 })).body.error.code).toBe("purchase_limit");
    expect((await shop(s.slug, `/orders/${second.body.id}/cancel`, { method: "POST", cookie: b.cookie })).status).toBe(200);
    expect(await room(s.slug, s.productId, b.cookie)).toEqual([3, 3]);
    // Another buyer's orders are not this one's.
    expect(await room(s.slug, s.productId, (await buyer(s.slug)).cookie)).toEqual([5, 5]);
  });

  it("without a limit: the stock (3 keys left) and at most 10 units", async () => {
    const few = await shopWithKeys(3);
    expect(await room(few.slug, few.productId, (await buyer(few.slug)).cookie)).toEqual([3, null]);
    const many = await shopWithKeys(30);
    expect(await room(many.slug, many.productId, (await buyer(many.slug)).cookie)).toEqual([10, null]);
  });
});
