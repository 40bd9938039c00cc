import { DatabaseSync } from "node:sqlite";
import { describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, pageErrors, phoneContext, screenshot, useChromium } from "./chromium";
import { d1File } from "./stack";

const browser = useChromium();

describe("stored-value card (储值卡) on a phone", () => {
  it("a member buys 充100送50 at the sandbox gateway, sees ¥150, pays part of an order with it; the merchant charges at the store", { timeout: 150_000 }, async () => {
    const { baseUrl, keys, stateDir } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const plan = await admin.ok<{ id: string }>("POST", "/cards/plans", { name: `充100送50-${Date.now().toString(36)}`, payCents: 10000, bonusCents: 5000 });
    const { products } = await admin.ok<{ products: { id: string; kind: string; status: string; priceCents: number }[] }>("GET", "/products");
    const item = products.find((p) => p.kind === "coupon" && p.status === "published" && p.priceCents > 0) ?? products.find((p) => p.status === "published" && p.priceCents > 0 && p.kind !== "direct_recharge")!;

    const context = await phoneContext(browser());
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${baseUrl}/shop/?t=demo`);
    const buyer = await page.evaluate(async () => ((await (await fetch("/api/v1/shop/demo/guest", { method: "POST" })).json()) as { buyer: { id: string } }).buyer);
    // Membership comes from the join flow (members17); here the member row is put in place directly.
    const db = new DatabaseSync(d1File(stateDir));
    const tenant = db.prepare("SELECT id FROM tenants WHERE slug = 'demo'").get() as { id: string };
    const memberId = `mbr_w${Date.now().toString(36)}`;
    db.prepare("INSERT INTO members (id, tenant_id, buyer_id, card_no, joined_via) VALUES (?, ?, ?, ?, 'phone')").run(memberId, tenant.id, buyer.id, memberId.slice(-10));
    db.close();

    await page.goto(`${baseUrl}/shop/member/wallet/?t=demo`);
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain("¥0.00");
    expect(plan.id).toMatch(/^svp_/);
    await page.locator(`#plan-list button[aria-label*="支付 ¥100.00"]`).last().click();
    await page.waitForURL(/\/pay\/sandbox\/checkout\//, { timeout: 15_000 });
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await page.goto(`${baseUrl}/shop/member/wallet/?t=demo`);
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain("¥150.00");
    expect(await page.textContent("#principal")).toContain("¥100.00");
    expect(await page.textContent("#bonus")).toContain("¥50.00");
    await fitsThePhone(page);
    await screenshot(page, "wallet-loaded");

    // Part of an order from the balance (¥1.00), the rest at the gateway.
    const order = await page.evaluate(async (productId) => {
      const res = await fetch("/api/v1/shop/demo/orders", { method: "POST", headers: { "content-type": "application/json", "idempotency-key": `wallet-${crypto.randomUUID()}` }, body: JSON.stringify({ productId, storedValueCents: 100 }) });
      return (await res.json()) as { checkoutUrl?: string; status?: string };
    }, item.id);
    expect(order.checkoutUrl ?? order.status).toBeTruthy();
    if (order.checkoutUrl) {
      await page.goto(`${baseUrl}${order.checkoutUrl}`);
      await page.click("#pay");
      await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    }
    await page.goto(`${baseUrl}/shop/member/wallet/?t=demo`);
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain("¥149.00");
    await page.click("#show-code");
    await expect.poll(() => page.textContent("#code-text"), { timeout: 10_000 }).toMatch(/^sv1\./);
    expect(await page.textContent("#countdown")).toMatch(/\d:\d\d/);
    await screenshot(page, "wallet-pay-code");
    const code = (await page.textContent("#code-text"))!;

    const merchant = await context.newPage();
    await merchant.goto(`${baseUrl}/merchant/`);
    await merchant.fill("#key", keys.redeemer!);
    await merchant.click("#save-key");
    await expect.poll(() => merchant.textContent("#who"), { timeout: 10_000 }).toBeTruthy();
    await merchant.fill("#sv-code", code);
    await merchant.fill("#sv-amount", "20");
    await merchant.click("#sv-form button[type=submit]");
    await expect.poll(() => merchant.textContent("#sv-result"), { timeout: 10_000 }).toContain("扣款成功");
    expect(await merchant.textContent("#sv-result")).toContain("¥129.00");
    await fitsThePhone(merchant);
    await screenshot(merchant, "merchant-stored-value-charge");

    await page.reload();
    await expect.poll(() => page.textContent("#total"), { timeout: 10_000 }).toContain("¥129.00");
    expect(await page.textContent("#moves")).toContain("门店消费");
    expect(errors).toEqual([]);
    await context.close();
  });
});
