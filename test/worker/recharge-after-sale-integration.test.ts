import { describe, expect, it } from "vitest";
import { api, countRows } from "./helpers";
import { pay, rechargeShop, shop, shopWithKeys } from "./commerce-helpers";

async function delivered(slug: string, cookie: string, orderId: string) {
  for (let i = 0; i < 100; i++) {
    const o = await shop(slug, `/orders/${orderId}`, { cookie });
    if (o.body.order.status !== "paid") return o.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the recharge never settled");
}

describe("after-sale of a delivered direct recharge", { timeout: 90_000 }, () => {
  it("takes a ticket with a recharge's reasons (未到账, 充错账号), refuses a key's; its voucher is not reported as a key, so no policy refunds money already credited", async () => {
    const s = await rechargeShop();
    const slug = s.tenant.slug as string;
    // A brand whose policy refunds a reported voucher automatically.
    expect((await api("/compensation-policy", { method: "PUT", token: s.adminKey, json: { policy: "refund" } })).status).toBe(200);
    const g = await shop(slug, "/guest", { method: "POST" });
    const cookie = g.cookie!;
    const o = await shop(slug, "/orders", { method: "POST", cookie, idem: `ras-${crypto.randomUUID()}`, json: { productId: s.productId, rechargeAccount: "13800138000" } });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    expect((await pay(o.body.checkoutUrl)).status).toBe(200);
    const view = await delivered(slug, cookie, o.body.id);
    expect(view.order.status).toBe("delivered");
    const code = view.vouchers[0].code as string;

    const report = await shop(slug, `/vouchers/${code}/report`, { method: "POST", cookie, json: { problem: "invalid_key" } });
    expect([report.status, report.body.error?.code]).toEqual([422, "voucher_report_not_applicable"]);
    expect(report.body.error.requestId).toBeTruthy();
    expect(await countRows("SELECT count(*) AS n FROM complaints WHERE tenant_id = ?", s.tenantId)).toBe(0);

    const ticket = (reason: string) => shop(slug, `/orders/${o.body.id}/tickets`, { method: "POST", cookie, json: { reason, body: "充值后一直没到账" } });
    const wrong = await ticket("key_invalid");
    expect([wrong.status, wrong.body.error?.code, wrong.body.error?.issues?.[0]?.path]).toEqual([422, "ticket_reason_not_applicable", "json.reason"]);
    expect(await countRows("SELECT count(*) AS n FROM after_sale_tickets WHERE tenant_id = ?", s.tenantId)).toBe(0);
    const right = await ticket("not_received");
    expect([right.status, right.body.reason]).toEqual([201, "not_received"]);
    const after = await shop(slug, `/orders/${o.body.id}`, { cookie });
    expect([after.body.order.status, after.body.vouchers[0].status]).toEqual(["delivered", "issued"]);
    expect(await countRows("SELECT count(*) AS n FROM payments WHERE tenant_id = ? AND kind = 'refund'", s.tenantId)).toBe(0);
  });

  it("a card key's ticket takes 卡密无效 and not 充错账号 (it has no account)", async () => {
    const s = await shopWithKeys(1);
    const g = await shop(s.slug, "/guest", { method: "POST" });
    const o = await shop(s.slug, "/orders", { method: "POST", cookie: g.cookie, idem: `ras-${crypto.randomUUID()}`, json: { productId: s.productId } });
    expect((await pay(o.body.checkoutUrl)).status).toBe(200);
    const ticket = (reason: string) => shop(s.slug, `/orders/${o.body.id}/tickets`, { method: "POST", cookie: g.cookie, json: { reason, body: "兑换失败" } });
    expect((await ticket("wrong_account")).body.error.code).toBe("ticket_reason_not_applicable");
    expect((await ticket("key_invalid")).status).toBe(201);
  });
});
