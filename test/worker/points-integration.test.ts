import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { consumeOldestFirst } from "../../worker/domain/points";
import { sweepPoints } from "../../worker/services/points-expiry";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, createTenant, insertMember, PLATFORM, recordedOfType } from "./helpers";
import { newId } from "../../worker/domain/crypto";
import { checkIn, reverseTasksOfRefund } from "../../worker/services/member-activity";
import { insertCompletionStmt } from "../../worker/db/member-activity";
import { issueVoucher } from "../../worker/services/vouchers";

/** A buyer session in the store and a member row for it (the join flow is members17's). */
async function member(slug: string, tenantId: string) {
  const g = await shop(slug, "/guest", { method: "POST", json: {} });
  const buyerId = g.body.buyer.id as string;
  return { cookie: g.cookie!, buyerId, memberId: await insertMember(tenantId, buyerId) };
}

let n = 0;
const adjust = (adminKey: string, memberId: string, points: number, reason = "goodwill") =>
  api("/points/adjustments", { method: "POST", token: adminKey, json: { memberId, points, reason }, headers: { "idempotency-key": `adj-test-${Date.now()}-${n++}` } });

/** The three views of a balance agree: the cache, the ledger's sum, the lots' remaining. */
async function ledgerAgrees(memberId: string) {
  const r = await env.DB.prepare(
    `SELECT (SELECT points_balance FROM members WHERE id = ?1) AS cache,
            (SELECT COALESCE(SUM(points), 0) FROM points_movements WHERE member_id = ?1) AS ledger,
            (SELECT COALESCE(SUM(remaining), 0) FROM points_lots WHERE member_id = ?1) AS lots`,
  ).bind(memberId).first<{ cache: number; ledger: number; lots: number }>();
  expect(r!.ledger).toBe(r!.cache);
  expect(r!.lots).toBe(r!.cache);
  return r!.cache;
}

describe("earning from paid orders and reversal on refund", () => {
  it("earns once per paid order (per the tenant's rule) and reverses what remains on refund, recording the shortfall", async () => {
    const s = await shopWithKeys(3);
    await api("/points/rules", { method: "PUT", token: s.adminKey, json: { pointsPerYuan: 2 } });
    const m = await member(s.slug, s.tenant.id);
    const o = await shop(s.slug, "/orders", { method: "POST", cookie: m.cookie, idem: "order-points-1", json: { productId: s.productId } });
    expect(o.status).toBe(201);
    // The callback arrives twice: one earn.
    const paid = await Promise.all([pay(o.body.checkoutUrl), pay(o.body.checkoutUrl)]);
    expect(paid.some((p) => p.body.orderStatus === "delivered")).toBe(true);
    const earned = await env.DB.prepare("SELECT * FROM points_movements WHERE member_id = ? AND kind = 'earn'").bind(m.memberId).all<any>();
    expect(earned.results).toHaveLength(1);
    expect(earned.results[0].points).toBe(39); // 19.90 yuan × 2 = 39.8, rounded down
    expect(earned.results[0].source_kind).toBe("order");
    expect(await ledgerAgrees(m.memberId)).toBe(39);

    // 30 of the 39 are spent before the refund: the reversal takes back the 9 left and records 30 as the shortfall.
    expect((await adjust(s.adminKey, m.memberId, -30)).status).toBe(201);
    const refunds = await Promise.all([1, 2].map(() => api(`/orders/${o.body.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "test" } })));
    expect(refunds.filter((r) => r.status === 200)).toHaveLength(1);
    const rev = await env.DB.prepare("SELECT * FROM points_movements WHERE member_id = ? AND kind = 'reverse'").bind(m.memberId).all<any>();
    expect(rev.results).toHaveLength(1);
    expect(rev.results[0]).toMatchObject({ points: -9, shortfall: 30, balance_after: 0 });
    expect(await ledgerAgrees(m.memberId)).toBe(0);
    await sweepPoints(env as Env); // the safety net finds nothing left to reverse
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM points_movements WHERE member_id = ? AND kind = 'reverse'").bind(m.memberId).first("n")).toBe(1);
    const types = (await recordedOfType(s.tenant.id, "points_earned")).concat(await recordedOfType(s.tenant.id, "points_reversed"));
    expect(types.map((e) => [e.type, e.payload.points, e.payload.memberId])).toEqual([["points_earned", 39, m.memberId], ["points_reversed", -9, m.memberId]]);
  });

  it("a buyer who is not a member earns nothing", async () => {
    const s = await shopWithKeys(1);
    const g = await shop(s.slug, "/guest", { method: "POST", json: {} });
    const o = await shop(s.slug, "/orders", { method: "POST", cookie: g.cookie, idem: "order-points-guest", json: { productId: s.productId } });
    await pay(o.body.checkoutUrl);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM points_movements WHERE tenant_id = ?").bind(s.tenant.id).first("n")).toBe(0);
  });
});

describe("spending under concurrency", () => {
  it("200 concurrent mall exchanges by one member never overspend: sum spent ≤ balance, ledger = cache = lots", async () => {
    const s = await shopWithKeys(0);
    const coupon = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "满50减10券", priceCents: 0, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 5000, discountCents: 1000 } }, stockTotal: 1000 },
    });
    expect(coupon.status).toBe(201);
    expect((await api(`/products/${coupon.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const item = await api("/mall/items", { method: "POST", token: s.adminKey, json: { productId: coupon.body.id, title: "满减券", points: 70, stock: 1000 } });
    expect(item.status).toBe(201);
    const m = await member(s.slug, s.tenant.id);
    // Three lots (different expiry order than earning order is covered by the unit test); 1000 points in all.
    for (const p of [400, 350, 250]) expect((await adjust(s.adminKey, m.memberId, p)).status).toBe(201);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      shop(s.slug, `/member/mall/${item.body.id}/exchange`, { method: "POST", cookie: m.cookie, idem: `spend-race-${i}` })));
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(ok.length + refused.length).toBe(200);
    expect(ok).toHaveLength(14); // floor(1000 / 70)
    expect(refused.every((r) => r.body.error.code === "insufficient_points")).toBe(true);
    const balance = await ledgerAgrees(m.memberId);
    expect(balance).toBe(1000 - 14 * 70);
    const spent = await env.DB.prepare("SELECT COALESCE(-SUM(points), 0) AS n FROM points_movements WHERE member_id = ? AND kind = 'spend'").bind(m.memberId).first<number>("n");
    expect(spent).toBe(980);
    // The lots were drawn soonest-expiry first, exactly as domain/points.ts specifies.
    const lots = await env.DB.prepare("SELECT id, points, remaining, expires_at FROM points_lots WHERE member_id = ? ORDER BY expires_at").bind(m.memberId).all<any>();
    const uses = consumeOldestFirst(lots.results.map((l) => ({ id: l.id, remaining: l.points, expiresAt: l.expires_at })), 980);
    expect(lots.results.map((l) => l.remaining)).toEqual(lots.results.map((l) => l.points - (uses.find((u) => u.lotId === l.id)?.points ?? 0)));
    expect(lots.results.map((l) => l.remaining)).toEqual([0, 0, 20]);
    expect((await recordedOfType(s.tenant.id, "points_spent"))).toHaveLength(14);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ? AND source LIKE 'mall:%'").bind(s.tenant.id).first("n")).toBe(14);
  }, 120_000);
});

describe("check-in, expiry and reminders, adjustment and liability", () => {
  it("two check-ins at once give one check-in and one set of points; the statement shows it", async () => {
    const { tenant } = await createTenant();
    const m = await member(tenant.slug, tenant.id);
    // Before the first one the member is told what a check-in gives: 5 a day, and day 7's +50 (the default rules).
    const before = await shop(tenant.slug, "/member/points", { cookie: m.cookie });
    expect(before.body.checkIn).toEqual({ today: false, streak: 0, dailyPoints: 5, nextBonus: { day: 7, points: 50 } });
    const both = await Promise.all([1, 2].map(() => shop(tenant.slug, "/member/check-in", { method: "POST", cookie: m.cookie })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 200)!.body).toMatchObject({ streak: 1, points: 5, balance: 5 });
    expect(both.find((r) => r.status === 409)!.body.error.code).toBe("already_checked_in");
    const st = await shop(tenant.slug, "/member/points", { cookie: m.cookie });
    expect(st.body).toMatchObject({ balance: 5, checkIn: { today: true, streak: 1, dailyPoints: 5, nextBonus: { day: 7, points: 50 } } });
    expect(st.body.movements).toHaveLength(1);
    expect(st.body.movements[0]).toMatchObject({ kind: "earn", sourceKind: "check_in", points: 5 });
    expect(await recordedOfType(tenant.id, "member_checked_in")).toHaveLength(1);
    const stranger = await shop(tenant.slug, "/guest", { method: "POST", json: {} });
    expect((await shop(tenant.slug, "/member/check-in", { method: "POST", cookie: stranger.cookie })).body.error.code).toBe("not_a_member");
  });

  it("growth per action: a check-in and a store redemption add the brand's growth once each, also when raced; unknown actions are refused", async () => {
    const { tenant, adminKey } = await createTenant();
    const rules = await api("/members/growth-rules", { method: "PUT", token: adminKey, json: { actions: { check_in: 2, redemption: 5 } } });
    expect(rules.body.actions).toEqual({ check_in: 2, redemption: 5 });
    const unknown = await api("/members/growth-rules", { method: "PUT", token: adminKey, json: { actions: { share: 3 } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBeTruthy();
    await api("/members/tiers", { method: "POST", token: adminKey, json: { name: "普通", rank: 0, growthThreshold: 0 } });
    const silver = await api("/members/tiers", { method: "POST", token: adminKey, json: { name: "银卡", rank: 1, growthThreshold: 4 } });
    const m = await member(tenant.slug, tenant.id);
    const growth = () => env.DB.prepare("SELECT source_kind, source_id, growth FROM member_growth WHERE member_id = ? ORDER BY created_at, source_id").bind(m.memberId).all();
    const five = await Promise.all(Array.from({ length: 5 }, () => shop(tenant.slug, "/member/check-in", { method: "POST", cookie: m.cookie })));
    expect(five.filter((r) => r.status === 200)).toHaveLength(1);
    const day = five.find((r) => r.status === 200)!.body.day as string;
    expect((await growth()).results).toEqual([{ source_kind: "check_in", source_id: day, growth: 2 }]);
    // Another day's check-in earns again (the service with tomorrow's clock); a retry of it does not.
    const tomorrow = new Date(Date.now() + 86_400_000);
    await checkIn(env as Env, tenant.id, m.buyerId, tomorrow);
    await expect(checkIn(env as Env, tenant.id, m.buyerId, tomorrow)).rejects.toMatchObject({ status: 409 });
    const member2 = () => env.DB.prepare("SELECT growth, tier_id FROM members WHERE id = ?").bind(m.memberId).first<{ growth: number; tier_id: string }>();
    expect(await member2()).toEqual({ growth: 4, tier_id: silver.body.id }); // 2 + 2 reaches 银卡 at once
    expect((await recordedOfType(tenant.id, "member_growth_earned")).map((e) => e.payload.sourceKind)).toEqual(["check_in", "check_in"]);

    // A voucher the member holds, redeemed at a store (raced by the same request twice): +5 once.
    const redeemer = await api(`/platform/tenants/${tenant.id}/keys`, { method: "POST", token: PLATFORM, json: { name: "pos", scopes: ["redeemer"] } });
    const store = await api("/stores", { method: "POST", token: adminKey, json: { name: "南京西路店", address: "上海" } });
    const productId = newId("prd");
    await env.DB.prepare("INSERT INTO products (id, tenant_id, kind, name, price_cents, face_value_cents, config, status) VALUES (?, ?, 'coupon', '到店券', 0, 500, '{}', 'published')").bind(productId, tenant.id).run();
    const { voucher } = await issueVoucher(env as Env, { tenantId: tenant.id, holderId: m.buyerId, productId, sourceKey: "growth-action-redeem" });
    const redeem = (idem: string) => api("/redemptions", { method: "POST", token: redeemer.body.secret, json: { code: voucher.code, storeId: store.body.id }, headers: { "idempotency-key": idem } });
    const both = await Promise.all([redeem("growth-redeem-1"), redeem("growth-redeem-2")]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await growth()).results.filter((g) => g.source_kind === "redemption")).toEqual([{ source_kind: "redemption", source_id: both.find((r) => r.status === 200)!.body.id, growth: 5 }]);
    expect((await member2())!.growth).toBe(9);
    // Not a member: a redemption earns nobody growth.
    const { voucher: guestVoucher } = await issueVoucher(env as Env, { tenantId: tenant.id, holderId: "buyer_not_member", productId, sourceKey: "growth-action-guest" });
    expect((await api("/redemptions", { method: "POST", token: redeemer.body.secret, json: { code: guestVoucher.code, storeId: store.body.id }, headers: { "idempotency-key": "growth-redeem-3" } })).status).toBe(200);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM member_growth WHERE tenant_id = ?").bind(tenant.id).first("n")).toBe(3);
  });

  it("reminds once N days before expiry, expires each lot once, and the liability follows", async () => {
    const { tenant, adminKey } = await createTenant();
    await api("/points/rules", { method: "PUT", token: adminKey, json: { expiryMonths: 1, remindDays: 5, centsPer100Points: 50 } });
    const m = await member(tenant.slug, tenant.id);
    expect((await adjust(adminKey, m.memberId, 300, "launch gift")).status).toBe(201);
    const lot = (await env.DB.prepare("SELECT * FROM points_lots WHERE member_id = ?").bind(m.memberId).first<any>())!;
    const expires = Date.parse(lot.expires_at);
    expect(expires - Date.now()).toBeGreaterThan(27 * 86_400_000);
    expect((await api("/points/liability", { token: adminKey })).body).toMatchObject({ outstandingPoints: 300, valueCents: 150, members: 1 });

    await sweepPoints(env as Env, new Date(expires - 10 * 86_400_000)); // too early
    expect(await recordedOfType(tenant.id, "points_expiry_reminded")).toHaveLength(0);
    await Promise.all([sweepPoints(env as Env, new Date(expires - 4 * 86_400_000)), sweepPoints(env as Env, new Date(expires - 3 * 86_400_000))]);
    const reminded = await recordedOfType(tenant.id, "points_expiry_reminded");
    expect(reminded).toHaveLength(1);
    expect(reminded[0]!.payload).toMatchObject({ memberId: m.memberId, points: 300, channel: "webhook" });

    await Promise.all([sweepPoints(env as Env, new Date(expires + 1000)), sweepPoints(env as Env, new Date(expires + 2000))]);
    const expired = await env.DB.prepare("SELECT * FROM points_movements WHERE member_id = ? AND kind = 'expire'").bind(m.memberId).all<any>();
    expect(expired.results).toHaveLength(1);
    expect(expired.results[0]).toMatchObject({ points: -300, balance_after: 0, source_kind: "lot", source_id: lot.id });
    expect(await ledgerAgrees(m.memberId)).toBe(0);
    expect(await recordedOfType(tenant.id, "points_expired")).toHaveLength(1);
    expect((await api("/points/liability", { token: adminKey })).body).toMatchObject({ outstandingPoints: 0, valueCents: 0, issued: 0, adjusted: 300, expired: 300 });
  });

  it("the expiry reminder names the China day the points expire on, not the UTC date", async () => {
    const { tenant, adminKey } = await createTenant();
    const m = await member(tenant.slug, tenant.id);
    expect((await adjust(adminKey, m.memberId, 80, "gift")).status).toBe(201);
    // 2030-03-01 20:00 UTC is 2030-03-02 04:00 in Shanghai.
    await env.DB.prepare("UPDATE points_lots SET expires_at = '2030-03-01T20:00:00.000Z' WHERE member_id = ?").bind(m.memberId).run();
    await sweepPoints(env as Env, new Date("2030-02-27T00:00:00.000Z"));
    const reminded = await recordedOfType(tenant.id, "points_expiry_reminded");
    expect(reminded.map((e) => e.payload.expiresOn)).toEqual(["2030-03-02"]);
  });

  it("a member's lots due together make one SMS with their sum, so the weekly cap cannot keep the large one back", async () => {
    const { tenant, adminKey } = await createTenant();
    const m = await member(tenant.slug, tenant.id);
    await env.DB.batch([
      env.DB.prepare("UPDATE buyers SET kind = 'phone', phone_hash = ?, phone_masked = '138****0000' WHERE id = ?").bind(`ph_${m.buyerId}`, m.buyerId),
      env.DB.prepare("INSERT INTO consents (id, tenant_id, buyer_id, purpose, action, text_version, channel) VALUES (?, ?, ?, 'marketing', 'granted', 'v1', 'web')").bind(newId("cns"), tenant.id, m.buyerId),
    ]);
    expect((await adjust(adminKey, m.memberId, 10, "small gift")).status).toBe(201);
    expect((await adjust(adminKey, m.memberId, 5000, "big gift")).status).toBe(201);
    // 10 points expire on 03-02 (China day), 5,000 on 03-04; both are inside the 7-day reminder window on 02-27.
    await env.DB.prepare("UPDATE points_lots SET expires_at = CASE remaining WHEN 10 THEN '2030-03-01T20:00:00.000Z' ELSE '2030-03-04T02:00:00.000Z' END WHERE member_id = ?").bind(m.memberId).run();
    // 10:00 in Shanghai: outside quiet hours.
    const at = new Date("2030-02-27T02:00:00.000Z");
    await Promise.all([sweepPoints(env as Env, at), sweepPoints(env as Env, at)]);
    expect((await recordedOfType(tenant.id, "points_expiry_reminded")).map((e) => e.payload.points).sort((a, b) => Number(a) - Number(b))).toEqual([10, 5000]);
    const sms = await env.DB.prepare("SELECT body FROM sms_outbox WHERE tenant_id = ? AND phone_hash = ?").bind(tenant.id, `ph_${m.buyerId}`).all<{ body: string }>();
    expect(sms.results).toHaveLength(1);
    expect(sms.results[0]!.body).toContain("5010 积分");
    expect(sms.results[0]!.body).toContain("2030-03-02");
  });

  it("adjustment: reason required, idempotent by key, never below zero, audited", async () => {
    const { tenant, adminKey } = await createTenant();
    const m = await member(tenant.slug, tenant.id);
    const bad = await api("/points/adjustments", { method: "POST", token: adminKey, json: { memberId: m.memberId, points: 10 }, headers: { "idempotency-key": "adj-bad-0001" } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain("reason");
    const once = () => api("/points/adjustments", { method: "POST", token: adminKey, json: { memberId: m.memberId, points: 40, reason: "客服补偿" }, headers: { "idempotency-key": "adj-same-0001" } });
    const [a, b] = await Promise.all([once(), once()]);
    expect(a.body.id).toBe(b.body.id);
    expect(await ledgerAgrees(m.memberId)).toBe(40);
    const over = await adjust(adminKey, m.memberId, -41);
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe("insufficient_points");
    const audit = await api("/audit-log?resource=points", { token: adminKey });
    expect(audit.body.entries.some((e: any) => e.route.includes("/points/adjustments") && e.after?.reason === "客服补偿")).toBe(true);
  });
});

describe("tasks", () => {
  it("pays a task once per completion, from real facts, with points, growth and a coupon; none may name a lottery", async () => {
    const s = await shopWithKeys(2);
    const coupon = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "新人券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } }, stockTotal: 10 },
    });
    const gated = await api("/points/tasks", { method: "POST", token: s.adminKey, json: { kind: "first_purchase", name: "首单后才能抽奖", points: 10 } });
    expect(gated.status).toBe(400);
    expect(gated.body.error.code).toBe("task_gates_lottery");
    const task = await api("/points/tasks", { method: "POST", token: s.adminKey, json: { kind: "first_purchase", name: "首次购买", points: 20, growth: 15, couponProductId: coupon.body.id } });
    expect(task.status).toBe(201);
    const m = await member(s.slug, s.tenant.id);
    const early = await shop(s.slug, `/member/tasks/${task.body.id}/complete`, { method: "POST", cookie: m.cookie });
    expect(early.body.error.code).toBe("task_not_completed");
    const o = await shop(s.slug, "/orders", { method: "POST", cookie: m.cookie, idem: "order-task-0001", json: { productId: s.productId } });
    await pay(o.body.checkoutUrl);
    expect((await shop(s.slug, "/member/tasks", { cookie: m.cookie })).body.tasks[0]).toMatchObject({ id: task.body.id, available: true, completions: 0 });
    // The paid order earned its own growth (membership's per-yuan rule); the task adds its 15 through the same ledger.
    const growthBefore = (await env.DB.prepare("SELECT growth FROM members WHERE id = ?").bind(m.memberId).first("growth")) as number;
    const both = await Promise.all([1, 2].map(() => shop(s.slug, `/member/tasks/${task.body.id}/complete`, { method: "POST", cookie: m.cookie })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    // The second is told the reward was given (it read task_not_completed, as if the task were not done).
    expect(both.find((r) => r.status === 409)!.body.error.code).toBe("task_already_rewarded");
    expect((await shop(s.slug, `/member/tasks/${task.body.id}/complete`, { method: "POST", cookie: m.cookie })).body.error.code).toBe("task_already_rewarded");
    const done = both.find((r) => r.status === 200)!.body;
    expect(done).toMatchObject({ completion: "once", points: 20, growth: 15, balance: 19 + 20 });
    expect(done.voucherId).toBeTruthy();
    expect(await env.DB.prepare("SELECT growth FROM members WHERE id = ?").bind(m.memberId).first("growth")).toBe(growthBefore + 15);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM member_growth WHERE member_id = ? AND source_kind = 'task'").bind(m.memberId).first("n")).toBe(1);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM vouchers WHERE holder_id = ? AND product_id = ?").bind(m.buyerId, coupon.body.id).first("n")).toBe(1);
    expect(await recordedOfType(s.tenant.id, "member_task_completed")).toHaveLength(1);
    await ledgerAgrees(m.memberId);
  });

  it("a refund of the first order takes the first-purchase reward back as an invite's is: points left (never below zero), the unused coupon; once", async () => {
    const s = await shopWithKeys(3);
    const coupon = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "首单礼券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } }, stockTotal: 10 },
    });
    const task = await api("/points/tasks", { method: "POST", token: s.adminKey, json: { kind: "first_purchase", name: "首次购买", points: 20, couponProductId: coupon.body.id } });
    const m = await member(s.slug, s.tenant.id);
    const o = await shop(s.slug, "/orders", { method: "POST", cookie: m.cookie, idem: "order-task-refund-1", json: { productId: s.productId } });
    await pay(o.body.checkoutUrl);
    const done = await shop(s.slug, `/member/tasks/${task.body.id}/complete`, { method: "POST", cookie: m.cookie });
    expect(done.body).toMatchObject({ points: 20, balance: 19 + 20 });
    // 30 of the 39 are spent first: what is left of them goes back, the rest is the shortfall, the balance ends at 0.
    expect((await adjust(s.adminKey, m.memberId, -30)).status).toBe(201);

    const refund = await api(`/orders/${o.body.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "buyer asked" } });
    expect(refund.status).toBe(200);
    const taken = await env.DB.prepare("SELECT * FROM points_movements WHERE member_id = ? AND kind = 'reverse' AND source_kind = 'task'").bind(m.memberId).all<any>();
    expect(taken.results).toHaveLength(1);
    expect(taken.results[0]).toMatchObject({ source_id: `${task.body.id}:once`, reason: "task_order_refunded" });
    expect(-taken.results[0].points + taken.results[0].shortfall).toBe(20);
    expect(await ledgerAgrees(m.memberId)).toBe(0);
    expect(await env.DB.prepare("SELECT status FROM vouchers WHERE id = ?").bind(done.body.voucherId).first("status")).toBe("voided");
    expect((await recordedOfType(s.tenant.id, "voucher_voided")).map((e) => [e.payload.voucherId, e.payload.reason])).toEqual([[done.body.voucherId, "task_order_refunded"]]);
    expect((await recordedOfType(s.tenant.id, "points_reversed")).filter((e) => e.payload.sourceKind === "task")).toHaveLength(1);

    // Once: the cron's safety net and a rerun take nothing more; a later order does not earn the task again.
    await sweepPoints(env as Env);
    await reverseTasksOfRefund(env as Env, s.tenant.id, o.body.id);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM points_movements WHERE member_id = ? AND kind = 'reverse' AND source_kind = 'task'").bind(m.memberId).first("n")).toBe(1);
    const again = await shop(s.slug, "/orders", { method: "POST", cookie: m.cookie, idem: "order-task-refund-2", json: { productId: s.productId } });
    await pay(again.body.checkoutUrl);
    expect((await shop(s.slug, "/member/tasks", { cookie: m.cookie })).body.tasks[0]).toMatchObject({ completions: 1, reversed: 1, available: false });
    expect(await ledgerAgrees(m.memberId)).toBe(19);
  });

  it("a refund of the first order takes the task's growth back too, with the tier it bought, once", async () => {
    const s = await shopWithKeys(2);
    for (const [name, rank, growthThreshold] of [["普通会员", 0, 0], ["银卡", 1, 10], ["金卡", 2, 30]] as const) {
      expect((await api("/members/tiers", { method: "POST", token: s.adminKey, json: { name, rank, growthThreshold } })).status).toBe(201);
    }
    const task = await api("/points/tasks", { method: "POST", token: s.adminKey, json: { kind: "first_purchase", name: "首次购买", points: 5, growth: 15 } });
    const m = await member(s.slug, s.tenant.id);
    const o = await shop(s.slug, "/orders", { method: "POST", cookie: m.cookie, idem: "order-task-growth-1", json: { productId: s.productId } });
    await pay(o.body.checkoutUrl);
    expect((await shop(s.slug, `/member/tasks/${task.body.id}/complete`, { method: "POST", cookie: m.cookie })).status).toBe(200);
    const card = async () => (await shop(s.slug, "/member", { cookie: m.cookie })).body.member as { growth: number; tier: { name: string } | null };
    // The order's 19 bought 银卡; the task's 15 on top bought 金卡.
    expect(await card()).toMatchObject({ growth: 19 + 15, tier: { name: "金卡" } });

    expect((await api(`/orders/${o.body.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "buyer asked" } })).status).toBe(200);
    // Both growths gone, and the tier back to the one held before the first order (not 银卡, which that order bought).
    expect(await card()).toMatchObject({ growth: 0, tier: { name: "普通会员" } });
    const taken = await env.DB.prepare("SELECT growth, source_id FROM member_growth WHERE member_id = ? AND source_kind = 'task_refund'").bind(m.memberId).all();
    expect(taken.results).toEqual([{ growth: -15, source_id: `${task.body.id}:once` }]);
    const downs = (await recordedOfType(s.tenant.id, "member_tier_changed")).filter((e) => e.payload.direction === "down");
    expect(downs.map((e) => [e.payload.toTierId !== null, e.payload.reason])).toEqual([[true, "order_refunded"], [true, "order_refunded"]]);

    // Once: the cron's safety net and a rerun take nothing more.
    await sweepPoints(env as Env);
    await reverseTasksOfRefund(env as Env, s.tenant.id, o.body.id);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM member_growth WHERE member_id = ? AND source_kind = 'task_refund'").bind(m.memberId).first("n")).toBe(1);
    expect(await card()).toMatchObject({ growth: 0, tier: { name: "普通会员" } });
    // The task list says the reward was taken back (the page's 已收回), and it is not there to claim again.
    expect((await shop(s.slug, "/member/tasks", { cookie: m.cookie })).body.tasks[0]).toMatchObject({ completions: 1, reversed: 1, available: false });
  });

  it("a first-purchase task is not completed on an order whose refund is under way, and a refund left half-done is finished by the cron", async () => {
    const s = await shopWithKeys(2);
    const task = await api("/points/tasks", { method: "POST", token: s.adminKey, json: { kind: "first_purchase", name: "首次购买", points: 20 } });
    const m = await member(s.slug, s.tenant.id);
    const o = await shop(s.slug, "/orders", { method: "POST", cookie: m.cookie, idem: "order-task-refund-3", json: { productId: s.productId } });
    await pay(o.body.checkoutUrl);
    // A completion read from the paid order but written after a refund claimed it (failed, refund:…) is refused, so
    // it cannot escape the take-back.
    await env.DB.prepare("UPDATE orders SET status = 'failed', failure_reason = 'refund:test' WHERE id = ?").bind(o.body.id).run();
    const late = { id: newId("tc"), tenantId: s.tenant.id, taskId: task.body.id, memberId: m.memberId, completion: "once", points: 20, growth: 0, orderId: o.body.id };
    expect((await insertCompletionStmt(env.DB, late).run()).meta.changes).toBe(0);
    await env.DB.prepare("UPDATE orders SET status = 'delivered', failure_reason = NULL WHERE id = ?").bind(o.body.id).run();
    expect((await shop(s.slug, `/member/tasks/${task.body.id}/complete`, { method: "POST", cookie: m.cookie })).status).toBe(200);
    // Refunded with the isolate dying before the take-back: the points cron takes it back.
    await env.DB.prepare("UPDATE orders SET status = 'refunded' WHERE id = ?").bind(o.body.id).run();
    await sweepPoints(env as Env);
    expect(await env.DB.prepare("SELECT points FROM points_movements WHERE member_id = ? AND kind = 'reverse' AND source_kind = 'task'").bind(m.memberId).first("points")).toBe(-20);
    expect(await env.DB.prepare("SELECT reversed_at IS NOT NULL AS r FROM member_task_completions WHERE member_id = ?").bind(m.memberId).first("r")).toBe(1);
    // The points the order itself earned are taken back by the same sweep, once (it reads only what a refund marked due).
    const orderReversals = () => env.DB.prepare("SELECT COUNT(*) AS n FROM points_movements WHERE member_id = ? AND kind = 'reverse' AND source_kind = 'order'").bind(m.memberId).first("n");
    expect(await orderReversals()).toBe(1);
    await sweepPoints(env as Env);
    expect(await orderReversals()).toBe(1);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM points_lots WHERE member_id = ? AND reverse_due = 1").bind(m.memberId).first("n")).toBe(0);
  });
});
