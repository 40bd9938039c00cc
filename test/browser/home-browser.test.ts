import { describe, expect, inject, it } from "vitest";
import { phoneContext, phonePage, screenshot, useChromium } from "./chromium";

const browser = useChromium();

describe("storefront home on a phone", () => {
  it("renders in Chinese and shows live system status from the API", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/`);
    await expect.poll(() => page.locator("#status li.ok").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    await expect.poll(() => page.textContent("#event-backlog"), { timeout: 10_000 }).toContain("事件投递");
    const width = await page.evaluate("document.documentElement.scrollWidth");
    expect(width).toBeLessThanOrEqual(390);
    await screenshot(page, "home-phone");
    // The live campaigns are one tap away.
    await page.getByRole("link", { name: "进行中的活动" }).click();
    await page.waitForURL(/\/campaigns\/\?t=demo/, { timeout: 10_000 });
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("event backlog in the system status", () => {
  it("tells the operator how many events wait for the warehouse and since when", async () => {
    const { baseUrl } = inject("stack");
    const context = await phoneContext(browser());
    const page = await context.newPage();
    // The health answer of a warehouse outage: 30 dead letters, the oldest 10 minutes old, 5 events in the queue.
    await page.route("**/api/v1/health", async (route) => {
      const real = await (await route.fetch()).json();
      const backlog = (pending: number, age: number | null) => ({ pending, oldestAt: age === null ? null : new Date(Date.now() - age * 1000).toISOString(), oldestAgeSeconds: age });
      await route.fulfill({
        status: 503,
        json: { ...real, ok: false, warehouse: { ok: false, latencyMs: 3, detail: "connection refused" },
          events: { outbox: backlog(0, null), deadLetters: backlog(30, 600), queue: { backlog: 5, oldestAgeSeconds: 40 } } },
      });
    });
    await page.goto(`${baseUrl}/`);
    await expect.poll(() => page.textContent("#event-backlog"), { timeout: 10_000 }).toContain("35 条待送达（最早 10 分钟前）");
    expect(await page.getAttribute("#event-backlog", "class")).toBe("bad");
    await screenshot(page, "home-event-backlog");
    await context.close();
  });
});

describe("language switch", () => {
  it("switches the page to English and remembers it", async () => {
    const { baseUrl } = inject("stack");
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    await page.click("#lang-toggle");
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.textContent("h1")).toBe("Digital rights, delivered once");
    await page.reload();
    expect(await page.textContent("h1")).toBe("Digital rights, delivered once");
    // The live status lines follow the language too (no "数据库 D1: OK").
    await expect.poll(() => page.locator("#status li.ok").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const status = (await page.textContent("#status")) ?? "";
    expect(status).toContain("Database (D1): OK");
    expect(status).toContain("Warehouse: OK");
    expect(status).not.toMatch(/[\u4e00-\u9fff]/);
    await page.click("#lang-toggle");
    expect(await page.textContent("h1")).toBe("数字权益，一次交付");
    await context.close();
  });
});
