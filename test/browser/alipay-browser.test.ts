import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";

const browser = useChromium();

describe("支付宝 on a phone: the demo tenant is connected to the local Alipay sandbox", () => {
  it("product → cashier → 支付宝 → sandbox cashier → 确认付款 → order shows the key", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());

    await page.goto(`${baseUrl}/shop/?t=demo`);
    await page.getByText("视频会员月卡").first().click();
    await expect.poll(() => page.locator("#buy-btn").isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.click("#buy-btn");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    await page.locator('button.method[data-provider="alipay"]').waitFor({ timeout: 10_000 });
    expect(await page.textContent('button.method[data-provider="alipay"]')).toBe("支付宝");
    await screenshot(page, "alipay-cashier-phone");
    await page.click('button.method[data-provider="alipay"]');
    await page.waitForURL(/\/gateway\.do\?/, { timeout: 15_000 });
    expect(await page.title()).toBe("支付宝 沙箱");
    expect(await page.textContent("body")).toContain("¥19.90");
    await fitsThePhone(page);
    await screenshot(page, "alipay-sandbox-phone");
    await page.getByRole("button", { name: "确认付款" }).click();
    await page.waitForURL(/\/shop\/order\//, { timeout: 20_000 });
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    expect(await page.textContent(".secret")).toMatch(/^VIDEO-[0-9A-F]{16}$/);
    await screenshot(page, "alipay-order-phone");
    expect(errors).toEqual([]);
    await context.close();
  });
});
