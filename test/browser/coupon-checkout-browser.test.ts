import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";
import { admin } from "./stack";

const browser = useChromium();
const FUTURE = { kind: "fixed", validFrom: "2026-01-01T00:00:00.000Z", validTo: "2030-01-01T00:00:00.000Z" };

async function published(body: Record<string, unknown>) {
  const p = await admin("/products", "POST", { validity: FUTURE, scope: "全场", faceValueCents: 0, ...body });
  return p.id as string;
}

describe("coupons at checkout on a phone", () => {
  it("a buyer holding coupons sees the best combination, pays the discounted amount, sees the key and the discount", async () => {
    const { baseUrl } = inject("stack");
    const run = Date.now().toString(36);
    const productId = await published({ kind: "card_key", name: `音乐会员年卡 ${run}`, priceCents: 5000, faceValueCents: 6000, tags: ["music"], tutorial: "打开 App 兑换" });
    await admin(`/products/${productId}/keys/import`, "POST", { rows: [{ line: 1, secret: `MUSIC-${run}-A1B2C3` }] });
    await admin(`/products/${productId}/status`, "POST", { status: "published" });
    const coupons = [
      await published({ kind: "coupon", name: `满50减10 ${run}`, priceCents: 0, config: { coupon: { kind: "threshold", thresholdCents: 5000, discountCents: 1000, online: true, scope: { tags: ["music"] } } } }),
      await published({ kind: "coupon", name: `9折券 ${run}`, priceCents: 0, config: { coupon: { kind: "percent", percentOff: 10, capCents: 300, online: true, scope: { productIds: [productId] } } } }),
      await published({ kind: "coupon", name: `门店券 ${run}`, priceCents: 0, config: { coupon: { kind: "threshold", discountCents: 500 } } }),
    ];
    for (const id of coupons) await admin(`/products/${id}/status`, "POST", { status: "published" });

    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/shop/?t=demo`);
    // The buyer claims the three free coupons (each a free order of the coupon product, delivered at once).
    const claimed = await page.evaluate(async (ids) => {
      await fetch("/api/v1/shop/demo/guest", { method: "POST" });
      const out: number[] = [];
      for (const id of ids) {
        const r = await fetch("/api/v1/shop/demo/orders", { method: "POST", headers: { "content-type": "application/json", "idempotency-key": `claim-${id}` }, body: JSON.stringify({ productId: id }) });
        out.push(r.status);
      }
      return out;
    }, coupons);
    expect(claimed).toEqual([201, 201, 201]);

    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${productId}`);
    await expect.poll(() => page.locator("#coupons").isVisible(), { timeout: 15_000 }).toBe(true);
    // Best: 50 − 10 = 40, then 10% = 4 capped at 3 → 37; the store-only coupon is greyed with why.
    await expect.poll(() => page.locator("#coupon-list input[data-coupon]:checked").count()).toBe(2);
    expect(await page.textContent("#coupon-total")).toContain("¥37.00");
    expect(await page.textContent("label.off-list[data-reason=offline]")).toContain("仅限门店使用");
    expect(await page.textContent("#buy-btn")).toContain("¥37.00");
    await page.locator("#coupons").scrollIntoViewIfNeeded();
    await screenshot(page, "coupon-checkout-product-phone");

    // Unticking the percent coupon re-prices the order: 40.
    await page.locator("#coupon-list label.coupon", { hasText: "9折券" }).locator("input").uncheck();
    await expect.poll(() => page.textContent("#coupon-total")).toContain("¥40.00");
    await page.locator("#coupon-list label.coupon", { hasText: "9折券" }).locator("input").check();
    await expect.poll(() => page.textContent("#coupon-total")).toContain("¥37.00");

    await page.click("#buy-btn");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    // The cashier says why ¥37.00: the order's ¥50.00, each coupon's share, then 应付.
    const summary = await page.locator("#summary > div").evaluateAll((rows) => rows.map((r) => [r.querySelector("dt")!.textContent!.trim(), r.querySelector("dd")!.textContent!.trim()]));
    expect(summary).toEqual([["商品金额", "¥50.00"], [`满50减10 ${run}`, "−¥10.00"], [`9折券 ${run}`, "−¥3.00"], ["应付", "¥37.00"]]);
    await screenshot(page, "coupon-checkout-cashier-phone");
    await fitsThePhone(page);
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    expect(await page.textContent(".secret")).toBe(`MUSIC-${run}-A1B2C3`);
    expect(await page.textContent("#discount-line")).toContain("优惠券合计 −¥13.00");
    expect(await page.textContent("#discount-line")).toContain("满50减10");
    await screenshot(page, "coupon-checkout-order-phone");
    await fitsThePhone(page);
    expect(errors).toEqual([]);
    await context.close();
  });
});
