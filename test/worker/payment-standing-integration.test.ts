import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readNotice } from "../../worker/db/fulfilment";
import { acceptPaymentNotice } from "../../worker/services/fulfilment";
import { createOrder } from "../../worker/services/orders";
import { paidAtSandbox, shopWithKeys } from "./commerce-helpers";
import { insertMember, recordedOfType } from "./helpers";

const growthOf = (tenantId: string, orderId: string) =>
  env.DB.prepare("SELECT member_id, growth FROM member_growth WHERE tenant_id = ? AND source_kind = 'order' AND source_id = ?").bind(tenantId, orderId).all<{ member_id: string; growth: number }>();

/**
 * The payment's batch leaves the member statements out for a buyer its read found to be no member (most payers are
 * guests); a buyer who became one between that read and the commit still gets the order's growth, once.
 */
describe("payment: the buyer's standing", { timeout: 60_000 }, () => {
  it("a guest earns nothing, a member earns growth, and one who joined after the read earns it once", async () => {
    const { tenant, productId } = await shopWithKeys(3);
    const t = tenant.id as string;
    const buyers = ["byr_stand_guest", "byr_stand_member", "byr_stand_late"];
    await env.DB.batch(buyers.map((id) => env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind) VALUES (?, ?, 'guest')").bind(id, t)));
    const member = await insertMember(t, "byr_stand_member");
    const orders = [];
    for (const buyerId of buyers) {
      const { order, paymentId } = await createOrder(env, { tenantId: t, buyerId, productId, idempotencyKey: `standing-${buyerId}` });
      const notice = await paidAtSandbox(env, { type: "payment.succeeded" as const, gatewayTxnId: `sbx_txn_${buyerId}_${Date.now()}`, paymentId: paymentId!, orderId: order.id, amountCents: order.amount_cents, currency: "CNY" });
      orders.push({ order, notice, read: await readNotice(env.DB, paymentId!) });
    }
    // The late buyer joins after the callback's read and before its batch.
    const late = await insertMember(t, "byr_stand_late");
    for (const { notice, read } of orders) {
      const out = await acceptPaymentNotice(env, "sandbox", notice, read);
      expect(out.applied).toBe(true);
      expect(out.order.status).toBe("delivered");
      // The gateway's repeat changes nothing.
      expect((await acceptPaymentNotice(env, "sandbox", notice)).applied).toBe(false);
    }
    const expected = Math.floor(orders[0]!.order.amount_cents / 100);
    expect((await growthOf(t, orders[0]!.order.id)).results).toEqual([]);
    expect((await growthOf(t, orders[1]!.order.id)).results).toEqual([{ member_id: member, growth: expected }]);
    expect((await growthOf(t, orders[2]!.order.id)).results).toEqual([{ member_id: late, growth: expected }]);
    const balances = await env.DB.prepare("SELECT id, growth FROM members WHERE tenant_id = ? ORDER BY id").bind(t).all<{ id: string; growth: number }>();
    expect(balances.results.map((m) => m.growth)).toEqual([expected, expected]);
    expect((await recordedOfType(t, "member_growth_earned")).map((e) => e.payload.memberId).sort()).toEqual([member, late].sort());
  });
});
