import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";

const browser = useChromium();

/** A direct-recharge order as the shop API answers it (the page's own requests are answered by the test). */
const rechargeOrder = (id: string, status: string, failureReason: string | null) => ({
  order: {
    id, tenantId: "tn_x", buyerId: "byr_x", productId: "prd_x", quantity: 1, unitPriceCents: 2980, amountCents: 2980, discountCents: 0, currency: "CNY",
    status, source: "store", campaignId: null, reservedUntil: null, failureReason, paidAt: new Date().toISOString(),
    deliveredAt: status === "delivered" ? new Date().toISOString() : null, refundedAt: status === "refunded" ? new Date().toISOString() : null,
    createdAt: new Date().toISOString(), checkoutUrl: null,
  },
  vouchers: [],
  productKind: "direct_recharge",
});

describe("shop on a phone: a direct recharge's order page speaks of recharging, a bundle's page lists its items", () => {
  it("a failed recharge reads 充值失败 (refunded automatically), and its after-sale form asks about 未到账, not 卡密无效", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser(), { timezoneId: "Asia/Shanghai" });
    const json = (body: unknown) => ({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
    await page.route("**/api/v1/shop/demo/orders/ord_rechargefailed01", (r) => r.fulfill(json(rechargeOrder("ord_rechargefailed01", "refunded", "supplier_failed"))));
    await page.route("**/api/v1/shop/demo/orders/ord_rechargefailed01/tickets", (r) => r.fulfill(json({ refunds: [{ status: "succeeded", amountCents: 2980, createdAt: new Date().toISOString() }], tickets: [] })));
    await page.goto(`${baseUrl}/shop/order/?t=demo&o=ord_rechargefailed01`);
    await expect.poll(() => page.textContent("#failure-note")).toBe("充值失败，已自动退款");
    expect(await page.textContent("#order")).not.toContain("发放");
    await screenshot(page, "recharge-failed-order");

    // Recharged, but the buyer says it never arrived: the form's problem fits a recharge.
    await page.route("**/api/v1/shop/demo/orders/ord_rechargedone001", (r) => r.fulfill(json(rechargeOrder("ord_rechargedone001", "delivered", null))));
    await page.route("**/api/v1/shop/demo/orders/ord_rechargedone001/tickets", (r) => r.fulfill(json({ refunds: [], tickets: [] })));
    await page.goto(`${baseUrl}/shop/order/?t=demo&o=ord_rechargedone001`);
    await expect.poll(() => page.locator("#ticket-form").isVisible()).toBe(true);
    expect(await page.textContent("#order strong")).toBe("已充值");
    expect(await page.$eval("#t-reason", (s) => (s as unknown as { value: string }).value)).toBe("not_received");
    const options = await page.$$eval("#t-reason option", (os) => os.map((o) => o.textContent));
    expect(options).toEqual(["未到账", "充错账号", "其他"]);
    await fitsThePhone(page);
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
    await screenshot(page, "recharge-aftersale-form");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("我的订单: a recharge still going waits under 待发货, one recharged is under 已完成 with 查看详情 (no card key to view)", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser(), { timezoneId: "Asia/Shanghai" });
    const listed = (id: string, status: string) => ({ ...rechargeOrder(id, status, null).order, productName: "话费直充 30 元", productKind: "direct_recharge" });
    await page.route("**/api/v1/shop/demo/orders", (r) => r.fulfill({
      status: 200, contentType: "application/json", body: JSON.stringify({ orders: [listed("ord_rechargegoing01", "paid"), listed("ord_rechargedone002", "delivered")] }),
    }));
    await page.goto(`${baseUrl}/shop/orders/?t=demo`);
    await expect.poll(() => page.getAttribute("[role=tab][aria-selected=true]", "data-tab")).toBe("waiting");
    expect(await page.locator(".order").count()).toBe(1);
    expect(await page.textContent(".order")).toContain("已支付，充值中");
    await screenshot(page, "orders-recharge-waiting");
    await page.click("[role=tab][data-tab=done]");
    expect(await page.textContent(".order")).toContain("已充值");
    expect(await page.textContent(".order .view")).toBe("查看详情");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a failed bundle with a recharge names the recharge that failed and the items not delivered, not 发放失败 for all", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser(), { timezoneId: "Asia/Shanghai" });
    const json = (body: unknown) => ({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
    const bundleOrder = (id: string, status: string) => ({
      ...rechargeOrder(id, status, "all_suppliers_failed"), productKind: "bundle",
      bundleItems: [
        { productId: "prd_r", name: "话费直充 30 元", kind: "direct_recharge", quantity: 1 },
        { productId: "prd_v", name: "视频会员月卡", kind: "card_key", quantity: 1 },
      ],
    });
    for (const [status, strong, note] of [
      ["failed", "未发放，退款中", "“话费直充 30 元”充值失败，“视频会员月卡”未发放，款项将自动原路全额退回"],
      ["refunded", "已退款", "“话费直充 30 元”充值失败，“视频会员月卡”未发放，已全额自动退款"],
    ] as const) {
      const id = `ord_bundle${status}00001`;
      await page.route(`**/api/v1/shop/demo/orders/${id}`, (r) => r.fulfill(json(bundleOrder(id, status))));
      await page.route(`**/api/v1/shop/demo/orders/${id}/tickets`, (r) => r.fulfill(json({ refunds: [], tickets: [] })));
      await page.goto(`${baseUrl}/shop/order/?t=demo&o=${id}`);
      await expect.poll(() => page.textContent("#failure-note")).toBe(note);
      expect(await page.textContent("#order strong")).toBe(strong);
      expect(await page.textContent("#order")).not.toContain("发放失败");
      await fitsThePhone(page);
      await screenshot(page, `bundle-recharge-failed-${status}`);
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a bundle's product page lists what it holds (name × count) under its price", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    const products = ((await (await fetch(`${baseUrl}/api/v1/shop/demo/products`)).json()) as { products: any[] }).products;
    const bundle = products.find((p) => p.kind === "bundle")!;
    expect(bundle.bundleItems.length).toBeGreaterThanOrEqual(2);
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${bundle.id}`);
    await expect.poll(() => page.locator(".bundle-items li").count()).toBe(bundle.bundleItems.length);
    const lines = await page.$$eval(".bundle-items li", (ls) => ls.map((l) => l.textContent));
    expect(lines).toEqual(bundle.bundleItems.map((i: any) => `${i.name} × ${i.quantity}`));
    expect(await page.textContent(".bundle-items")).toContain("组合内容");
    await fitsThePhone(page);
    await screenshot(page, "bundle-product-items");
    expect(errors).toEqual([]);
    await context.close();
  });
});
