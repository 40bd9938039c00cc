import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, pageErrors, phoneContext, phonePage, screenshot, useChromium } from "./chromium";
import { admin } from "./stack";

/** Whole journeys across pieces (issue 13), at 390×844 on the real stack. */
const browser = useChromium();

describe("journeys on a phone", () => {
  it("flash sale: win → straight to the cashier → 我的订单 shows it unpaid with a countdown → 去支付 → pay → the key", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const { products } = await admin("/products");
    const music = products.find((p: any) => p.name === "音乐会员月卡");
    const now = Date.now();
    const flash = await admin("/campaigns", "POST", {
      kind: "flash_sale", name: "音乐月卡 限时秒杀", description: "整点开抢", productId: music.id, priceCents: 500, stock: 3, perUserLimit: 1, shards: 2,
      startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
    });
    const { context, page, errors } = await phonePage(browser());
    const flashUrl = `${baseUrl}/campaigns/flash/?t=demo&id=${flash.id}`;
    await page.goto(flashUrl);
    await expect.poll(() => page.isEnabled("#go"), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#price")).toBe("秒杀价 ¥5.00");
    expect(await page.textContent("#orig")).toBe("原价 ¥9.90");
    expect(await page.textContent("#rules")).toContain("15 分钟内支付");
    await screenshot(page, "journey-flash-page");
    await fitsThePhone(page);

    await page.click("#go");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 20_000 });
    expect(await page.textContent("body")).toContain("¥5.00");

    // Back to the sale without paying: it says the order waits and links to the cashier.
    await page.goto(flashUrl);
    await expect.poll(() => page.locator("#result a.pay-now").count(), { timeout: 15_000 }).toBe(1);
    expect(await page.textContent("#result")).toContain("你已抢到");
    expect(await page.getAttribute("#result a.pay-now", "href")).toMatch(/\/pay\/checkout\//);
    expect(await page.textContent("#go")).toBe("已抢到");
    await screenshot(page, "journey-flash-back-unpaid");

    // Left the cashier without paying: 我的订单 keeps the order, with the time left and 去支付.
    await page.goto(`${baseUrl}/shop/orders/?t=demo`);
    const order = page.locator(".order", { hasText: "音乐会员月卡" });
    await expect.poll(() => order.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => order.locator(".left").textContent()).toMatch(/剩余 1[45]:\d\d 支付/);
    expect(await order.textContent()).toContain("¥5.00");
    await screenshot(page, "journey-my-orders-unpaid");
    await fitsThePhone(page);
    await order.getByText("去支付").click();
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    expect(await page.textContent(".secret")).toMatch(/^MUSIC-[0-9A-F]{16}$/);
    await screenshot(page, "journey-flash-paid");

    // An online card key is redeemed in the app: no "show this QR code at the store".
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await expect.poll(() => page.locator(".voucher", { hasText: "音乐会员月卡" }).count(), { timeout: 10_000 }).toBe(1);
    expect(await page.textContent("#list")).not.toContain("到店出示");
    expect(await page.locator(".voucher-qr").count()).toBe(0);

    await page.goto(`${baseUrl}/shop/orders/?t=demo&tab=done`);
    await expect.poll(() => page.locator(".order", { hasText: "音乐会员月卡" }).textContent(), { timeout: 10_000 }).toContain("已发放");
    expect(await page.locator(".order", { hasText: "音乐会员月卡" }).textContent()).toContain("查看卡券");
    await screenshot(page, "journey-my-orders-done");

    // Back on the sale: the button says what the buyer can still do.
    await page.goto(flashUrl);
    await expect.poll(() => page.textContent("#go"), { timeout: 15_000 }).toBe("已抢到");
    expect(await page.isDisabled("#go")).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("lottery made in the operator area with a product-bearing prize → draw → the voucher is in 我的卡券", { timeout: 120_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const context = await phoneContext(browser());
    await context.addInitScript(`localStorage.setItem("kq-operator-key", ${JSON.stringify(keys.operator)})`);
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${baseUrl}/admin/campaigns/`);
    await page.selectOption("#c-kind", "lottery");
    const name = `好礼抽奖 ${Date.now()}`;
    await page.fill("#c-name", name);
    await page.fill("#c-org-name", "测试品牌");
    await page.fill("#c-org-contact", "400-000-0000");
    await expect.poll(() => page.locator("#prize-rows select option").count(), { timeout: 10_000 }).toBeGreaterThan(2);
    // One prize that is certain to be won, delivering the store coupon.
    await page.locator("#prize-rows .remove").nth(1).click();
    await page.locator("#prize-rows [name=prize-name]").fill("满100减20券 一张");
    await page.locator("#prize-rows select").selectOption({ label: "满100减20券" });
    await page.fill("#c-none", "0");
    await page.fill("#c-draws", "3");
    await screenshot(page, "journey-operator-lottery-form");
    await fitsThePhone(page);
    // Opens a few seconds from now (a lottery publishes its commitment first); set just before submitting.
    const start = new Date(Date.now() + 15_000);
    await page.fill("#c-start", new Date(start.getTime() - start.getTimezoneOffset() * 60_000).toISOString().slice(0, 19));
    await page.click("#new-campaign button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg"), { timeout: 10_000 }).toContain("已创建");
    const { campaigns } = await admin("/campaigns");
    const lottery = campaigns.find((c: any) => c.name === name);
    expect(lottery.prizes[0].productId).toBeTruthy();

    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${lottery.id}`);
    await expect.poll(() => page.textContent("#rules"), { timeout: 10_000 }).toContain("每人每天免费抽奖 3 次");
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 40_000 }).toBe(true);
    // Before the first draw the counter shows the day's free draws, not 0.
    await expect.poll(() => page.textContent("#chances"), { timeout: 10_000 }).toContain("今日剩余抽奖次数：3");
    await page.click("#draw");
    // The wheel turns for a few seconds before the result is told.
    await expect.poll(() => page.textContent("#result"), { timeout: 20_000 }).toContain("恭喜");
    // One prize per person (the console's default): the page says the limit is reached and offers no more draws.
    await expect.poll(() => page.textContent("#chances")).toContain("已达到本活动每人中奖上限");
    expect(await page.isDisabled("#draw")).toBe(true);
    await screenshot(page, "journey-lottery-won");
    // The reveal's proof line wraps inside the phone's width.
    await fitsThePhone(page);

    await page.locator("#result a", { hasText: "查看卡券" }).click();
    await page.waitForURL(/\/shop\/vouchers\//);
    await expect.poll(() => page.locator(".voucher", { hasText: "满100减20券" }).count(), { timeout: 20_000 }).toBe(1);
    const voucher = page.locator(".voucher", { hasText: "满100减20券" });
    expect(await voucher.textContent()).toContain("可使用");
    await voucher.getByText("去使用").click();
    await expect.poll(() => voucher.locator(".voucher-qr").isVisible()).toBe(true);
    await screenshot(page, "journey-lottery-voucher");
    await fitsThePhone(page);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("seeded campaigns deliver what their names promise", { timeout: 120_000 }, async () => {
    const { products } = await admin("/products");
    const { campaigns } = await admin("/campaigns");
    const nameOf = (id: string) => products.find((p: any) => p.id === id)?.name;
    const byName = (n: string) => campaigns.find((c: any) => c.name === n);
    expect(nameOf(byName("整点秒杀 · 9.9元抢20元券").productId)).toBe("20元无门槛券");
    expect(nameOf(byName("新人领券 · 满50减10").productId)).toBe("满50减10券");
    for (const prize of [...byName("幸运大转盘").prizes, ...byName("三分钟限时抽奖（结束后公开种子）").prizes]) {
      expect(nameOf(prize.productId)).toBe(prize.name);
    }
  });

  it("a card-key product asks for no recharge account; a direct recharge does", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const { products } = await admin("/products");
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${products.find((p: any) => p.name === "视频会员月卡").id}`);
    await expect.poll(() => page.isEnabled("#buy-btn"), { timeout: 10_000 }).toBe(true);
    expect(await page.isVisible("#acct-row")).toBe(false);
    expect(await page.isVisible(".tabbar")).toBe(true);
    await screenshot(page, "journey-card-key-product");
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${products.find((p: any) => p.kind === "direct_recharge").id}`);
    await expect.poll(() => page.isVisible("#acct-row"), { timeout: 10_000 }).toBe(true);
    await context.close();
  });
});
