import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api } from "./helpers";

/** A paid card-key order of one guest buyer; returns the buyer's cookie and voucher. */
async function boughtKey(keys: number) {
  const s = await shopWithKeys(keys);
  const order = await shop(s.slug, "/orders", { method: "POST", idem: `comp-${crypto.randomUUID()}`, json: { productId: s.productId } });
  expect((await pay(order.body.checkoutUrl)).body.orderStatus).toBe("delivered");
  const mine = await shop(s.slug, "/vouchers", { cookie: order.cookie });
  return { ...s, cookie: order.cookie!, voucher: mine.body.vouchers[0], orderId: order.body.id as string };
}

describe("compensation and trust", () => {
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
});
