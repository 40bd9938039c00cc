import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phoneContext, SCREENSHOT_DIR, useChromium } from "./chromium";

const browser = useChromium();

describe("API reference at /api/v1/docs", () => {
  it("renders every operation of the OpenAPI document from this origin only, and filters them", async () => {
    const { baseUrl } = inject("stack");
    const doc = (await (await fetch(`${baseUrl}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>>; webhooks?: Record<string, Record<string, unknown>> };
    const count = (items: Record<string, Record<string, unknown>>) =>
      Object.values(items).reduce((n, item) => n + Object.keys(item).filter((m) => ["get", "post", "put", "patch", "delete"].includes(m)).length, 0);
    // Every route, and every webhook the API sends (the document's `webhooks` section), is one entry on the page.
    const operations = count(doc.paths) + count(doc.webhooks ?? {});
    expect(count(doc.webhooks ?? {})).toBeGreaterThan(10);
    const context = await phoneContext(browser());
    const page = await context.newPage();
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(baseUrl) && !r.url().startsWith("data:")) foreign.push(r.url());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${baseUrl}/api/v1/docs`);
    await expect.poll(() => page.locator("article.op").count(), { timeout: 15_000 }).toBe(operations);
    expect(await page.textContent("#count")).toBe(`${operations} operations`);
    const claim = page.locator("article.op", { hasText: "/public/campaigns/{campaignId}/claims" }).first();
    expect(await claim.textContent()).toMatch(/POST/);
    await page.fill("#filter", "redemptions");
    const visible = await page.locator("article.op:not([hidden])").count();
    expect(visible).toBeGreaterThan(0);
    expect(visible).toBeLessThan(operations);
    await fitsThePhone(page);
    await page.fill("#filter", "");
    // The whole reference is hundreds of screens long: the first screen is the picture.
    await page.screenshot({ path: `${SCREENSHOT_DIR}/api-docs-phone.png`, scale: "css" });
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
