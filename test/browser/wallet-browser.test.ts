import { describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, pageErrors, phoneContext, screenshot, useChromium } from "./chromium";

const browser = useChromium();

describe("stored-value card (储值卡) on a phone", () => {
  it("a member buys 充100送50 at the sandbox gateway, sees ¥150, pays for a product with it on the product page; the merchant charges at the store", { timeout: 150_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const plan = await admin.ok<{ id: string }>("POST", "/cards/plans", { name: `充100送50-${Date.now().toString(36)}`, payCents: 10000, bonusCents: 5000 });
    const { products } = await admin.ok<{ products: { id: string; name: string; kind: string; status: string; priceCents: number }[] }>("GET", "/products");
    const item = products.find((p) => p.kind === "card_key" && p.status === "published" && p.priceCents > 0 && p.priceCents <= 10_000)!;

    const context = await phoneContext(browser());
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${baseUrl}/shop/?t=demo`);
    // A guest session, then the membership (the member centre's join).
    const memberId = await page.evaluate(async () => {
      await fetch("/api/v1/shop/demo/guest", { method: "POST" });
      return ((await (await fetch("/api/v1/shop/demo/member/join", { method: "POST" })).json()) as { member: { memberId: string } }).member.memberId;
    });
    expect(memberId).toMatch(/^mbr_/);

    await page.goto(`${baseUrl}/shop/member/wallet/?t=demo`);
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain("¥0.00");
    expect(plan.id).toMatch(/^svp_/);
    await page.locator(`#plan-list button[aria-label*="支付 ¥100.00"]`).last().click();
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    // The top-up's own page says what was bought and what went into the card (it has no voucher to show), and leads
    // to the card; its after-sale problems are a top-up's (未到账), not a coupon's.
    await expect.poll(() => page.textContent("#order"), { timeout: 15_000 }).toContain("已到账");
    expect(await page.textContent("#order .product-name")).toContain("充100送50");
    expect(await page.textContent("#top-up-line")).toContain("已存入储值卡 ¥150.00（本金 ¥100.00 + 赠送 ¥50.00）");
    await expect.poll(() => page.locator("#t-reason option").allTextContents(), { timeout: 10_000 }).toEqual(["未到账", "其他"]);
    await fitsThePhone(page);
    await screenshot(page, "wallet-top-up-order");
    await page.click("#to-wallet");
    await page.waitForURL(/\/shop\/member\/wallet\//, { timeout: 15_000 });
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain("¥150.00");
    expect(await page.textContent("#principal")).toContain("¥100.00");
    expect(await page.textContent("#bonus")).toContain("¥50.00");
    await fitsThePhone(page);
    await screenshot(page, "wallet-loaded");

    // On the product page: pay from the balance (it covers the price, so no gateway step).
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${item.id}`);
    await expect.poll(() => page.isVisible("#sv-row"), { timeout: 10_000 }).toBe(true);
    expect(await page.textContent("#sv-text")).toContain("¥150.00");
    await page.check("#sv-use");
    // Ticked, it says how the amount splits (here the balance pays it all).
    await expect.poll(() => page.textContent("#sv-text"), { timeout: 10_000 }).toMatch(/余额支付 ¥\d+\.\d\d，无需另付（余额 ¥150\.00）/);
    await screenshot(page, "product-pay-from-stored-value");
    await page.click("#buy-btn");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    // A bundle is not paid from the balance: its page says so, with no box to tick (it offered one the API refused).
    const bundle = products.find((p) => p.kind === "bundle" && p.status === "published")!;
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${bundle.id}`);
    await expect.poll(() => page.isVisible("#sv-row"), { timeout: 10_000 }).toBe(true);
    expect(await page.textContent("#sv-text")).toContain("组合商品不能使用储值卡余额支付");
    expect(await page.isDisabled("#sv-use")).toBe(true);
    await screenshot(page, "bundle-no-stored-value");
    await page.goto(`${baseUrl}/shop/member/wallet/?t=demo`);
    // What the order cost: the list price, or less when the member's tier has a shop discount (shared stack).
    const paidCents = await page.evaluate(async (productId) => ((await (await fetch("/api/v1/shop/demo/orders")).json()) as { orders: { productId: string; amountCents: number }[] }).orders.find((o) => o.productId === productId)!.amountCents, item.id);
    expect(paidCents).toBeLessThanOrEqual(item.priceCents);
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain(`¥${((15_000 - paidCents) / 100).toFixed(2)}`);
    await page.click("#show-code");
    await expect.poll(() => page.textContent("#code-text"), { timeout: 10_000 }).toMatch(/^sv1\./);
    expect(await page.textContent("#countdown")).toMatch(/\d:\d\d/);
    await screenshot(page, "wallet-pay-code");
    const code = (await page.textContent("#code-text"))!;
    // The wallet is read every 3 s while the code is up; the plan buttons are not drawn again when nothing changed, so a
    // tap never lands on a button being replaced.
    await page.locator("#plan-list button").first().evaluate((b) => b.setAttribute("data-kept", "1"));
    await page.waitForTimeout(3_500);
    expect(await page.locator("#plan-list button").first().getAttribute("data-kept")).toBe("1");

    const merchant = await context.newPage();
    await merchant.goto(`${baseUrl}/merchant/`);
    await merchant.fill("#key", keys.redeemer!);
    await merchant.click("#save-key");
    await expect.poll(() => merchant.textContent("#who"), { timeout: 10_000 }).toBeTruthy();
    await merchant.fill("#sv-code", code);
    await merchant.fill("#sv-amount", "20");
    await merchant.click("#sv-form button[type=submit]");
    await expect.poll(() => merchant.textContent("#sv-result"), { timeout: 10_000 }).toContain("扣款成功");
    const left = `¥${((15_000 - paidCents - 2_000) / 100).toFixed(2)}`;
    expect(await merchant.textContent("#sv-result")).toContain(left);
    await fitsThePhone(merchant);
    await screenshot(merchant, "merchant-stored-value-charge");
    // The member holding up the code sees the charge land, with the store and the balance left, without a reload.
    await expect.poll(() => page.textContent("#charged"), { timeout: 10_000 }).toContain(`已扣款 ¥20.00 · 南京西路旗舰店 · 余额 ${left}`);
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain(left);
    await screenshot(page, "wallet-charged-live");

    await page.reload();
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain(left);
    expect(await page.textContent("#moves")).toContain("门店消费");
    // Each line says what it was for; the shop purchase opens its order (with the key).
    const spent = page.locator("#moves a.sv-what", { hasText: `商城消费 · ${item.name}` });
    expect(await spent.count()).toBe(1);
    await fitsThePhone(page);
    await screenshot(page, "wallet-statement");
    await spent.click();
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    // 我的订单 lists the top-up as 已到账 with 查看详情: it has no card key to view.
    await page.goto(`${baseUrl}/shop/orders/?t=demo`);
    const topUp = page.locator(".order", { hasText: "充100送50" });
    await expect.poll(() => topUp.first().textContent(), { timeout: 10_000 }).toContain("已到账");
    expect(await topUp.first().locator(".view").textContent()).toBe("查看详情");
    expect(errors).toEqual([]);
    await context.close();
  });
});
