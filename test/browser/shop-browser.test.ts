import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, signInWithPhone, useChromium } from "./chromium";

const browser = useChromium();

describe("shop on a phone: buy a card key as a guest, pay on the sandbox, see the key, sign in by phone", () => {
  it("product → sandbox checkout → order shows the key → my vouchers after OTP sign-in", async () => {
    const { baseUrl } = inject("stack");
    // A phone in China: order times are shown in China time, not the API's UTC.
    const { context, page, errors } = await phonePage(browser(), { timezoneId: "Asia/Shanghai" });

    // A guest is no member: the product page does not ask for the stored-value wallet (a 401/403 the console logs).
    const walletAsks: string[] = [];
    const consoleErrors: string[] = [];
    page.on("request", (r) => void (r.url().includes("/member/wallet") && walletAsks.push(r.url())));
    page.on("console", (m) => void (m.type() === "error" && consoleErrors.push(`${m.text()} ${m.location().url}`)));
    await page.goto(`${baseUrl}/shop/?t=demo`);
    await page.getByText("视频会员月卡").first().click();
    // The buy form is on screen from the start (no layout shift); the button enables once the product has loaded.
    await expect.poll(() => page.locator("#buy-btn").isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.waitForLoadState("networkidle");
    expect(walletAsks).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(await page.textContent("#product")).toContain("适用范围");
    await screenshot(page, "shop-product-phone");
    await page.click("#buy-btn");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    expect(await page.textContent("body")).toContain("¥19.90");
    await screenshot(page, "shop-checkout-phone");
    const cashier = page.url();
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    expect(await page.textContent(".secret")).toMatch(/^VIDEO-[0-9A-F]{16}$/);
    await screenshot(page, "shop-order-phone");
    const orderId = new URL(page.url()).searchParams.get("o")!;
    const createdAt: string = await page.evaluate(`fetch("/api/v1/shop/demo/orders/${orderId}").then((r) => r.json()).then((b) => b.order.createdAt)`);
    const china = (seconds: boolean) => new Date(createdAt).toLocaleString("zh-CN", {
      timeZone: "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}),
    });
    expect(await page.textContent("#order")).toContain(china(true));
    await page.goto(`${baseUrl}/shop/orders/?t=demo`);
    await expect.poll(() => page.textContent("body"), { timeout: 10_000 }).toContain(china(false));
    expect(await page.textContent("body")).not.toContain(createdAt.replace("T", " ").slice(0, 16));

    // An order cancelled unpaid stays findable (已关闭), and its page says what happened and where to go next.
    const cancelled: string = await page.evaluate(`(async () => {
      const { products } = await (await fetch("/api/v1/shop/demo/products")).json();
      const coupon = products.find((p) => p.kind === "coupon");
      const o = await (await fetch("/api/v1/shop/demo/orders", { method: "POST", headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() }, body: JSON.stringify({ productId: coupon.id }) })).json();
      await fetch("/api/v1/shop/demo/orders/" + o.id + "/cancel", { method: "POST" });
      return o.id;
    })()`);
    await page.goto(`${baseUrl}/shop/orders/?t=demo&tab=closed`);
    await expect.poll(() => page.locator(`.order[data-id="${cancelled}"]`).count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator(`.order[data-id="${cancelled}"]`).textContent()).toContain("已取消");
    await page.locator(`.order[data-id="${cancelled}"] a.view`).click();
    await expect.poll(() => page.textContent("#closed-note"), { timeout: 10_000 }).toContain("订单已取消");
    await screenshot(page, "shop-order-cancelled");

    // The cashier of a delivered order says so in words (not the raw status), in Chinese and in English.
    await page.goto(cashier);
    expect(await page.textContent("#state")).toBe("该订单已完成，无需支付。");
    expect(await page.textContent("body")).not.toContain("delivered");
    await page.goto(`${cashier}${cashier.includes("?") ? "&" : "?"}lang=en`);
    expect(await page.textContent("#state")).toBe("This order is complete; nothing to pay.");
    expect(await page.textContent("body")).toContain("Back to the merchant");
    await fitsThePhone(page);

    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await expect.poll(() => page.locator(".voucher").count(), { timeout: 10_000 }).toBe(1);
    // A card key is redeemed online in the app: no store QR code, no "show this at the store".
    expect(await page.textContent("#list")).not.toContain("到店出示");
    const phone = `139${String(Date.now()).slice(-8)}`;
    await signInWithPhone(page, phone);
    // the guest's voucher moved to the phone account
    await expect.poll(() => page.locator(".voucher").count(), { timeout: 10_000 }).toBe(1);
    await screenshot(page, "shop-vouchers-phone");
    await fitsThePhone(page);
    expect(errors).toEqual([]);
    await context.close();
  });
});
