import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepPoints } from "../../worker/services/points-expiry";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, insertMember, recordedOfType } from "./helpers";

async function member(slug: string, tenantId: string, adminKey: string, points: number) {
  const g = await shop(slug, "/guest", { method: "POST", json: {} });
  const memberId = await insertMember(tenantId, g.body.buyer.id);
  const adj = await api("/points/adjustments", { method: "POST", token: adminKey, json: { memberId, points, reason: "seed" }, headers: { "idempotency-key": `seed-${memberId}` } });
  expect(adj.status).toBe(201);
  return { cookie: g.cookie!, memberId };
}

const balanceOf = (memberId: string) => env.DB.prepare("SELECT points_balance AS n FROM members WHERE id = ?").bind(memberId).first<number>("n");
const exchange = (slug: string, cookie: string, itemId: string, idem: string) => shop(slug, `/member/mall/${itemId}/exchange`, { method: "POST", cookie, idem });

describe("points mall", () => {
  it("points + cash: an order like any other, paid, delivered; a refund gives the points and the stock back once", async () => {
    const s = await shopWithKeys(2);
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "会员月卡", points: 100, cashCents: 990, stock: 5 } });
    expect(item.status).toBe(201);
    const m = await member(s.slug, s.tenant.id, s.adminKey, 150);
    const x = await exchange(s.slug, m.cookie, item.body.id, "mall-cash-0001");
    expect(x.status).toBe(201);
    expect(x.body).toMatchObject({ points: 100, cashCents: 990, status: "ordered", orderStatus: "created", balance: 50 });
    expect((await exchange(s.slug, m.cookie, item.body.id, "mall-cash-0001")).body.id).toBe(x.body.id); // a retry is the same exchange
    const order = (await env.DB.prepare("SELECT * FROM orders WHERE id = ?").bind(x.body.orderId).first<any>())!;
    expect(order).toMatchObject({ amount_cents: 990, source: `mall:${item.body.id}` });
    expect((await pay(x.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    expect(await recordedOfType(s.tenant.id, "mall_exchanged")).toHaveLength(1);
    const mine = await shop(s.slug, "/member/mall", { cookie: m.cookie });
    expect(mine.body.exchanges[0]).toMatchObject({ id: x.body.id, orderStatus: "delivered" });
    // The cash part earned its own points (9.90 yuan → 9): 59 before the refund.
    expect(await balanceOf(m.memberId)).toBe(59);

    const refund = await api(`/orders/${x.body.orderId}/refund`, { method: "POST", token: s.adminKey, json: { reason: "不想要了" } });
    expect(refund.status).toBe(200);
    await sweepPoints(env as Env); // nothing more to give back
    expect(await balanceOf(m.memberId)).toBe(150);
    const returned = await env.DB.prepare("SELECT * FROM points_movements WHERE member_id = ? AND kind = 'reverse' ORDER BY points").bind(m.memberId).all<any>();
    expect(returned.results.map((r) => [r.source_kind, r.points])).toEqual([["order", -9], ["mall", 100]]);
    expect((await api(`/mall/items`, { token: s.adminKey })).body.items[0]).toMatchObject({ stockLeft: 5 });
    const lots = await env.DB.prepare("SELECT COALESCE(SUM(remaining), 0) AS n FROM points_lots WHERE member_id = ?").bind(m.memberId).first<number>("n");
    expect(lots).toBe(150);
  });

  it("a refunded order's points spent in the mall are not given back when the exchange is refunded too (no points minted)", async () => {
    const s = await shopWithKeys(3);
    expect((await api("/points/rules", { method: "PUT", token: s.adminKey, json: { pointsPerYuan: 10 } })).status).toBe(200);
    const g = await shop(s.slug, "/guest", { method: "POST", json: {} });
    const memberId = await insertMember(s.tenant.id, g.body.buyer.id);
    const bought = await shop(s.slug, "/orders", { method: "POST", cookie: g.cookie!, idem: "mint-buy-0001", json: { productId: s.productId, quantity: 1 } });
    expect(bought.status).toBe(201);
    await pay(bought.body.checkoutUrl);
    expect(await balanceOf(memberId)).toBe(199); // ¥19.90 × 10
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "全部积分", points: 199, cashCents: 0, stock: 5 } });
    const x = await exchange(s.slug, g.cookie!, item.body.id, "mint-mall-0001");
    expect(x.status).toBe(201);
    expect(await balanceOf(memberId)).toBe(0);
    // The purchase is refunded: its 199 points were spent, so the reversal takes 0 (shortfall 199).
    expect((await api(`/orders/${bought.body.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退款" } })).status).toBe(200);
    expect(await balanceOf(memberId)).toBe(0);
    // Then the exchange's order is refunded: the points it took came from the refunded order, so none come back.
    expect((await api(`/orders/${x.body.orderId}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退款" } })).status).toBe(200);
    await sweepPoints(env as Env);
    expect(await balanceOf(memberId)).toBe(0);
    const back = await env.DB.prepare("SELECT points, shortfall FROM points_movements WHERE member_id = ? AND kind = 'reverse' AND source_kind = 'mall'").bind(memberId).first<any>();
    expect(back).toEqual({ points: 0, shortfall: 199 });
    const lots = await env.DB.prepare("SELECT COALESCE(SUM(remaining), 0) AS n FROM points_lots WHERE member_id = ?").bind(memberId).first<number>("n");
    expect(lots).toBe(0);
    expect((await api("/mall/items", { token: s.adminKey })).body.items[0]).toMatchObject({ stockLeft: 5 }); // the stock still comes back
  });

  it("the other way round: the exchange refunded first, then the purchase; its refund takes back the points the mall returned", async () => {
    const s = await shopWithKeys(3);
    expect((await api("/points/rules", { method: "PUT", token: s.adminKey, json: { pointsPerYuan: 10 } })).status).toBe(200);
    const g = await shop(s.slug, "/guest", { method: "POST", json: {} });
    const memberId = await insertMember(s.tenant.id, g.body.buyer.id);
    await api("/points/adjustments", { method: "POST", token: s.adminKey, json: { memberId, points: 50, reason: "seed" }, headers: { "idempotency-key": `seed-${memberId}` } });
    const bought = await shop(s.slug, "/orders", { method: "POST", cookie: g.cookie!, idem: "mint-buy-0002", json: { productId: s.productId, quantity: 1 } });
    await pay(bought.body.checkoutUrl);
    expect(await balanceOf(memberId)).toBe(249); // 50 + ¥19.90 × 10
    // 220 points: 50 from the seed lot and 170 from the order's lot (the seed expires first? both 12 months: take both)
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "大额积分", points: 220, cashCents: 0, stock: 5 } });
    const x = await exchange(s.slug, g.cookie!, item.body.id, "mint-mall-0002");
    expect(x.status).toBe(201);
    expect(await balanceOf(memberId)).toBe(29);
    expect((await api(`/orders/${x.body.orderId}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退款" } })).status).toBe(200);
    expect(await balanceOf(memberId)).toBe(249);
    const refunds = await Promise.all([1, 2].map(() => api(`/orders/${bought.body.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退款" } })));
    expect(refunds.map((r) => r.status).sort()).toEqual([200, 409]);
    await sweepPoints(env as Env);
    expect(await balanceOf(memberId)).toBe(50); // the seed is all that is left: the order's 199 are gone however they moved
    const lots = await env.DB.prepare("SELECT COALESCE(SUM(remaining), 0) AS n FROM points_lots WHERE member_id = ?").bind(memberId).first<number>("n");
    const sum = await env.DB.prepare("SELECT SUM(points) AS n FROM points_movements WHERE member_id = ?").bind(memberId).first<number>("n");
    expect([lots, sum]).toEqual([50, 50]);
    const rev = await env.DB.prepare("SELECT points, shortfall FROM points_movements WHERE member_id = ? AND kind = 'reverse' AND source_kind = 'order'").bind(memberId).first<any>();
    expect(rev).toEqual({ points: -199, shortfall: 0 });
  });

  it("the liability adds up after a journey: a returned exchange is a reversal, not an issuance (issued − spent − expired + reversed + adjusted = outstanding)", async () => {
    const s = await shopWithKeys(3);
    const liability = async () => (await api("/points/liability", { token: s.adminKey })).body;
    const g = await shop(s.slug, "/guest", { method: "POST", json: {} });
    const memberId = await insertMember(s.tenant.id, g.body.buyer.id);
    const bought = await shop(s.slug, "/orders", { method: "POST", cookie: g.cookie!, idem: "liab-buy-0001", json: { productId: s.productId, quantity: 1 } });
    await pay(bought.body.checkoutUrl); // earns 19
    await api("/points/adjustments", { method: "POST", token: s.adminKey, json: { memberId, points: 100, reason: "补偿" }, headers: { "idempotency-key": "liab-adj-1" } });
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "兑换", points: 50, cashCents: 0, stock: 5 } });
    const x = await exchange(s.slug, g.cookie!, item.body.id, "liab-mall-0001");
    expect(x.status).toBe(201);
    const before = await liability();
    expect((await api(`/orders/${x.body.orderId}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退款" } })).status).toBe(200);
    const after = await liability();
    expect(after.issued).toBe(before.issued); // nothing newly issued: the 50 points are a spend given back
    expect(after.reversed - before.reversed).toBe(50);
    // The purchase is refunded too (−19), and what is left expires through the cron's sweep a year on.
    expect((await api(`/orders/${bought.body.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退款" } })).status).toBe(200);
    await sweepPoints(env as Env, new Date(Date.now() + 400 * 86_400_000));
    const end = await liability();
    expect(end).toMatchObject({ issued: 19, spent: 50, expired: 100, reversed: 50 - 19, adjusted: 100, outstandingPoints: 0 });
    expect(end.issued - end.spent - end.expired + end.reversed + end.adjusted).toBe(end.outstandingPoints);
    expect(await balanceOf(memberId)).toBe(0);
  });

  it("points a return gave back and a second exchange spent are still followed: refunding the purchase and both exchanges, in either order, mints nothing and loses nothing", async () => {
    for (const purchaseFirst of [true, false]) {
      const s = await shopWithKeys(3);
      const g = await shop(s.slug, "/guest", { method: "POST", json: {} });
      const memberId = await insertMember(s.tenant.id, g.body.buyer.id);
      const bought = await shop(s.slug, "/orders", { method: "POST", cookie: g.cookie!, idem: "chain-buy-0001", json: { productId: s.productId, quantity: 1 } });
      await pay(bought.body.checkoutUrl); // earns 19
      await api("/points/adjustments", { method: "POST", token: s.adminKey, json: { memberId, points: 30, reason: "补偿" }, headers: { "idempotency-key": `chain-adj-${memberId}` } });
      const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "兑换", points: 40, cashCents: 0, stock: 5 } });
      const refund = async (orderId: string) => expect((await api(`/orders/${orderId}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退款" } })).status).toBe(200);
      const x1 = await exchange(s.slug, g.cookie!, item.body.id, "chain-mall-0001"); // 19 of the order's + 21 of the adjustment's
      await refund(x1.body.orderId);
      expect(await balanceOf(memberId)).toBe(49);
      const x2 = await exchange(s.slug, g.cookie!, item.body.id, "chain-mall-0002"); // the returned points, spent again
      expect(x2.status).toBe(201);
      expect(await balanceOf(memberId)).toBe(9);
      if (purchaseFirst) await refund(bought.body.id);
      await refund(x2.body.orderId);
      if (!purchaseFirst) await refund(bought.body.id);
      await sweepPoints(env as Env);
      // The order's 19 are gone, the adjustment's 30 are all there: nothing minted, nothing lost.
      expect(await balanceOf(memberId)).toBe(30);
      const lots = await env.DB.prepare("SELECT COALESCE(SUM(remaining), 0) AS n FROM points_lots WHERE member_id = ?").bind(memberId).first<number>("n");
      const moved = await env.DB.prepare("SELECT COALESCE(SUM(points), 0) AS n FROM points_movements WHERE member_id = ?").bind(memberId).first<number>("n");
      expect([lots, moved]).toEqual([30, 30]);
    }
  });

  it("points past their date are not spent in the minute before the cron expires them: the exchange expires them first and is refused; the cron then finds nothing", async () => {
    const s = await shopWithKeys(2);
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "到期前兑换", points: 100, cashCents: 0, stock: 5 } });
    const m = await member(s.slug, s.tenant.id, s.adminKey, 100);
    // Time passes: the lot's date is a second ago, and the cron has not run yet.
    await env.DB.prepare("UPDATE points_lots SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 second') WHERE member_id = ?").bind(m.memberId).run();
    const x = await exchange(s.slug, m.cookie, item.body.id, "late-mall-0001");
    expect([x.status, x.body.error?.code]).toEqual([409, "insufficient_points"]);
    expect(await balanceOf(m.memberId)).toBe(0);
    const st = await shop(s.slug, "/member/points", { cookie: m.cookie });
    expect([st.body.balance, st.body.movements[0].kind, st.body.movements[0].points]).toEqual([0, "expire", -100]);
    await sweepPoints(env as Env);
    const expired = await env.DB.prepare("SELECT COUNT(*) AS n FROM points_movements WHERE member_id = ? AND kind = 'expire'").bind(m.memberId).first<number>("n");
    expect(expired).toBe(1);
    expect((await api("/mall/items", { token: s.adminKey })).body.items[0]).toMatchObject({ stockLeft: 5 });
  });

  it("an exchange a crash left 'placed' after its order was made keeps its points: the sweep attaches the order instead of returning them", async () => {
    const s = await shopWithKeys(3);
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "纯积分", points: 100, cashCents: 0, stock: 5 } });
    const m = await member(s.slug, s.tenant.id, s.adminKey, 150);
    const x = await exchange(s.slug, m.cookie, item.body.id, "crash-mall-0001");
    expect(x.body).toMatchObject({ status: "ordered", orderStatus: "delivered" }); // points only: delivered at once
    // The request died between createOrder and attaching the order: the row is still 'placed', without its order.
    await env.DB.prepare("UPDATE mall_exchanges SET status = 'placed', order_id = NULL, created_at = '2026-01-01T00:00:00.000Z' WHERE id = ?").bind(x.body.id).run();
    await sweepPoints(env as Env);
    expect(await balanceOf(m.memberId)).toBe(50); // the card key was delivered: its points stay spent
    const row = await env.DB.prepare("SELECT status, order_id FROM mall_exchanges WHERE id = ?").bind(x.body.id).first<any>();
    expect(row).toEqual({ status: "ordered", order_id: x.body.orderId });
    expect((await api("/mall/items", { token: s.adminKey })).body.items[0]).toMatchObject({ stockLeft: 4 });
    // Its refund then gives them back once, as for any exchange.
    expect((await api(`/orders/${x.body.orderId}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退款" } })).status).toBe(200);
    await sweepPoints(env as Env);
    expect(await balanceOf(m.memberId)).toBe(150);
    // One left 'placed' with no order at all is returned as before.
    const y = await exchange(s.slug, m.cookie, item.body.id, "crash-mall-0002");
    await env.DB.prepare("UPDATE mall_exchanges SET status = 'placed', order_id = NULL, created_at = '2026-01-01T00:00:00.000Z' WHERE id = ?").bind(y.body.id).run();
    await env.DB.prepare("UPDATE orders SET idempotency_key = 'gone' WHERE id = ?").bind(y.body.orderId).run();
    await sweepPoints(env as Env);
    expect(await balanceOf(m.memberId)).toBe(150);
  });

  it("stock and per-member limits hold under concurrent exchanges", async () => {
    const s = await shopWithKeys(0);
    const coupon = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "咖啡券", priceCents: 0, faceValueCents: 1500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 1500 } }, stockTotal: 100 },
    });
    expect((await api(`/products/${coupon.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: coupon.body.id, title: "咖啡券", points: 10, stock: 5, perMemberLimit: 2 } });
    const members = await Promise.all([1, 2, 3].map(() => member(s.slug, s.tenant.id, s.adminKey, 1000)));
    const res = await Promise.all(members.flatMap((m, i) => [0, 1, 2, 3].map((j) => exchange(s.slug, m.cookie, item.body.id, `mall-race-${i}-${j}`))));
    const ok = res.filter((r) => r.status === 201);
    expect(ok).toHaveLength(5); // 6 allowed by the limits, 5 in stock
    expect(res.filter((r) => r.status === 409).every((r) => ["sold_out", "purchase_limit"].includes(r.body.error.code))).toBe(true);
    for (const m of members) {
      const mine = await env.DB.prepare("SELECT COUNT(*) AS n FROM mall_exchanges WHERE member_id = ? AND status != 'returned'").bind(m.memberId).first<number>("n");
      expect(mine).toBeLessThanOrEqual(2);
      expect(await balanceOf(m.memberId)).toBe(1000 - 10 * mine!);
    }
    expect((await api(`/mall/items`, { token: s.adminKey })).body.items[0]).toMatchObject({ stockLeft: 0 });
    expect(ok.every((r) => r.body.orderStatus === "delivered")).toBe(true);
  });

  it("an item whose product the member already holds up to its per-buyer limit is shown as such, and its exchange is refused with the points kept", async () => {
    const s = await shopWithKeys(3, { perUserLimit: 1 });
    const other = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "咖啡券", priceCents: 0, faceValueCents: 1500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 1500 } }, stockTotal: 10 },
    });
    expect((await api(`/products/${other.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const limited = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "月卡 · 积分兑换", points: 10, stock: 5 } });
    const free = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: other.body.id, title: "咖啡券 · 积分兑换", points: 10, stock: 5 } });
    const m = await member(s.slug, s.tenant.id, s.adminKey, 100);
    expect((await shop(s.slug, "/member/mall", { cookie: m.cookie })).body.productLimitReached).toEqual([]);
    const bought = await shop(s.slug, "/orders", { method: "POST", cookie: m.cookie, idem: "limit-buy-0001", json: { productId: s.productId, quantity: 1 } });
    expect(bought.status).toBe(201);
    // Unpaid, the order already holds the limit (as it does at checkout); paid, it still does.
    expect((await shop(s.slug, "/member/mall", { cookie: m.cookie })).body.productLimitReached).toEqual([limited.body.id]);
    await pay(bought.body.checkoutUrl);
    const view = await shop(s.slug, "/member/mall", { cookie: m.cookie });
    expect(view.body.productLimitReached).toEqual([limited.body.id]);
    const balance = await balanceOf(m.memberId);
    const x = await exchange(s.slug, m.cookie, limited.body.id, "limit-mall-0001");
    expect(x.status).toBe(409);
    expect(x.body.error.code).toBe("purchase_limit");
    expect(await balanceOf(m.memberId)).toBe(balance);
    expect((await exchange(s.slug, m.cookie, free.body.id, "limit-mall-0002")).status).toBe(201);
    // Another member's view is their own.
    const n = await member(s.slug, s.tenant.id, s.adminKey, 100);
    expect((await shop(s.slug, "/member/mall", { cookie: n.cookie })).body.productLimitReached).toEqual([]);
    // A refund frees the limit again.
    expect((await api(`/orders/${bought.body.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "不想要了" } })).status).toBe(200);
    expect((await shop(s.slug, "/member/mall", { cookie: m.cookie })).body.productLimitReached).toEqual([]);
  });

  it("an order the shop refuses, or one left unpaid, gives the points back", async () => {
    const s = await shopWithKeys(0); // a card-key product without keys: the order is refused
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: s.productId, title: "无货", points: 50, stock: 3 } });
    const m = await member(s.slug, s.tenant.id, s.adminKey, 100);
    const x = await exchange(s.slug, m.cookie, item.body.id, "mall-refused-1");
    expect(x.status).toBe(409);
    expect(x.body.error.code).toBe("sold_out");
    expect(await balanceOf(m.memberId)).toBe(100);
    expect((await api(`/mall/items`, { token: s.adminKey })).body.items[0]).toMatchObject({ stockLeft: 3 });

    const s2 = await shopWithKeys(1);
    const cash = await api("/mall/items", { method: "POST", token: s2.adminKey, json: { productId: s2.productId, title: "加钱购", points: 30, cashCents: 500, stock: 3 } });
    const m2 = await member(s2.slug, s2.tenant.id, s2.adminKey, 100);
    const y = await exchange(s2.slug, m2.cookie, cash.body.id, "mall-unpaid-1");
    expect(y.body.balance).toBe(70);
    expect((await shop(s2.slug, `/orders/${y.body.orderId}/cancel`, { method: "POST", cookie: m2.cookie })).status).toBe(200);
    // Back at once on the buyer's cancel (before: only at the points cron's next minute, the page reading 已取消 meanwhile).
    expect(await balanceOf(m2.memberId)).toBe(100);
    await Promise.all([sweepPoints(env as Env), sweepPoints(env as Env)]);
    expect(await balanceOf(m2.memberId)).toBe(100);
    expect(await env.DB.prepare("SELECT status FROM mall_exchanges WHERE id = ?").bind(y.body.id).first("status")).toBe("returned");
  });

  it("an item needs a published product: refused on a draft like a group buy; one unpublished later is hidden and not exchanged", async () => {
    const s = await shopWithKeys(0);
    const coupon = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "20元无门槛券", priceCents: 0, faceValueCents: 2000, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 2000 } }, stockTotal: 10 },
    });
    expect(coupon.body.status).toBe("draft");
    const input = { productId: coupon.body.id, title: "草稿品", points: 10, stock: 5 };
    const draft = await api("/mall/items", { method: "POST", token: s.adminKey, json: input });
    const group = await api("/group-buys", { method: "POST", token: s.adminKey, json: { productId: coupon.body.id, name: "团", groupPriceCents: 1, teamSize: 2, teamMinutes: 10, endsAt: new Date(Date.now() + 86_400_000).toISOString() } });
    expect([draft.status, group.status]).toEqual([422, 422]);
    expect(draft.body.error).toMatchObject({ code: "invalid_mall_item", message: "The product must be published", requestId: expect.any(String), issues: [{ path: "json.productId", code: "invalid_mall_item" }] });
    expect(draft.body.error.issues[0].path).toBe(group.body.error.issues[0].path);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM mall_items WHERE tenant_id = ?").bind(s.tenant.id).first("n")).toBe(0);

    const status = (to: string) => api(`/products/${coupon.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: to } });
    expect((await status("published")).status).toBe(200);
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: input });
    expect(item.status).toBe(201);
    expect(item.body).toMatchObject({ productStatus: "published", productKind: "coupon", exchangeable: true });
    expect((await api("/mall/items", { token: s.adminKey })).body.items[0]).toMatchObject({ productStatus: "published", productKind: "coupon", exchangeable: true });
    const m = await member(s.slug, s.tenant.id, s.adminKey, 100);
    expect((await exchange(s.slug, m.cookie, item.body.id, "mall-pub-0001")).body).toMatchObject({ orderStatus: "delivered", balance: 90 });

    // Unpublished later: members no longer see it, an exchange is refused before any point is spent.
    expect((await status("draft")).status).toBe(200);
    expect((await shop(s.slug, "/member/mall", { cookie: m.cookie })).body.items).toEqual([]);
    const refused = await exchange(s.slug, m.cookie, item.body.id, "mall-pub-0002");
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "product_unavailable", requestId: expect.any(String) });
    expect(await balanceOf(m.memberId)).toBe(90);
    // The operator's list flags it: still active, but its product is a draft now, so members cannot exchange it.
    expect((await api("/mall/items", { token: s.adminKey })).body.items[0]).toMatchObject({ stockLeft: 4, active: true, productStatus: "draft", exchangeable: false });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND product_id = ?").bind(s.tenant.id, coupon.body.id).first("n")).toBe(1);
    // The operator may switch it off, not on again until the product is published.
    expect((await api(`/mall/items/${item.body.id}`, { method: "PUT", token: s.adminKey, json: { ...input, active: false } })).status).toBe(200);
    expect((await api(`/mall/items/${item.body.id}`, { method: "PUT", token: s.adminKey, json: { ...input, active: true } })).body.error.code).toBe("invalid_mall_item");
  });

  it("stock cannot be set below what was already exchanged: 409 stock_below_taken, nothing changes; returns never lift stock above the total", async () => {
    const s = await shopWithKeys(0);
    const coupon = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "10元券", priceCents: 0, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 1000 } }, stockTotal: 100 },
    });
    expect((await api(`/products/${coupon.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const input = { productId: coupon.body.id, title: "10元券", points: 10, stock: 10 };
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: input });
    const m = await member(s.slug, s.tenant.id, s.adminKey, 1000);
    const taken = [];
    for (let n = 0; n < 7; n++) taken.push(await exchange(s.slug, m.cookie, item.body.id, `mall-taken-${n}`));
    expect(taken.map((x) => x.status)).toEqual(Array(7).fill(201));
    const row = () => env.DB.prepare("SELECT stock_total, stock_left, title FROM mall_items WHERE id = ?").bind(item.body.id).first<any>();
    expect(await row()).toMatchObject({ stock_total: 10, stock_left: 3 });

    const below = await api(`/mall/items/${item.body.id}`, { method: "PUT", token: s.adminKey, json: { ...input, title: "改名", stock: 5 } });
    expect(below.status).toBe(409);
    expect(below.body.error).toMatchObject({ code: "stock_below_taken", requestId: expect.any(String), issues: [{ path: "json.stock", code: "stock_below_taken" }] });
    expect(below.body.error.message).toContain("7 already exchanged");
    expect(await row()).toEqual({ stock_total: 10, stock_left: 3, title: "10元券" }); // nothing changed, not even the title

    // Exactly what was taken is allowed (no more exchanges), and more stock adds to what is left.
    expect((await api(`/mall/items/${item.body.id}`, { method: "PUT", token: s.adminKey, json: { ...input, stock: 7 } })).body).toMatchObject({ stockTotal: 7, stockLeft: 0 });
    expect((await exchange(s.slug, m.cookie, item.body.id, "mall-taken-x")).body.error.code).toBe("sold_out");
    // A returned exchange puts its unit back: left never exceeds the total.
    expect((await api(`/orders/${taken[0]!.body.orderId}/refund`, { method: "POST", token: s.adminKey, json: { reason: "退回" } })).status).toBe(200);
    await sweepPoints(env as Env);
    expect(await row()).toMatchObject({ stock_total: 7, stock_left: 1 });
    expect((await api(`/mall/items/${item.body.id}`, { method: "PUT", token: s.adminKey, json: { ...input, stock: 12 } })).body).toMatchObject({ stockTotal: 12, stockLeft: 6 });
    // Unknown item: still 404.
    expect((await api(`/mall/items/mi_nope`, { method: "PUT", token: s.adminKey, json: input })).status).toBe(404);
  });
});
