import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, phoneContext, screenshot } from "./chromium";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe("storefront home on a phone", () => {
  it("renders in Chinese and shows live system status from the API", async () => {
    const { baseUrl } = inject("stack");
    const context = await phoneContext(browser);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${baseUrl}/`);
    await expect.poll(() => page.locator("#status li.ok").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    const width = await page.evaluate("document.documentElement.scrollWidth");
    expect(width).toBeLessThanOrEqual(390);
    await screenshot(page, "home-phone");
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("language switch", () => {
  it("switches the page to English and remembers it", async () => {
    const { baseUrl } = inject("stack");
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    await page.click("#lang-toggle");
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.textContent("h1")).toBe("Digital rights, delivered once");
    await page.reload();
    expect(await page.textContent("h1")).toBe("Digital rights, delivered once");
    await page.click("#lang-toggle");
    expect(await page.textContent("h1")).toBe("数字权益，一次交付");
    await context.close();
  });
});
