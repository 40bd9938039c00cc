import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../schema/events";
import { reportVoucher } from "../../worker/services/compensation";
import { couponProduct, issueCoupon, pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, recordedEvents, recordedOfType } from "./helpers";

/** The real env, with the events queue replaced by a recorder. */
function recordingEnv() {
  const sent: EventEnvelope[] = [];
  const events = { send: async (body: EventEnvelope) => void sent.push(body), sendBatch: async (msgs: { body: EventEnvelope }[]) => void sent.push(...msgs.map((m) => m.body)) };
  const spy = new Proxy(env, { get: (target, key) => (key === "EVENTS" ? events : Reflect.get(target, key)) }) as Env;
  return { spy, sent };
}

/** Another paid order of the same buyer (same cookie) in the same shop; returns its voucher. */
async function buyAgain(slug: string, productId: string, cookie: string) {
  const order = await shop(slug, "/orders", { method: "POST", cookie, idem: `comp-${crypto.randomUUID()}`, json: { productId } });
  expect((await pay(order.body.checkoutUrl)).body.orderStatus).toBe("delivered");
  return (await shop(slug, `/orders/${order.body.id}`, { cookie })).body.vouchers[0] as { code: string; secret: string };
}

/** Puts one more key in stock and buys it (same buyer). */
async function buyAgainAfterRestock(b: Awaited<ReturnType<typeof boughtKey>>) {
  const up = await api(`/products/${b.productId}/keys/import`, { method: "POST", token: b.adminKey, json: { rows: [{ line: 2, secret: `KEY-${crypto.randomUUID()}` }] } });
  expect(up.status, JSON.stringify(up.body)).toBeLessThan(300);
  return buyAgain(b.slug, b.productId, b.cookie);
}

const report = (slug: string, code: string, cookie: string) =>
  shop(slug, `/vouchers/${code}/report`, { method: "POST", cookie, json: { problem: "invalid_key" } });

/** A paid card-key order of one guest buyer; returns the buyer's cookie and voucher. */
async function boughtKey(keys: number) {
  const s = await shopWithKeys(keys);
  const order = await shop(s.slug, "/orders", { method: "POST", idem: `comp-${crypto.randomUUID()}`, json: { productId: s.productId } });
  expect((await pay(order.body.checkoutUrl)).body.orderStatus).toBe("delivered");
  const mine = await shop(s.slug, "/vouchers", { cookie: order.cookie });
  return { ...s, cookie: order.cookie!, voucher: mine.body.vouchers[0], orderId: order.body.id as string };
}

describe("compensation and trust", { timeout: 60_000 }, () => {
  it("replaces a reported card key from stock by policy, recorded in the ledger, once", async () => {
    const b = await boughtKey(3);
    await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace" } });
    const reports = await Promise.all(
      Array.from({ length: 5 }, () => shop(b.slug, `/vouchers/${b.voucher.code}/report`, { method: "POST", cookie: b.cookie, json: { problem: "invalid_key" } })),
    );
    for (const r of reports) expect(r.body).toMatchObject({ status: "replaced", policy: "replace" });
    expect(new Set(reports.map((r) => r.body.replacementCode)).size).toBe(1);
    const mine = await shop(b.slug, "/vouchers", { cookie: b.cookie });
    const byCode = Object.fromEntries(mine.body.vouchers.map((v: { code: string }) => [v.code, v]));
    expect(byCode[b.voucher.code].status).toBe("voided");
    const fresh = byCode[reports[0]!.body.replacementCode];
    expect(fresh.status).toBe("issued");
    expect(fresh.secret).toBeTruthy();
    expect(fresh.secret).not.toBe(b.voucher.secret);
    const stock = await env.DB.prepare("SELECT status, count(*) AS n FROM card_keys WHERE tenant_id = ? GROUP BY status ORDER BY status").bind(b.tenant.id).all();
    expect(stock.results).toEqual([{ status: "available", n: 1 }, { status: "delivered", n: 2 }]);
    const x = await api("/ledger/export", { token: b.adminKey });
    const kinds = x.body.entries.map((e: { kind: string; publicCode: string }) => `${e.kind}:${e.publicCode === b.voucher.code ? "old" : "new"}`);
    expect(kinds).toEqual(["issuance:old", "delivery:old", "void:old", "compensation:old", "issuance:new", "delivery:new"]);
    const p = await api(`/provenance/${b.voucher.code}`);
    expect(p.body.status).toBe("replaced");
  });

  it("refunds when the policy says so, or when stock for a replacement is out; manual waits for the brand", async () => {
    const b = await boughtKey(1);
    await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace" } });
    const r = await shop(b.slug, `/vouchers/${b.voucher.code}/report`, { method: "POST", cookie: b.cookie, json: { problem: "invalid_key", note: "提示卡密无效" } });
    expect(r.body).toMatchObject({ status: "refunded", refundCents: 1990 });
    const refunds = await env.DB.prepare("SELECT amount_cents, status FROM payments WHERE tenant_id = ? AND kind = 'refund'").bind(b.tenant.id).all();
    expect(refunds.results).toEqual([{ amount_cents: 1990, status: "succeeded" }]);

    const m = await boughtKey(2);
    const open = await shop(m.slug, `/vouchers/${m.voucher.code}/report`, { method: "POST", cookie: m.cookie, json: { problem: "other" } });
    expect(open.body).toMatchObject({ status: "open", policy: "manual" });
    const list = await api("/complaints?status=open", { token: m.adminKey });
    expect(list.body.complaints).toHaveLength(1);
    const done = await api(`/complaints/${open.body.id}/resolve`, { method: "POST", token: m.adminKey, json: { action: "replace" } });
    expect(done.body.status).toBe("replaced");
    expect((await api(`/complaints/${open.body.id}/resolve`, { method: "POST", token: m.adminKey, json: { action: "refund" } })).status).toBe(409);
  });

  it("refunds each right of a multi-unit order its share, the odd cents included: three refunds give back the whole charge", async () => {
    const s = await shopWithKeys(3, { priceCents: 1000 });
    await api("/compensation-policy", { method: "PUT", token: s.adminKey, json: { policy: "refund" } });
    const guest = await shop(s.slug, "/guest", { method: "POST" });
    const coupon = await issueCoupon(s.tenant.id, guest.body.buyer.id, await couponProduct(s.adminKey, { kind: "threshold", thresholdCents: 0, discountCents: 1 }, "立减1分"));
    const order = await shop(s.slug, "/orders", { method: "POST", cookie: guest.cookie, idem: `odd-${crypto.randomUUID()}`, json: { productId: s.productId, quantity: 3, couponVoucherIds: [coupon] } });
    expect(order.body.amountCents).toBe(2999);
    expect((await pay(order.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const rights = (await shop(s.slug, `/orders/${order.body.id}`, { cookie: guest.cookie })).body.vouchers as { code: string }[];
    expect(rights).toHaveLength(3);
    const refunds: number[] = [];
    for (const v of rights) {
      const r = await report(s.slug, v.code, guest.cookie!);
      expect(r.body.status, JSON.stringify(r.body)).toBe("refunded");
      refunds.push(r.body.refundCents);
    }
    expect(refunds).toEqual([1000, 1000, 999]);
    const back = await env.DB.prepare("SELECT COALESCE(SUM(amount_cents), 0) AS n FROM payments WHERE tenant_id = ? AND kind = 'refund' AND status = 'succeeded'").bind(s.tenant.id).first("n");
    expect(back).toBe(2999);
    const after = await shop(s.slug, `/orders/${order.body.id}`, { cookie: guest.cookie });
    expect(after.body.order.status).toBe("refunded");
    // Refunded to the last cent in parts: the coupon it used goes back, as with a whole refund.
    expect(after.body.coupons).toMatchObject([{ voucherId: coupon, state: "returned" }]);
    expect(await recordedOfType(s.tenant.id, "order_refunded")).toHaveLength(1);
  });

  it("an operator key resolves by replacing or rejecting; money goes back only with an admin key", async () => {
    const b = await boughtKey(1); // the one key is sold: nothing is left to replace it with
    const operator = (await api("/keys", { method: "POST", token: b.adminKey, json: { name: "ops", scopes: ["operator"] } })).body.secret as string;
    const open = await report(b.slug, b.voucher.code, b.cookie);
    expect(open.body).toMatchObject({ status: "open", policy: "manual" });
    const refund = await api(`/complaints/${open.body.id}/resolve`, { method: "POST", token: operator, json: { action: "refund" } });
    expect(refund.status).toBe(403);
    expect(refund.body.error.message).toMatch(/admin/);
    // "replace" with an empty stock would fall back to a refund: refused as well, and nothing moved.
    const replace = await api(`/complaints/${open.body.id}/resolve`, { method: "POST", token: operator, json: { action: "replace" } });
    expect(replace.status).toBe(403);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM payments WHERE tenant_id = ? AND kind = 'refund'").bind(b.tenant.id).first("n")).toBe(0);
    expect((await api("/complaints?status=open", { token: operator })).body.complaints).toHaveLength(1);
    const done = await api(`/complaints/${open.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "refund" } });
    expect(done.body).toMatchObject({ status: "refunded", refundCents: 1990 });

    const other = await buyAgainAfterRestock(b);
    const second = await report(b.slug, other.code, b.cookie);
    expect((await api(`/complaints/${second.body.id}/resolve`, { method: "POST", token: operator, json: { action: "reject" } })).body.status).toBe("rejected");
  });

  it("refuses reports and ratings of someone else's voucher", async () => {
    const b = await boughtKey(2);
    const stranger = await shop(b.slug, "/guest", { method: "POST" });
    expect((await shop(b.slug, `/vouchers/${b.voucher.code}/report`, { method: "POST", cookie: stranger.cookie, json: { problem: "invalid_key" } })).status).toBe(404);
    expect((await shop(b.slug, `/vouchers/${b.voucher.code}/rating`, { method: "PUT", cookie: stranger.cookie, json: { stars: 1 } })).status).toBe(404);
    expect((await shop(b.slug, `/vouchers/${b.voucher.code}/report`, { method: "POST", json: { problem: "invalid_key" } })).status).toBe(401);
    expect((await shop(b.slug, `/vouchers/${b.voucher.code}/rating`, { method: "PUT", cookie: b.cookie, json: { stars: 9 } })).status).toBe(400);
  });

  it("computes the brand integrity index from complaints, compensation, redemptions and ratings", async () => {
    const b = await boughtKey(3);
    const fresh = await api(`/brands/${b.slug}/integrity`);
    expect(fresh.body).toMatchObject({ vouchersIssued: 1, complaints: 0, complaintRate: 0, redemptionSuccessRate: 1, score: 100, ratings: 0 });
    expect((await shop(b.slug, `/vouchers/${b.voucher.code}/rating`, { method: "PUT", cookie: b.cookie, json: { stars: 4, comment: "到账快" } })).body.stars).toBe(4);
    await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace" } });
    await shop(b.slug, `/vouchers/${b.voucher.code}/report`, { method: "POST", cookie: b.cookie, json: { problem: "invalid_key" } });
    const after = await api(`/brands/${b.slug}/integrity`);
    expect(after.body).toMatchObject({ vouchersIssued: 2, complaints: 1, compensated: 1, complaintRate: 0.5, compensationRate: 1, ratingAverage: 4, ratings: 1 });
    expect(after.body.score).toBe(60);
    expect((await api("/brands/no-such-brand/integrity")).status).toBe(404);
  });

  it("replaces a right once: reporting the replacement goes to the brand's queue, pending, with no new key", async () => {
    const b = await boughtKey(6);
    await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace" } });
    const first = await report(b.slug, b.voucher.code, b.cookie);
    expect(first.body).toMatchObject({ status: "replaced" });
    // The attack: report each replacement in turn. Only the first report is compensated automatically.
    let latest = first.body.replacementCode as string;
    const second = await report(b.slug, latest, b.cookie);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: "open", policy: "manual", escalation: "replacement_limit", replacementCode: null });
    for (let i = 0; i < 5; i++) {
      const again = await report(b.slug, latest, b.cookie);
      expect(again.body).toMatchObject({ id: second.body.id, status: "open" });
      latest = again.body.replacementCode ?? latest;
    }
    const vouchers = await env.DB.prepare("SELECT status FROM vouchers WHERE tenant_id = ? ORDER BY issued_at").bind(b.tenant.id).all();
    expect(vouchers.results).toEqual([{ status: "voided" }, { status: "issued" }]);
    const keys = await env.DB.prepare("SELECT status, count(*) AS n FROM card_keys WHERE tenant_id = ? GROUP BY status ORDER BY status").bind(b.tenant.id).all();
    expect(keys.results).toEqual([{ status: "available", n: 4 }, { status: "delivered", n: 2 }]);
    const queue = await api("/complaints?status=open", { token: b.adminKey });
    expect(queue.body.complaints).toEqual([expect.objectContaining({ id: second.body.id, voucherCode: first.body.replacementCode, escalation: "replacement_limit" })]);
    // A person may still decide to replace it.
    const done = await api(`/complaints/${second.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "replace" } });
    expect(done.body.status).toBe("replaced");
  });

  it("the replacement limit is configurable per brand and per product (default 1)", async () => {
    const b = await boughtKey(8);
    const set = await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace", productId: b.productId, maxReplacements: 2 } });
    expect(set.status).toBe(200);
    expect(set.body.maxReplacements).toEqual({ default: 1, products: { [b.productId]: 2 } });
    const r1 = await report(b.slug, b.voucher.code, b.cookie);
    const r2 = await report(b.slug, r1.body.replacementCode, b.cookie);
    expect(r2.body).toMatchObject({ status: "replaced", escalation: null });
    const r3 = await report(b.slug, r2.body.replacementCode, b.cookie);
    expect(r3.body).toMatchObject({ status: "open", escalation: "replacement_limit" });
    // Changing only the policy keeps the limit; a brand-wide limit of 0 sends every replace report to the brand.
    await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace", productId: b.productId } });
    await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace", maxReplacements: 0 } });
    const policies = await api("/compensation-policy", { token: b.adminKey });
    expect(policies.body).toMatchObject({ default: "replace", maxReplacements: { default: 0, products: { [b.productId]: 2 } } });
    await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "refund", productId: b.productId } });
    await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace", productId: b.productId, maxReplacements: 0 } });
    const fresh = await buyAgain(b.slug, b.productId, b.cookie);
    expect((await report(b.slug, fresh.code, b.cookie)).body).toMatchObject({ status: "open", escalation: "replacement_limit" });
    expect((await api("/compensation-policy", { method: "PUT", token: b.adminKey, json: { policy: "replace", maxReplacements: 11 } })).status).toBe(400);
  });

  it("a buyer reporting vouchers of several orders is flagged for the brand once, with a risk_flagged event", async () => {
    const b = await boughtKey(10);
    const operator = await api("/keys", { method: "POST", token: b.adminKey, json: { name: "ops", scopes: ["operator"] } });
    const me = await shop(b.slug, "/me", { cookie: b.cookie });
    const buyerId = me.body.buyer.id as string;
    const { spy } = recordingEnv();
    const second = await buyAgain(b.slug, b.productId, b.cookie);
    const third = await buyAgain(b.slug, b.productId, b.cookie);
    const fourth = await buyAgain(b.slug, b.productId, b.cookie);
    await reportVoucher(spy, b.tenant.id, buyerId, b.voucher.code, { problem: "invalid_key", note: "" });
    await reportVoucher(spy, b.tenant.id, buyerId, second.code, { problem: "invalid_key", note: "" });
    expect((await api("/risk-events", { token: operator.body.secret })).body.events).toEqual([]);
    expect((await recordedEvents(b.tenant.id)).filter((e) => e.type === "risk_flagged")).toHaveLength(0);
    await reportVoucher(spy, b.tenant.id, buyerId, third.code, { problem: "already_used", note: "" });
    await reportVoucher(spy, b.tenant.id, buyerId, fourth.code, { problem: "invalid_key", note: "" });
    const risk = await api("/risk-events", { token: operator.body.secret });
    expect(risk.status).toBe(200);
    expect(risk.body.events).toEqual([
      expect.objectContaining({ kind: "repeat_reporter", subject: buyerId, detail: expect.objectContaining({ holderId: buyerId, orders: 3, complaints: 3 }) }),
    ]);
    const sent = await recordedEvents(b.tenant.id);
    const flagged = sent.filter((e) => e.type === "risk_flagged");
    expect(flagged).toHaveLength(1);
    expect(flagged[0]!.payload).toMatchObject({ source: "compensation", kind: "repeat_reporter", subject: buyerId, orders: 3 });
    const all = JSON.stringify(sent);
    for (const v of [b.voucher, second, third, fourth]) expect(all).not.toContain(v.secret);
  });
});
