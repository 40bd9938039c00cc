import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { checkStatement, periodOf } from "../../worker/domain/settlement";
import { chinaDay } from "../../worker/domain/china-time";
import { closeOnDemand } from "../../worker/services/settlements";
import { dispatchEvents } from "../../worker/queue/dispatch";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, createTenant } from "./helpers";

/** A period whose sales went through every after-sale path: each refund and each compensation counted once. */
describe("settlement of a period with after-sale", { timeout: 120_000 }, () => {
  it("a replacement is no sale; a complaint refund, a ticket's money-only refund and a ticket's full refund count once each", async () => {
    const seller = await shopWithKeys(10);
    const brand = await createTenant("权益品牌");
    const today = chinaDay(new Date());
    const a = await api("/settlements/agreements", {
      method: "POST", token: seller.adminKey,
      json: { productId: seller.productId, issuer: { kind: "tenant", tenantId: brand.tenant.id }, share: { kind: "bps", bps: 3000 }, periodKind: "month", effectiveFrom: periodOf("month", today).start },
    });
    expect((await api(`/settlements/agreements/${a.body.id}/accept`, { method: "POST", token: brand.adminKey })).status).toBe(200);
    await api("/compensation-policy", { method: "PUT", token: seller.adminKey, json: { policy: "refund" } });
    const g = await shop(seller.slug, "/guest", { method: "POST" });
    const cookie = g.cookie!;
    const buy = async (quantity: number) => {
      const o = await shop(seller.slug, "/orders", { method: "POST", cookie, idem: `stl-as-${crypto.randomUUID()}`, json: { productId: seller.productId, quantity } });
      expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
      return { id: o.body.id as string, vouchers: (await shop(seller.slug, `/orders/${o.body.id}`, { cookie })).body.vouchers as { id: string; code: string }[] };
    };
    const ticket = async (orderId: string, json: Record<string, unknown>) => {
      const t = await shop(seller.slug, `/orders/${orderId}/tickets`, { method: "POST", cookie, json: { reason: "key_invalid", body: "不行" } });
      const r = await api(`/tickets/${t.body.id}/resolve`, { method: "POST", token: seller.adminKey, json });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    };
    const o1 = await buy(1);
    await ticket(o1.id, { action: "replace" });
    const o2 = await buy(2);
    expect((await shop(seller.slug, `/vouchers/${o2.vouchers[0]!.code}/report`, { method: "POST", cookie, json: { problem: "invalid_key" } })).body).toMatchObject({ status: "refunded", refundCents: 1990 });
    await ticket(o2.id, { action: "refund", amountCents: 500, units: 0, note: "补偿" });
    const o3 = await buy(1);
    await ticket(o3.id, { action: "refund", units: 1, note: "全额退款" });

    await dispatchEvents(env);
    const s = await closeOnDemand(env, seller.tenant.id, { agreementId: a.body.id, day: today }, new Date(Date.parse(periodOf("month", today).toUtc) + 3_600_000));
    expect(s.entries.map((e) => [e.kind, e.orderId, e.units, e.amountCents])).toEqual([
      ["sale", o1.id, 1, 1990],
      ["sale", o2.id, 2, 3980],
      ["refund", o2.id, 1, 1990],
      ["compensation", o2.id, 0, 500],
      ["sale", o3.id, 1, 1990],
      ["refund", o3.id, 1, 1990],
    ]);
    expect(s.totals).toEqual({ units: 4, refundedUnits: 2, grossCents: 7960, refundCents: 3980, compensationCents: 500, netCents: 3480, issuerShareCents: 1044, sellerCents: 2436 });
    const key = (await api("/settlements/public-key")).body;
    expect(await checkStatement(s, { publicKey: key.publicKey })).toEqual({ ok: true, problems: [] });
  });

  it("two goodwill refunds on one order, after a ticket's 补发: each is in the ledger and the statement", async () => {
    const seller = await shopWithKeys(5);
    const brand = await createTenant("权益品牌");
    const today = chinaDay(new Date());
    const a = await api("/settlements/agreements", {
      method: "POST", token: seller.adminKey,
      json: { productId: seller.productId, issuer: { kind: "tenant", tenantId: brand.tenant.id }, share: { kind: "bps", bps: 5000 }, periodKind: "month", effectiveFrom: periodOf("month", today).start },
    });
    await api(`/settlements/agreements/${a.body.id}/accept`, { method: "POST", token: brand.adminKey });
    const o = await shop(seller.slug, "/orders", { method: "POST", idem: `stl-gw-${crypto.randomUUID()}`, json: { productId: seller.productId } });
    expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const t = await shop(seller.slug, `/orders/${o.body.id}/tickets`, { method: "POST", cookie: o.cookie, json: { reason: "key_invalid", body: "不行" } });
    expect((await api(`/tickets/${t.body.id}/resolve`, { method: "POST", token: seller.adminKey, json: { action: "replace" } })).status).toBe(200);
    for (const amountCents of [300, 200]) {
      expect((await api(`/orders/${o.body.id}/refunds`, { method: "POST", token: seller.adminKey, json: { amountCents, units: 0, reason: "补偿" } })).status).toBe(201);
    }
    await dispatchEvents(env);
    const s = await closeOnDemand(env, seller.tenant.id, { agreementId: a.body.id, day: today }, new Date(Date.parse(periodOf("month", today).toUtc) + 3_600_000));
    expect(s.entries.map((e) => [e.kind, e.units, e.amountCents])).toEqual([["sale", 1, 1990], ["compensation", 0, 300], ["compensation", 0, 200]]);
    expect(s.totals).toMatchObject({ grossCents: 1990, compensationCents: 500, netCents: 1490, issuerShareCents: 745 });
    const ledger = (await api("/ledger/export", { token: seller.adminKey })).body.entries as { kind: string; payload: { action?: string; amountCents?: number } }[];
    expect(ledger.filter((e) => e.kind === "compensation").map((e) => [e.payload.action, e.payload.amountCents ?? null])).toEqual([["ticket_replace", null], ["money_refund", 300], ["money_refund", 200]]);
  });
});
