import { describe, expect, inject, it } from "vitest";
import { phonePage, screenshot, useChromium } from "./chromium";

const browser = useChromium();

/** A direct-recharge order as the shop API answers it, in `status`. */
const rechargeOrder = (id: string, status: string) => ({
  order: {
    id, tenantId: "tn_x", buyerId: "byr_x", productId: "prd_x", quantity: 1, unitPriceCents: 2980, amountCents: 2980, discountCents: 0, currency: "CNY",
    status, source: "store", campaignId: null, reservedUntil: null, failureReason: null, paidAt: new Date().toISOString(),
    deliveredAt: status === "delivered" ? new Date().toISOString() : null, refundedAt: null, createdAt: new Date().toISOString(), checkoutUrl: null,
  },
  productKind: "direct_recharge",
  vouchers: [],
});

describe("shop on a phone: a direct recharge whose supplier answers minutes after payment", () => {
  it("the order page says what is going on, keeps watching past the first minute and shows the outcome when it comes", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser(), { timezoneId: "Asia/Shanghai" });
    // The order as the API answers it: paid (the supplier is still working) until the test lets it be delivered.
    const id = "ord_slowrecharge0001";
    let status = "paid";
    let asked = 0;
    const order = () => rechargeOrder(id, status);
    await page.route(`**/api/v1/shop/demo/orders/${id}`, (route) => {
      asked++;
      return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(order()) });
    });
    await page.route(`**/api/v1/shop/demo/orders/${id}/tickets`, (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ refunds: [], tickets: [] }) }));
    await page.clock.install();
    await page.goto(`${baseUrl}/shop/order/?t=demo&o=${id}`);
    await expect.poll(() => page.textContent("#order")).toContain("已支付，充值中");
    // Paid, not delivered: the buyer is told the recharge may take minutes and that a failure is refunded by itself.
    expect(await page.textContent("#paid-note")).toContain("支付成功，正在充值");
    expect(await page.textContent("#paid-note")).toContain("若充值失败，款项将自动原路全额退回");
    await screenshot(page, "recharge-order-processing");
    // Three minutes pass (a slow supplier is settled by the minute cron's status poll): the page is still asking.
    for (let i = 0; i < 36; i++) {
      await page.clock.runFor(5_000);
      await page.waitForTimeout(20);
    }
    const before = asked;
    await page.clock.runFor(10_000);
    await expect.poll(() => asked, { timeout: 5_000 }).toBeGreaterThan(before);
    status = "delivered";
    await page.clock.runFor(10_000);
    await expect.poll(() => page.textContent("#order"), { timeout: 5_000 }).toContain("已充值");
    expect(await page.locator("#paid-note").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("shop on a phone: the platform restarts while a recharge is pending", () => {
  it("a refused connection or a 502 keeps the order on screen and the page keeps asking until the outcome shows", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser(), { timezoneId: "Asia/Shanghai" });
    const id = "ord_crashrecharge001";
    let asked = 0;
    // Paid, then the stack is down (nothing listens, then the proxy answers 502 in HTML), then back with the outcome.
    let phase: "paid" | "down" | "502" | "delivered" = "paid";
    await page.route(`**/api/v1/shop/demo/orders/${id}`, (route) => {
      asked++;
      if (phase === "down") return route.abort("connectionrefused");
      if (phase === "502") return route.fulfill({ status: 502, contentType: "text/html", body: "<html><body>Bad Gateway</body></html>" });
      return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(rechargeOrder(id, phase)) });
    });
    await page.route(`**/api/v1/shop/demo/orders/${id}/tickets`, (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ refunds: [], tickets: [] }) }));
    await page.goto(`${baseUrl}/shop/order/?t=demo&o=${id}`);
    await expect.poll(() => page.textContent("#order")).toContain("已支付，充值中");
    phase = "down";
    let at = asked;
    await expect.poll(() => asked, { timeout: 5_000 }).toBeGreaterThan(at + 1);
    // What the buyer saw stays, with a word that the page is reconnecting; never 订单不存在.
    expect(await page.textContent("#order")).toContain("已支付，充值中");
    expect(await page.textContent("#retry-note")).toContain("正在重新获取订单状态");
    await screenshot(page, "recharge-order-reconnecting");
    phase = "502";
    at = asked;
    await expect.poll(() => asked, { timeout: 5_000 }).toBeGreaterThan(at + 1);
    expect(await page.textContent("#order")).toContain("已支付，充值中");
    expect(await page.textContent("#order")).not.toContain("订单不存在");
    phase = "delivered";
    await expect.poll(() => page.textContent("#order"), { timeout: 5_000 }).toContain("已充值");
    expect(await page.locator("#retry-note").count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("shop on a phone: 我的卡券 agrees with the order about a recharge", () => {
  it("a delivered recharge reads 已充值 under 已使用 (no 去使用, no validity), also once its validity has passed", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser(), { timezoneId: "Asia/Shanghai" });
    const voucher = (code: string, kind: string, status: string, title: string) => ({
      id: `vch_${code}`, code, tenantId: "tn_x", holderId: "byr_x", productId: `prd_${code}`, kind, orderId: `ord_${code}`, campaignId: null, title,
      faceValueCents: 3000, status, validFrom: "2026-12-01T00:00:00.000Z", validTo: "2026-12-02T00:00:00.000Z", issuedAt: "2026-12-01T00:00:00.000Z",
      meta: kind === "direct_recharge" ? { account: "138****0001" } : {}, scope: null, tutorial: null,
    });
    const vouchers = [
      voucher("vc_rechargefresh", "direct_recharge", "issued", "话费直充 30 元"),
      voucher("vc_rechargeold", "direct_recharge", "expired", "话费直充 50 元"),
      voucher("vc_cardkey", "card_key", "issued", "视频会员月卡"),
    ];
    await page.route("**/api/v1/shop/demo/me", (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ buyer: { id: "byr_x", kind: "guest" } }) }));
    await page.route("**/api/v1/shop/demo/vouchers", (route) => route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ vouchers }) }));
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    // 可使用: only the card key, with its 去使用.
    await expect.poll(() => page.locator("#list .voucher").count()).toBe(1);
    expect(await page.textContent("#list")).toContain("视频会员月卡");
    expect(await page.locator("#list .use").count()).toBe(1);
    await page.click("[role=tab][data-tab=used]");
    await expect.poll(() => page.locator("#list .voucher").count()).toBe(2);
    for (const title of ["话费直充 30 元", "话费直充 50 元"]) {
      const card = page.locator(".voucher", { hasText: title });
      expect(await card.textContent()).toContain("直充 · 已充值");
      expect(await card.textContent()).not.toContain("有效期");
    }
    expect(await page.locator("#list .use").count()).toBe(0);
    await screenshot(page, "vouchers-recharged");
    await page.click("[role=tab][data-tab=expired]");
    await expect.poll(() => page.textContent("#list")).toContain("这里没有卡券");
    expect(errors).toEqual([]);
    await context.close();
  });
});
