import { describe, expect, inject, it } from "vitest";
import type { Page } from "playwright-core";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";
import { admin } from "./stack";

const browser = useChromium();
const FUTURE = { kind: "fixed", validFrom: "2026-01-01T00:00:00.000Z", validTo: "2030-01-01T00:00:00.000Z" };

async function cardKey(name: string, keys: number, perUserLimit: number) {
  const p = await admin("/products", "POST", { kind: "card_key", name, priceCents: 500, faceValueCents: 800, validity: FUTURE, scope: "全场", tutorial: "打开 App 兑换", perUserLimit });
  await admin(`/products/${p.id}/keys/import`, "POST", { rows: Array.from({ length: keys }, (_, i) => ({ line: i + 1, secret: `QTY-${name}-${i}` })) });
  await admin(`/products/${p.id}/status`, "POST", { status: "published" });
  return p.id as string;
}

/** The stepper's up arrow `n` times, as a thumb would tap it. */
async function stepUp(page: Page, n: number) {
  await page.locator("#qty").focus();
  for (let i = 0; i < n; i++) await page.keyboard.press("ArrowUp");
}

describe("the product page's quantity on a phone", () => {
  it("stops at what the buyer may still buy, says the per-person limit beside it before the tap, and says when it is reached", async () => {
    const { baseUrl } = inject("stack");
    const run = Date.now().toString(36);
    const productId = await cardKey(`限购卡 ${run}`, 10, 3);
    const { context, page, errors } = await phonePage(browser());
    const open = async () => {
      await page.goto(`${baseUrl}/shop/product/?t=demo&id=${productId}`);
      await expect.poll(() => page.locator("#buy-btn").textContent()).toContain("立即购买");
    };
    const buy = async () => {
      await page.click("#buy-btn");
      await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
      await page.click("#pay");
      await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    };
    await open();
    await expect.poll(() => page.textContent("#qty-limit")).toBe("每人限购 3 件");
    await stepUp(page, 5);
    expect(await page.inputValue("#qty")).toBe("3");
    // A number typed past it is brought back to it, not refused after the tap.
    await page.fill("#qty", "8");
    await page.locator("#qty").blur();
    await expect.poll(() => page.inputValue("#qty")).toBe("3");
    await page.locator("#buy").scrollIntoViewIfNeeded();
    await screenshot(page, "quantity-limit-product-phone");
    await fitsThePhone(page);

    await page.fill("#qty", "2");
    await page.locator("#qty").blur();
    await buy();
    await open();
    await expect.poll(() => page.textContent("#qty-limit")).toBe("每人限购 3 件，你还可买 1 件");
    await stepUp(page, 3);
    expect(await page.inputValue("#qty")).toBe("1");
    await page.locator("#buy").scrollIntoViewIfNeeded();
    await screenshot(page, "quantity-limit-one-left-phone");
    await buy();

    await open();
    await expect.poll(() => page.textContent("#qty-limit")).toBe("每人限购 3 件，你已买满");
    expect(await page.locator("#buy-btn").isDisabled()).toBe(true);
    await page.locator("#buy").scrollIntoViewIfNeeded();
    await screenshot(page, "quantity-limit-reached-phone");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("without a limit, stops at the stock left and says how many are left", async () => {
    const { baseUrl } = inject("stack");
    const productId = await cardKey(`少量库存 ${Date.now().toString(36)}`, 2, 0);
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${productId}`);
    await expect.poll(() => page.textContent("#qty-limit")).toBe("仅剩 2 件");
    await stepUp(page, 4);
    expect(await page.inputValue("#qty")).toBe("2");
    expect(errors).toEqual([]);
    await context.close();
  });
});
