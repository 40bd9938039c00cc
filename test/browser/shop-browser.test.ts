import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";

const browser = useChromium();

describe("shop on a phone: buy a card key as a guest, pay on the sandbox, see the key, sign in by phone", () => {
  it("product → sandbox checkout → order shows the key → my vouchers after OTP sign-in", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());

    await page.goto(`${baseUrl}/shop/?t=demo`);
    await page.getByText("视频会员月卡").first().click();
    // The buy form is on screen from the start (no layout shift); the button enables once the product has loaded.
    await expect.poll(() => page.locator("#buy-btn").isEnabled(), { timeout: 10_000 }).toBe(true);
    expect(await page.textContent("#product")).toContain("适用范围");
    await screenshot(page, "shop-product-phone");
    await page.click("#buy-btn");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    expect(await page.textContent("body")).toContain("¥19.90");
    await screenshot(page, "shop-checkout-phone");
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    expect(await page.textContent(".secret")).toMatch(/^VIDEO-[0-9A-F]{16}$/);
    await screenshot(page, "shop-order-phone");

    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await expect.poll(() => page.locator(".voucher").count(), { timeout: 10_000 }).toBe(1);
    // A card key is redeemed online in the app: no store QR code, no "show this at the store".
    expect(await page.textContent("#list")).not.toContain("到店出示");
    const phone = `139${String(Date.now()).slice(-8)}`;
    await page.fill("#phone", phone);
    await page.click("#send");
    await expect.poll(() => page.textContent("#dev"), { timeout: 10_000 }).toMatch(/\d{6}/);
    const code = /(\d{6})/.exec((await page.textContent("#dev"))!)![1]!;
    await page.fill("#code", code);
    await page.check("#consent");
    await page.click("#verify");
    await expect.poll(() => page.textContent("#who"), { timeout: 10_000 }).toContain(phone.slice(-4));
    // the guest's voucher moved to the phone account
    await expect.poll(() => page.locator(".voucher").count(), { timeout: 10_000 }).toBe(1);
    await screenshot(page, "shop-vouchers-phone");
    await fitsThePhone(page);
    expect(errors).toEqual([]);
    await context.close();
  });
});
