import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, screenshot, signedInPage, useChromium } from "./chromium";
import { admin } from "./stack";

const browser = useChromium();

describe("settlement in the console on a phone", () => {
  it("the Demo Brand proposes a share, the issuing brand accepts it and closes a week, both see the statement", async () => {
    const { baseUrl, keys } = inject("stack");
    const platform = new ApiClient(baseUrl, loadDevVars().PLATFORM_ADMIN_TOKEN);
    const issuer = await platform.ok<{ id: string }>("POST", "/platform/tenants", { slug: `issuer-${Date.now().toString(36)}`, name: "星河权益" });
    const issuerKey = (await platform.ok<{ secret: string }>("POST", `/platform/tenants/${issuer.id}/keys`, { name: "admin", scopes: ["admin"] })).secret;
    const { products } = await admin("/products");
    const product = products.find((p: { kind: string }) => p.kind === "card_key");
    const from = new Date(Date.now() + 8 * 3_600_000 - 14 * 86_400_000).toISOString().slice(0, 10);
    await admin("/settlements/agreements", "POST", { productId: product.id, issuer: { kind: "tenant", tenantId: issuer.id }, share: { kind: "bps", bps: 3000 }, periodKind: "week", effectiveFrom: from });

    const page: Page = await signedInPage(browser(), `${baseUrl}/admin/settlements/`, issuerKey);
    const row = page.locator("#agreements tr", { hasText: product.name });
    await expect.poll(() => row.textContent()).toContain("待发行方确认");
    expect(await row.textContent()).toContain("销售方：Demo Brand");
    await row.getByRole("button", { name: "接受" }).click();
    await expect.poll(() => row.textContent()).toContain("已生效");
    expect(await row.textContent()).toContain("30.00%");
    await row.getByRole("button", { name: "结算上一周期" }).click();
    await expect.poll(() => page.textContent("#ag-msg")).toContain("已结算");
    const statement = page.locator("#statements tr").first();
    await expect.poll(() => statement.textContent()).toContain("Demo");
    await statement.getByRole("button", { name: "明细" }).click();
    await expect.poll(() => page.textContent("#lines")).toContain(product.name);
    expect(await page.textContent("#d-ledger")).toMatch(/链尾哈希 [0-9a-f]{16}…/);
    expect(await page.textContent("#pubkey")).toMatch(/^[A-Za-z0-9_-]{43} \([0-9a-f]{16}\)$/);
    await fitsThePhone(page);
    await screenshot(page, "settlement-issuer");

    const seller = await signedInPage(browser(), `${baseUrl}/admin/settlements/`, keys.admin!);
    await expect.poll(() => seller.locator("#statements").textContent()).toContain("星河权益");
    await expect.poll(() => seller.locator("#agreements").textContent()).toContain("发行方：星河权益");
    await fitsThePhone(seller);
    await screenshot(seller, "settlement-seller");
  });
});
