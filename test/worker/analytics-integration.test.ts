import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import worker from "../../worker/index";
import { signBody } from "../../worker/domain/signature";
import { buildEvent } from "../../worker/queue/emit";
import { api, countRows, createTenant, insertMember, recordedOfType } from "./helpers";
import { checkoutPath, createOrder } from "../../worker/services/orders";
import { checkoutPayer } from "../../worker/services/stored-value";
import { pay, shop, shopWithKeys } from "./commerce-helpers";

async function keyFor(adminKey: string, scope: string) {
  const res = await api("/keys", { method: "POST", token: adminKey, json: { name: scope, scopes: [scope] } });
  expect(res.status).toBe(201);
  return res.body.secret as string;
}

const daysAgo = (d: number, hour = 10) => {
  const t = new Date(Date.now() - d * 86_400_000);
  t.setUTCHours(hour, 0, 0, 0);
  return t.toISOString();
};

/** Polls until `ok` holds (events travel worker → queue → warehouse asynchronously); returns the last answer. */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 8000) {
  const started = Date.now();
  let v = await fn();
  while (!ok(v) && Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 100));
    v = await fn();
  }
  return { value: v, ms: Date.now() - started };
}

describe("analytics API through the worker", () => {
  it("serves one tenant's metrics to its analyst key only", async () => {
    const a = await createTenant("Brand A");
    const b = await createTenant("Brand B");
    const analystA = await keyFor(a.adminKey, "analyst");
    const analystB = await keyFor(b.adminKey, "analyst");

    // Backdated, admin-only import: s1 claims and shares twice in campaign k1, i1 signs up through s1's link.
    const events = [
      { type: "claim_succeeded", occurredAt: daysAgo(3), actor: { userId: "s1" }, payload: { campaignId: "k1", costCents: 100 } },
      { type: "share_sent", occurredAt: daysAgo(3, 11), actor: { userId: "s1" }, payload: { campaignId: "k1" } },
      { type: "share_sent", occurredAt: daysAgo(3, 12), actor: { userId: "s1" }, payload: { campaignId: "k1" } },
      { type: "user_signed_up", occurredAt: daysAgo(2), actor: { userId: "i1" }, payload: { acquisitionCampaignId: "k1" } },
      { type: "referral_signed_up", occurredAt: daysAgo(2), actor: { userId: "i1", referrerId: "s1" }, payload: { campaignId: "k1" } },
    ];
    const imported = await api("/events/import", { method: "POST", token: a.adminKey, json: { events } });
    expect(imported.status).toBe(202);
    // Analysts cannot import; the import refuses future timestamps.
    expect((await api("/events/import", { method: "POST", token: analystA, json: { events } })).status).toBe(403);
    const future = await api("/events/import", { method: "POST", token: a.adminKey, json: { events: [{ ...events[0], occurredAt: daysAgo(-2) }] } });
    expect(future.status).toBe(400);
    expect(future.body.error.issues[0].path).toBe("json.events.0.occurredAt");

    const query = (token: string, q = "") => api(`/analytics/kfactor${q}`, { token });
    const { value: own } = await until(() => query(analystA), (r) => r.body?.rows?.length === 1);
    expect(own.status).toBe(200);
    expect(own.body.rows).toEqual([
      { campaignId: "k1", participants: 1, sharers: 1, shares: 2, inviteeSignups: 1, shareRate: 1, invitesPerUser: 2, inviteConversion: 0.5, kFactor: 1 },
    ]);

    // Tenant B sees nothing of A's, whatever it asks for.
    const other = await query(analystB);
    expect(other.status).toBe(200);
    expect(other.body.rows).toEqual([]);
    const smuggled = await query(analystB, `?tenantId=${a.tenant.id}`);
    expect(smuggled.status).toBe(400);
    expect(smuggled.body.error.issues[0].path).toBe("query.tenantId");
    expect((await api(`/analytics/roi`, { token: analystB })).body.rows).toEqual([]);

    // Scope and auth.
    expect((await query(await keyFor(a.adminKey, "redeemer"))).status).toBe(403);
    expect((await query("")).status).toBe(401);
  });

  it("validates params with field paths and lists the metrics", async () => {
    const a = await createTenant();
    const analyst = await keyFor(a.adminKey, "analyst");
    const bad = await api("/analytics/retention?cohortBy=weekly&from=yesterday", { token: analyst });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["query.cohortBy", "query.from"]);
    const badPoints = await api("/analytics/points?bucket=hour&pointValueCents=-1", { token: analyst });
    expect(badPoints.status).toBe(400);
    expect(badPoints.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["query.bucket", "query.pointValueCents"]);
    expect((await api("/analytics/ltv?segment=vip", { token: analyst })).body.error.issues[0].path).toBe("query.segment");
    const list = await api("/analytics", { token: analyst });
    expect(list.body.metrics.map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining(["retention_matrix", "members_by_tier", "points", "paid_card_renewal", "checkin_streaks"]));
  });

  it("the warehouse refuses query bodies that are not signed by the worker", async () => {
    const body = JSON.stringify({ metric: "roi", tenantId: "someone-else", params: {} });
    const url = `${inject("warehouseUrl")}/v1/query/roi`;
    const forged = await fetch(url, { method: "POST", headers: { "x-kaquan-signature": await signBody("wrong", body) }, body });
    expect(forged.status).toBe(401);
    // The ingest secret (it signs event batches) cannot read.
    const ingestSigned = await fetch(url, { method: "POST", headers: { "x-kaquan-signature": await signBody("test-ingest-secret", body) }, body });
    expect(ingestSigned.status).toBe(401);
    // A signed body for one metric cannot be replayed against another.
    const signed = await signBody("test-query-secret", body);
    expect((await fetch(`${inject("warehouseUrl")}/v1/query/ltv`, { method: "POST", headers: { "x-kaquan-signature": signed }, body })).status).toBe(400);
  });

  it("freshness: a storefront view is visible in the dashboard within 5 s", async () => {
    const a = await createTenant();
    const analyst = await keyFor(a.adminKey, "analyst");
    const sent = Date.now();
    const track = await api("/track", {
      method: "POST",
      json: { tenant: a.tenant.slug, deviceId: "v1", events: [{ type: "product_viewed", productId: "p-fresh" }] },
    });
    expect(track.status).toBe(202);
    const { value } = await until(() => api("/analytics/top_products", { token: analyst }), (r) => r.body?.rows?.length === 1, 5000);
    const elapsed = Date.now() - sent;
    console.log(`freshness: tracked view visible after ${elapsed} ms`);
    expect(value.body.rows[0]).toMatchObject({ productId: "p-fresh", views: 1 });
    expect(elapsed).toBeLessThan(5000);
  });

  it("a refund made in parts reaches top products once, as refunded money next to the revenue", async () => {
    const { slug, productId, adminKey } = await shopWithKeys(2);
    const analyst = await keyFor(adminKey, "analyst");
    const o = await shop(slug, "/orders", { method: "POST", idem: "an-refund-1", json: { productId, quantity: 2 } });
    expect(o.status).toBe(201);
    expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const amount = o.body.amountCents as number;
    expect((await api(`/orders/${o.body.id}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 500, reason: "补偿" } })).status).toBe(201);
    // The buyer's LTV counts the part refunded so far (it counted whole refunds only)…
    const ltv7 = async () => ((await api("/analytics/ltv", { token: analyst })).body?.rows ?? []).reduce((n: number, r: any) => n + r.ltv7Cents * r.users, 0);
    expect((await until(ltv7, (v) => v === amount - 500, 8000)).value).toBe(amount - 500);
    expect((await api(`/orders/${o.body.id}/refunds`, { method: "POST", token: adminKey, json: { reason: "全部退款" } })).status).toBe(201);
    // …and the rest once: the closing whole refund (inParts) is not counted on top of its parts.
    expect((await until(ltv7, (v) => v === 0, 8000)).value).toBe(0);
    const { value } = await until(() => api("/analytics/top_products", { token: analyst }), (r) => r.body?.rows?.[0]?.refundedCents === amount, 8000);
    expect(value.body.rows).toEqual([
      { productId, views: 0, viewers: 0, paidOrders: 1, revenueCents: amount, refundedCents: amount, netRevenueCents: 0, viewToPaid: null },
    ]);
    expect((await api("/analytics/revenue_overall", { token: analyst })).body.rows).toEqual([
      { paidOrders: 1, revenueCents: amount, refundedCents: amount, netRevenueCents: 0 },
    ]);
  });

  it("a whole refund after parts gives back the rest as the last part: LTV, top products and GMV count each part once", async () => {
    const { slug, productId, adminKey, tenant } = await shopWithKeys(2);
    const analyst = await keyFor(adminKey, "analyst");
    const o = await shop(slug, "/orders", { method: "POST", idem: "an-rest-1", json: { productId, quantity: 2 } });
    expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const amount = o.body.amountCents as number;
    expect((await api(`/orders/${o.body.id}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 500, reason: "补偿" } })).status).toBe(201);
    // The rest through the order's whole refund (the console's 整单退款), not as another part.
    expect((await api(`/orders/${o.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "整单退款" } })).status).toBe(200);
    const parts = (await recordedOfType(tenant.id, "order_partially_refunded")).map((e) => Number(e.payload.amountCents));
    expect(parts.sort((a, b) => a - b)).toEqual([500, amount - 500].sort((a, b) => a - b));
    expect((await recordedOfType(tenant.id, "order_refunded"))[0]!.payload).toMatchObject({ amountCents: amount, inParts: true });
    // LTV counted the first part and the whole on top of it (−500 here) before the rest was recorded as a part.
    const ltv7 = async () => ((await api("/analytics/ltv", { token: analyst })).body?.rows ?? []).reduce((n: number, r: any) => n + r.ltv7Cents * r.users, 0);
    const overall = async () => (await api("/analytics/revenue_overall", { token: analyst })).body?.rows?.[0];
    expect((await until(overall, (r) => r?.refundedCents === amount, 8000)).value).toEqual({ paidOrders: 1, revenueCents: amount, refundedCents: amount, netRevenueCents: 0 });
    expect((await until(ltv7, (v) => v === 0, 8000)).value).toBe(0);
    const top = (await api("/analytics/top_products", { token: analyst })).body.rows.find((r: any) => r.productId === productId);
    expect(top).toMatchObject({ paidOrders: 1, revenueCents: amount, refundedCents: amount, netRevenueCents: 0 });
  });

  it("stored value: GMV, net revenue, LTV and ROI are the cash taken and given back at the gateway, the balance counted once (at its load)", async () => {
    const { slug, productId, adminKey, tenant } = await shopWithKeys(6); // ¥19.90 a unit
    const analyst = await keyFor(adminKey, "analyst");
    const plan = await api("/cards/plans", { method: "POST", token: adminKey, json: { name: "充100送50", payCents: 10000, bonusCents: 5000 } });
    expect(plan.status).toBe(201);
    const g = await shop(slug, "/guest", { method: "POST" }); // user_signed_up: the buyer's LTV cohort
    await insertMember(tenant.id, g.body.buyer.id);
    const cookie = g.cookie!;
    // The orders carry a campaign (as a flash sale's do: services/orders.ts createOrder with campaignId) for ROI.
    const CAMPAIGN = "k_gmv";
    const order = async (idem: string, { quantity = 1, storedValueCents }: { quantity?: number; storedValueCents: number }) => {
      const placed = await createOrder(env, {
        tenantId: tenant.id, buyerId: g.body.buyer.id, productId, quantity, idempotencyKey: idem, campaignId: CAMPAIGN,
        storedValue: await checkoutPayer(env, tenant.id, g.body.buyer.id, storedValueCents),
      });
      return { body: { id: placed.order.id, status: placed.order.status, checkoutUrl: placed.paymentId ? checkoutPath(placed.paymentId) : null } };
    };

    // ¥100 in at the gateway: the balance's money, counted once, here.
    const load = await shop(slug, `/member/wallet/plans/${plan.body.id}/buy`, { method: "POST", cookie, idem: "gmv-load-1" });
    expect((await pay(load.body.checkoutUrl)).status).toBe(200);
    // Mixed: ¥5.00 from the balance, ¥14.90 at the gateway.
    const mixed = await order("gmv-mixed-1", { storedValueCents: 500 });
    expect((await pay(mixed.body.checkoutUrl!)).body.orderStatus).toBe("delivered");
    // Wholly from the balance: no gateway, delivered at once.
    const whole = await order("gmv-whole-1", { storedValueCents: 1990 });
    expect(whole.body.status).toBe("delivered");
    // Mixed, two units (¥39.80): ¥10.00 from the balance, ¥29.80 at the gateway; refunded below in two parts.
    const parts = await order("gmv-parts-1", { quantity: 2, storedValueCents: 1000 });
    expect((await pay(parts.body.checkoutUrl!)).body.orderStatus).toBe("delivered");
    // Mixed and kept: ¥9.90 from the balance, ¥10.00 at the gateway.
    const kept = await order("gmv-kept-1", { storedValueCents: 990 });
    expect((await pay(kept.body.checkoutUrl!)).body.orderStatus).toBe("delivered");

    // Refunds: the mixed order whole (¥14.90 to the gateway, ¥5.00 to the wallet), the balance-paid one whole (all
    // ¥19.90 to the wallet, nothing at the gateway), the two-unit one in parts (¥10.00, then the rest: ¥19.80 at the
    // gateway, its ¥10.00 to the wallet with the last part).
    expect((await api(`/orders/${mixed.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "客户申请" } })).status).toBe(200);
    expect((await api(`/orders/${whole.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "客户申请" } })).status).toBe(200);
    expect((await api(`/orders/${parts.body.id}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 1000, reason: "部分退款" } })).status).toBe(201);
    expect((await api(`/orders/${parts.body.id}/refunds`, { method: "POST", token: adminKey, json: { reason: "全部退款" } })).status).toBe(201);
    const wallet = (await shop(slug, "/member/wallet", { cookie })).body;
    expect(wallet.balance.balanceCents).toBe(15000 - 990); // every refunded order's balance part came back to the wallet

    // The cash the brand took and gave back, as the gateway's books (payments) have it.
    const taken = await countRows("SELECT COALESCE(SUM(amount_cents), 0) AS n FROM payments WHERE tenant_id = ? AND kind = 'charge' AND status = 'succeeded'", tenant.id);
    const given = await countRows("SELECT COALESCE(SUM(amount_cents), 0) AS n FROM payments WHERE tenant_id = ? AND kind = 'refund' AND status != 'failed'", tenant.id);
    expect([taken, given]).toEqual([10000 + 1490 + 2980 + 1000, 1490 + 2980]);

    // The events say so: order_paid carries the gateway's money and the balance part apart; order_refunded what went
    // back at the gateway (0 for the balance-paid order) and the part that went back to the wallet.
    const paid = Object.fromEntries((await recordedOfType(tenant.id, "order_paid")).map((e) => [e.payload.orderId, e.payload]));
    expect(paid[mixed.body.id]).toMatchObject({ amountCents: 1490, storedValueCents: 500 });
    expect(paid[whole.body.id]).toBeUndefined();
    expect(paid[load.body.orderId].amountCents).toBe(10000);
    expect(paid[kept.body.id]).toMatchObject({ amountCents: 1000, storedValueCents: 990 });
    const refunded = Object.fromEntries((await recordedOfType(tenant.id, "order_refunded")).map((e) => [e.payload.orderId, e.payload]));
    expect(refunded[mixed.body.id]).toMatchObject({ amountCents: 1490, storedValueCents: 500 });
    expect(refunded[whole.body.id]).toMatchObject({ amountCents: 0, storedValueCents: 1990 });
    expect(refunded[parts.body.id]).toMatchObject({ amountCents: 2980, storedValueCents: 1000, inParts: true });

    // The dashboard: GMV = the cash taken, 净收入 = taken − given back; the buyer's LTV the same net cash.
    const overall = async () => (await api("/analytics/revenue_overall", { token: analyst })).body?.rows?.[0];
    const want = { paidOrders: 4, revenueCents: taken, refundedCents: given, netRevenueCents: taken - given };
    expect((await until(overall, (r) => JSON.stringify(r) === JSON.stringify(want), 10_000)).value).toEqual(want);
    const ltv7 = async () => ((await api("/analytics/ltv", { token: analyst })).body?.rows ?? []).reduce((n: number, r: any) => n + r.ltv7Cents * r.users, 0);
    expect((await until(ltv7, (v) => v === taken - given, 8000)).value).toBe(taken - given);
    const top = (await api("/analytics/top_products", { token: analyst })).body.rows.find((r: any) => r.productId === productId);
    expect(top).toMatchObject({ paidOrders: 3, revenueCents: 1490 + 2980 + 1000, refundedCents: 1490 + 2980, netRevenueCents: 1000 });
    // ROI: the campaign's attributed revenue is its orders' cash net of their refunds (no cost: roi null).
    const roi = (await api("/analytics/roi", { token: analyst })).body.rows;
    expect(roi).toEqual([expect.objectContaining({ campaignId: CAMPAIGN, revenueCents: 1000, paidOrders: 3, costCents: 0 })]);
    // The orders export reconciles: its paidOrder rows less their balance part are the GMV, its refunds the money given back.
    const exported = await exports.default.fetch("http://kaquan.test/api/v1/exports/orders?from=2026-01-01&to=2031-01-01", { headers: { authorization: `Bearer ${analyst}` } });
    const rows = (await exported.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    expect(rows).toHaveLength(5);
    expect(rows.find((r) => r.id === whole.body.id)).toMatchObject({ paidOrder: false, amountCents: 1990, storedValueCents: 1990 });
    const paidRows = rows.filter((r) => r.paidOrder);
    expect(paidRows.reduce((n, r) => n + r.amountCents - r.storedValueCents, 0)).toBe(taken);
    expect(rows.reduce((n, r) => n + r.refundedCents, 0)).toBe(given);
  });

  it("the public tracking route takes whitelisted types only", async () => {
    const a = await createTenant();
    const res = await api("/track", { method: "POST", json: { tenant: a.tenant.slug, deviceId: "u", events: [{ type: "order_paid" }] } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe("json.events.0.type");
    // share_sent comes from the share route only (with a signed session), never from /track.
    const share = await api("/track", { method: "POST", json: { tenant: a.tenant.slug, deviceId: "u", events: [{ type: "share_sent" }] } });
    expect(share.status).toBe(400);
    expect((await api("/track", { method: "POST", json: { tenant: "no-such-brand", deviceId: "d", events: [{ type: "page_view" }] } })).status).toBe(404);
  });

  it("the consumer delivers bundled messages (many envelopes per message) exactly once", async () => {
    const tenantId = `tn_bundle_${Date.now()}`;
    const evs = Array.from({ length: 250 }, () => buildEvent({ tenantId, type: "page_view", actor: { userId: "b" } }));
    const bodies = [evs.slice(0, 200), evs.slice(200), evs[0]!]; // two bundles and a repeated single envelope
    const batch = createMessageBatch<unknown>(
      "kaquan-events",
      bodies.map((body, i) => ({ id: `bundle-${tenantId}-${i}`, timestamp: new Date(), attempts: 1, body })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch<unknown>, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.length).toBe(3);
    const res = await fetch(`${inject("warehouseUrl")}/test/count?tenant=${tenantId}`);
    expect(((await res.json()) as { n: number }).n).toBe(250);
  });
});
