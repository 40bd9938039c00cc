import { describe, expect, inject, it } from "vitest";
import { screenshot, signedInPage, useChromium } from "./chromium";

const browser = useChromium();

describe("operator area: suppliers", () => {
  it("syncs live prices, shows each supplier's health and scheme, connects one with a key and allows a product below cost", async () => {
    const { baseUrl, keys } = inject("stack");
    const products = (await (await fetch(`${baseUrl}/api/v1/shop/demo/products`)).json()) as { products: { id: string; kind: string; priceCents: number }[] };
    const phone = products.products.find((p) => p.kind === "direct_recharge")!;
    const page = await signedInPage(browser(), `${baseUrl}/admin/suppliers/`, keys.admin!);
    await page.click("#sync");
    await expect.poll(() => page.textContent("#health-msg"), { timeout: 20_000 }).toContain("已同步");
    const list = () => page.textContent("#suppliers");
    await expect.poll(list).toContain("cheapco");
    expect(await list()).toContain("MD5 排序签名");
    expect(await list()).toContain("HMAC 请求头");
    await screenshot(page, "operator-suppliers-health");

    // A new supplier in its own scheme, mapped at a cost above the sale price: saved (key not shown), refused by routing.
    const name = `browserco-${Date.now()}`;
    await page.fill("#c-name", name);
    await page.fill("#c-url", "http://127.0.0.1:9/browserco");
    await page.selectOption("#c-scheme", "hmac_header");
    await page.fill("#c-app", "merchant-1");
    await page.fill("#c-secret", "browserco-secret-key");
    await page.fill("#c-product", phone.id);
    await page.fill("#c-sku", "PHONE-30");
    await page.fill("#c-cost", String(phone.priceCents + 100));
    await page.click("#connect button[type=submit]");
    await expect.poll(() => page.textContent("#connect-msg")).toContain("/api/v1/suppliers/callback/sup_");
    const card = page.locator(".sup", { hasText: name });
    await expect.poll(() => card.textContent()).toContain("低于成本：不走此供应商");
    expect(await page.textContent("body")).not.toContain("browserco-secret-key");
    await card.getByRole("button", { name: "允许低于成本销售" }).click();
    await expect.poll(() => card.textContent()).toContain("已允许低于成本");
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, "operator-suppliers-margin");
    // Put the demo back: the product is not sold below cost.
    await card.getByRole("button", { name: "停止低于成本销售" }).click();
    await expect.poll(() => card.textContent()).toContain("低于成本：不走此供应商");
    await page.context().close();
  });
});
