import { describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";

const browser = useChromium();

describe("我的卡券 on a phone: a delivered direct recharge", () => {
  it("offers 申请售后 on its order with a recharge's problems (未到账, 充错账号), not a key's 卡密/券码无效 report", { timeout: 120_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    // A recharge product of its own, served by a supplier the sandbox injects no faults into: this journey is about
    // the after-sale page, and the demo's cheap supplier hangs 5% of its calls (then the order waits minutes for the
    // cron's status poll; it did, past 3 minutes, in a CI run).
    const admin = new ApiClient(baseUrl, keys.admin!);
    const demoSupplier = (await admin.ok<{ suppliers: { baseUrl: string }[] }>("GET", "/suppliers")).suppliers[0]!;
    const name = `aftersaleco-${Date.now().toString(36)}`;
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "direct_recharge", name: "话费直充 30 元（售后演练）", priceCents: 2980, faceValueCents: 3000, validity: { kind: "relative", days: 1 }, scope: "大陆手机号", stockTotal: 100,
    });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    await admin.ok("POST", "/suppliers", { name, baseUrl: `${demoSupplier.baseUrl.replace(/\/[^/]+$/, "")}/${name}`, products: [{ productId: product.id, sku: "PHONE-30", costCents: 2900 }] });
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${product.id}`);
    await expect.poll(() => page.locator("#buy-btn").isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.fill("#acct", "13800138000");
    await page.click("#buy-btn");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => page.textContent("#order strong"), { timeout: 30_000 }).toBe("已充值");

    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await page.click("[role=tab][data-tab=used]");
    const card = page.locator("article.voucher", { hasText: "话费直充 30 元" });
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);
    expect(await card.textContent()).not.toContain("申请补偿");
    expect(await card.locator("select").count()).toBe(0);
    const link = card.locator("a.recharge-after-sale");
    expect(await link.textContent()).toBe("未到账或充错账号？申请售后 →");
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, "recharge-voucher-after-sale-link");
    await fitsThePhone(page);

    await link.click();
    await page.waitForURL(/\/shop\/order\/.*#after-sale$/, { timeout: 10_000 });
    await expect.poll(() => page.locator("#ticket-form").isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.$$eval("#t-reason option", (os) => os.map((o) => o.textContent))).toEqual(["未到账", "充错账号", "其他"]);
    await page.fill("#t-body", "充值显示成功，但手机没有收到到账短信");
    await page.click("#ticket-form button[type=submit]");
    await expect.poll(() => page.textContent("#as-msg")).toBe("已提交，客服会尽快回复");
    await expect.poll(() => page.textContent("#my-tickets")).toContain("未到账");
    await screenshot(page, "recharge-ticket-opened");
    expect(errors).toEqual([]);
    await context.close();
  });
});
