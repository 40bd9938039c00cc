import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api } from "./helpers";

/**
 * Refunding one whole order from several places at once (the order's 退款 button, the console's full refund, a ticket
 * resolved with a refund): one refund is made, the others are told 409, and none is answered 500 or 502.
 */
describe("whole-order refunds at once", { timeout: 120_000 }, () => {
  it("eight refunds of one paid order at once: one succeeds, the rest 409, one refund row, money back once", async () => {
    for (let round = 0; round < 3; round++) {
      const s = await shopWithKeys(2);
      const o = await shop(s.slug, "/orders", { method: "POST", idem: `race-${crypto.randomUUID()}`, json: { productId: s.productId } });
      expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
      const id = o.body.id as string;
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? api(`/orders/${id}/refund`, { method: "POST", token: s.adminKey, json: { reason: `按钮${i}` } })
          : api(`/orders/${id}/refunds`, { method: "POST", token: s.adminKey, json: { units: 1, reason: `全额${i}` } })));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((x) => x === 200 || x === 201), JSON.stringify(answers.map((a) => a.body))).toHaveLength(1);
      expect(statuses.filter((x) => x === 409), JSON.stringify(answers.map((a) => [a.status, a.body.error?.code]))).toHaveLength(7);
      const refunds = await env.DB.prepare("SELECT amount_cents, status FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund'").bind(s.tenant.id, id).all();
      expect(refunds.results).toEqual([{ amount_cents: 1990, status: "succeeded" }]);
      const order = await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(id).first<{ status: string }>();
      expect(order!.status).toBe("refunded");
    }
  });
});
