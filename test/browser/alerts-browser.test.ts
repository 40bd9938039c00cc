import { DatabaseSync } from "node:sqlite";
import { describe, expect, inject, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, screenshot, signedInPage, useChromium } from "./chromium";
import { d1File } from "./stack";

const browser = useChromium();

describe("recent alerts on the console home (phone)", () => {
  it("a brand with no alert contacts sees 暂无告警, then its order_stuck and low_stock alerts in words with a link to the order", { timeout: 90_000 }, async () => {
    const { baseUrl, stateDir } = inject("stack");
    const platform = new ApiClient(baseUrl, loadDevVars().PLATFORM_ADMIN_TOKEN);
    const slug = `alerts-${Date.now().toString(36)}`;
    const brand = await platform.ok<{ id: string }>("POST", "/platform/tenants", { slug, name: "告警品牌" });
    const key = (await platform.ok<{ secret: string }>("POST", `/platform/tenants/${brand.id}/keys`, { name: "ops", scopes: ["operator"] })).secret;
    const adminKey = (await platform.ok<{ secret: string }>("POST", `/platform/tenants/${brand.id}/keys`, { name: "owner", scopes: ["admin"] })).secret;
    const product = await new ApiClient(baseUrl, adminKey).ok<{ id: string }>("POST", "/products", {
      kind: "card_key", name: "爱奇艺月卡", priceCents: 1990, faceValueCents: 2500, validity: { kind: "relative", days: 30 }, scope: "测试",
    });

    const page = await signedInPage(browser(), `${baseUrl}/admin/`, key);
    await expect.poll(() => page.locator("#alerts-empty").isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#alerts-empty")).toContain("暂无告警");
    expect(await page.locator("#alerts-table").isVisible()).toBe(false);
    await fitsThePhone(page);
    await screenshot(page, "alerts-empty");

    // Two alerts as the Queue consumer's gate keeps them (no e-mail, SMS or webhook set: nobody was told).
    const now = Date.now();
    const db = new DatabaseSync(d1File(stateDir), { timeout: 5_000 });
    const insert = db.prepare(
      `INSERT INTO alert_notices (tenant_id, dedup_key, last_sent_at, last_event_id, suppressed, kind, subject, source_type, payload, last_raised_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run(brand.id, "low_stock|prd_alert1", now - 60_000, "evt_a1", 0, "low_stock", "prd_alert1", "low_stock", JSON.stringify({ productId: "prd_alert1", available: 0, threshold: 5 }), now - 60_000);
    insert.run(brand.id, `low_stock|${product.id}`, now - 90_000, "evt_a0", 0, "low_stock", product.id, "low_stock", JSON.stringify({ productId: product.id, available: 1, threshold: 5 }), now - 90_000);
    insert.run(brand.id, "order_stuck|ord_alert9", now - 30_000, "evt_a2", 3, "order_stuck", "ord_alert9", "alert", JSON.stringify({ kind: "order_stuck", orderId: "ord_alert9", status: "paid" }), now);
    db.close();

    await page.reload();
    await expect.poll(() => page.locator("#alerts tr").count(), { timeout: 15_000 }).toBe(3);
    expect(await page.locator("#alerts-empty").isVisible()).toBe(false);
    const first = page.locator("#alerts tr").first();
    expect(await first.textContent()).toContain("订单发货卡住");
    expect(await first.textContent()).toContain("3");
    expect(await first.locator("a").getAttribute("href")).toBe("/admin/orders/?o=ord_alert9");
    const second = await page.locator("#alerts tr").nth(1).textContent();
    expect(second).toContain("库存不足");
    // A product the store no longer has is named by its id; one it has, by its name (the id in the title).
    expect(second).toContain("prd_alert1");
    const third = page.locator("#alerts tr").nth(2);
    expect(await third.textContent()).toContain("商品 爱奇艺月卡");
    expect(await third.textContent()).not.toContain(product.id);
    expect(await third.locator("span").getAttribute("title")).toBe(product.id);
    expect(await page.textContent("#alerts")).not.toMatch(/order_stuck|low_stock/);
    await fitsThePhone(page);
    await screenshot(page, "alerts-listed");

    await page.goto(`${baseUrl}/admin/?lang=en`);
    await expect.poll(() => page.locator("#alerts tr").count(), { timeout: 15_000 }).toBe(3);
    expect(await page.textContent("#alerts-h")).toBe("Recent alerts");
    expect(await page.textContent("#alerts")).toContain("Order stuck");
    await fitsThePhone(page);
    await screenshot(page, "alerts-listed-en");

    // Opening the link lands on that order's page of the console.
    await page.locator("#alerts a").first().click();
    await page.waitForURL(/\/admin\/orders\/\?o=ord_alert9/);
    await page.context().close();
  });
});
