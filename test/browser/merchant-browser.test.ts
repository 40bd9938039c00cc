import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { buyAsGuest } from "../../scripts/lib/seed-redemption";
import { fitsThePhone, merchantPage, pageErrors, phoneContext, phonePage, screenshot, useChromium } from "./chromium";

const browser = useChromium();


/** A guest buys and pays inside the page (so the session cookie is the browser's); the code of their first voucher. */
function buyInPage(page: Page, productId: string): Promise<string> {
  return page.evaluate(async (productId) => {
    await fetch("/api/v1/shop/demo/guest", { method: "POST" });
    const o: { checkoutUrl: string } = await (await fetch("/api/v1/shop/demo/orders", {
      method: "POST", headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() }, body: JSON.stringify({ productId }),
    })).json();
    await fetch(`${o.checkoutUrl}/pay`, { method: "POST" });
    const mine: { vouchers: { code: string }[] } = await (await fetch("/api/v1/shop/demo/vouchers")).json();
    return mine.vouchers[0]!.code;
  }, productId);
}
describe("merchant console and verify page on a phone", () => {
  it("redeems a typed code once, then says when and where it was redeemed; the verify page shows it live", async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const { products } = await admin.ok<{ products: { id: string; name: string; kind: string; status: string }[] }>("GET", "/products");
    const coupon = products.find((p) => p.kind === "coupon" && p.status === "published");
    expect(coupon, "the seed publishes a coupon").toBeTruthy();
    const code = (await buyAsGuest(baseUrl, "demo", coupon!.id))!;
    expect(code).toMatch(/^vc_/);

    const context = await phoneContext(browser());
    const verify = await context.newPage();
    await verify.goto(`${baseUrl}/verify/?code=${code}`);
    await expect.poll(() => verify.textContent("#live-status"), { timeout: 10_000 }).toContain("可使用");

    const { page, errors } = await merchantPage(context, baseUrl, keys.redeemer!, "南京西路旗舰店");
    await page.fill("#code", code);
    await page.fill("#amount", "80");
    await page.click("#form button[type=submit]");
    await expect.poll(() => page.textContent("#result"), { timeout: 10_000 }).toContain("满 100.00 元可用");
    // The clerk sees which voucher was refused, and its validity.
    expect(await page.textContent("#result .refused-voucher")).toMatch(new RegExp(`${coupon!.name}.*有效期 \\d{4}-\\d{2}-\\d{2} ~ `));
    await page.fill("#amount", "120");
    await page.click("#form button[type=submit]");
    await expect.poll(() => page.textContent("#result"), { timeout: 10_000 }).toContain("核销成功");
    await screenshot(page, "merchant-redeemed");
    // Ready for the next customer: their code and their own basket.
    expect([await page.inputValue("#code"), await page.inputValue("#amount")]).toEqual(["", ""]);
    await page.fill("#code", code);
    await page.click("#form button[type=submit]");
    await expect.poll(() => page.textContent("#result"), { timeout: 10_000 }).toContain("该券已被核销");
    expect(await page.textContent("#result")).toContain("南京西路旗舰店");
    expect(await page.locator("#history li.ok").count()).toBeGreaterThanOrEqual(1);
    await fitsThePhone(page);
    await screenshot(page, "merchant-already-redeemed");

    // The verify page polls with ETag and flips to "redeemed" without a reload.
    await expect.poll(() => verify.textContent("#live-status"), { timeout: 15_000 }).toContain("已核销");
    expect(await verify.textContent("#live-redeemed")).toContain("南京西路旗舰店");
    await screenshot(verify, "verify-redeemed");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the holder a QR code and flips the voucher to redeemed live; the store page shows the integrity index", async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const { products } = await admin.ok<{ products: { id: string; kind: string; status: string }[] }>("GET", "/products");
    const coupon = products.find((p) => p.kind === "coupon" && p.status === "published")!;
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/shop/?t=demo`);
    await expect.poll(() => page.textContent("#integrity"), { timeout: 10_000 }).toContain("品牌诚信指数");
    const code = await buyInPage(page, coupon.id);
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    const card = page.locator(`article.voucher[data-code="${code}"]`);
    await expect.poll(() => card.locator(".voucher-qr svg").count(), { timeout: 10_000 }).toBe(1);
    await screenshot(page, "my-vouchers-qr");
    const redeemed = await new ApiClient(baseUrl, keys.redeemer!).request("POST", "/redemptions", { code, orderAmountCents: 15000 }, { "idempotency-key": crypto.randomUUID() });
    expect(redeemed.status).toBe(200);
    // Live, without a reload: the card the holder is showing stays where it is and reads 已核销, with when and where,
    // and its QR code is gone.
    const item = page.locator(`article.voucher[data-code="${code}"]`);
    await expect.poll(() => item.innerText(), { timeout: 15_000 }).toContain("已核销");
    await expect.poll(() => item.locator(".redeemed-at").textContent(), { timeout: 10_000 }).toContain("南京西路旗舰店");
    expect(await item.locator(".voucher-qr").count()).toBe(0);
    await screenshot(page, "my-vouchers-redeemed-live");
    // The clerk undoes it (扫错券): the same card is usable again, QR code back, still without a reload.
    const undone = await new ApiClient(baseUrl, keys.redeemer!).request("POST", `/redemptions/${(redeemed.data as { id: string }).id}/reverse`, { reason: "扫错券" }, { "idempotency-key": crypto.randomUUID() });
    expect(undone.status, JSON.stringify(undone.data)).toBe(200);
    await expect.poll(() => item.locator(".voucher-qr svg").count(), { timeout: 15_000 }).toBe(1);
    expect(await item.innerText()).not.toContain("已核销");
    // Redeemed for good: once the holder changes tab, it is filed under 已使用.
    const again = await new ApiClient(baseUrl, keys.redeemer!).request("POST", "/redemptions", { code, orderAmountCents: 15000 }, { "idempotency-key": crypto.randomUUID() });
    expect(again.status).toBe(200);
    await expect.poll(() => item.innerText(), { timeout: 15_000 }).toContain("已核销");
    await page.click('[role=tab][data-tab="expired"]');
    await page.click('[role=tab][data-tab="usable"]');
    expect(await item.count()).toBe(0);
    await page.click('[role=tab][data-tab="used"]');
    await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(1);
    expect(await item.innerText()).toContain("已核销");
    await context.close();
  });

  it("a coupon whose window has not opened says from when, in China time, and offers no QR code or 去使用 yet", async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    // Opens at 00:00 China time on the 1st, i.e. 16:00 UTC the day before.
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "coupon", name: "下月到店券", subtitle: "到店立减 10 元", scope: "全部门店", usageRules: "每单限用一张", tutorial: "出示二维码",
      priceCents: 100, faceValueCents: 1000, stockTotal: 10,
      validity: { kind: "fixed", validFrom: "2099-05-31T16:00:00.000Z", validTo: "2099-06-30T15:59:59.000Z" },
      config: { coupon: { thresholdCents: 0, discountCents: 1000, online: false } },
    });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    const context = await phoneContext(browser(), { timezoneId: "Asia/Shanghai" });
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${baseUrl}/shop/?t=demo`);
    const code = await buyInPage(page, product.id);
    // The store refuses it until then.
    const refused = await new ApiClient(baseUrl, keys.redeemer!).request("POST", "/redemptions", { code }, { "idempotency-key": crypto.randomUUID() });
    expect(refused.status).toBe(409);
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    const card = page.locator(`article.voucher[data-code="${code}"]`);
    await expect.poll(() => card.count(), { timeout: 10_000 }).toBe(1);
    const text = await card.innerText();
    expect(text).toContain("未生效，2099/06/01 00:00 起可用");
    expect(text).toContain("有效期：2099-06-01 ~ 2099-06-30");
    expect(text).not.toContain("可使用");
    expect(await card.locator(".voucher-qr").count()).toBe(0);
    expect(await card.locator("button.use").count()).toBe(0);
    await screenshot(page, "my-vouchers-not-yet-valid");
    // The same buyer on a phone set to another zone (abroad): the window's days are still the brand's China days, as
    // the product page states them, not the phone's (which would end it on 2099-06-30 at 15:59 and say so a day early).
    const abroad = await phoneContext(browser(), { timezoneId: "America/Los_Angeles", storageState: await context.storageState() });
    const there = await abroad.newPage();
    await there.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    const card2 = there.locator(`article.voucher[data-code="${code}"]`);
    await expect.poll(() => card2.count(), { timeout: 10_000 }).toBe(1);
    expect(await card2.innerText()).toContain("有效期：2099-06-01 ~ 2099-06-30");
    await abroad.close();
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the brand admin an intact ledger, publishes a checkpoint, lists stores and complaints", async () => {
    const { baseUrl, keys } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/admin/trust/`);
    await page.fill("#op-key", keys.admin!);
    await page.click("#key-form button[type=submit]");
    await expect.poll(() => page.textContent("#ledger"), { timeout: 10_000 }).toContain("完整");
    await expect.poll(() => page.locator("#stores tr").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    await page.click("#checkpoint");
    await expect.poll(() => page.textContent("#ledger"), { timeout: 10_000 }).toMatch(/快照/);
    await screenshot(page, "admin-trust");
    expect(errors).toEqual([]);
    await context.close();
  });
});
