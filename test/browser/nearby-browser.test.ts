import { describe, expect, inject, it } from "vitest";
import { FULL_SCREEN, fitsThePhone, phonePage, screenshot, signedInPage, useChromium } from "./chromium";
import { admin } from "./stack";

const browser = useChromium();
/** Near 徐家汇 in Shanghai (WGS-84), as Chromium's geolocation override reports it. */
const XUJIAHUI = { latitude: 31.19, longitude: 121.43 };

describe("nearby stores and recommendations on a phone (issue 19 items 6–7)", () => {
  it("其他人也买了 on a product → buy the coupon → 适用门店 nearest first from the location, by city, and without permission → 为你推荐", async () => {
    const { baseUrl, keys } = inject("stack");
    const { products } = await admin("/products");
    const coupon = products.find((p: any) => p.name === "满100减20券");
    const origin = new URL(baseUrl).origin;
    const { context, page, errors } = await phonePage(browser(), { ...FULL_SCREEN, geolocation: XUJIAHUI, permissions: ["geolocation"] });
    await context.grantPermissions(["geolocation"], { origin });

    // The product page: the article first, then the demo's co-purchases in the reserved box below.
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${coupon.id}`);
    const reco = page.locator("#reco-product");
    await expect.poll(() => reco.locator(".reco-item").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await reco.locator("h2").textContent()).toBe("其他人也买了");
    const names = await reco.locator(".reco-name").allTextContents();
    expect(names[0]).toBe("音乐会员月卡"); // bought with it by two demo buyers; 视频会员月卡 by one
    expect(names).not.toContain("满100减20券");
    await reco.scrollIntoViewIfNeeded();
    await screenshot(page, "nearby-product-also-bought");
    await fitsThePhone(page);

    // Buy it (a guest) and pay at the sandbox gateway.
    await expect.poll(() => page.locator("#buy-btn").isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.click("#buy-btn");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });

    // 我的卡券: the coupon's 适用门店, sorted by distance from the phone's location (permission already granted).
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    const card = page.locator("article.voucher", { hasText: "满100减20券" }).first();
    await expect.poll(() => card.isVisible(), { timeout: 15_000 }).toBe(true);
    await card.locator(".voucher-stores summary").click();
    const stores = card.locator(".nearby-store b");
    await expect.poll(() => stores.allTextContents(), { timeout: 15_000 }).toEqual(["徐家汇店", "南京西路旗舰店", "北京三里屯店"]);
    expect(await card.locator(".ns-dist").first().textContent()).toMatch(/^\d+ m$|^\d\.\d km$/);
    expect(await card.locator(".voucher-stores [role=status]").textContent()).toBe("离你最近的在前");
    expect(await card.locator(".ns-map").first().getAttribute("href")).toContain("coordinate=wgs84");
    expect(await card.locator(".ns-facts").first().textContent()).toMatch(/营业中|已打烊/);
    await card.locator(".voucher-stores").scrollIntoViewIfNeeded();
    await screenshot(page, "nearby-voucher-stores");
    await fitsThePhone(page);

    // A chosen city instead.
    await card.locator(".ns-city").selectOption("北京");
    await expect.poll(() => stores.allTextContents(), { timeout: 10_000 }).toEqual(["北京三里屯店"]);

    // Location refused (withdrawn, then a later visit: a page keeps a permission it was granted): the list stays
    // usable and says to choose a city.
    await context.clearPermissions();
    await page.reload();
    await card.locator(".voucher-stores summary").click();
    await expect.poll(() => stores.count(), { timeout: 15_000 }).toBe(3);
    await card.locator(".ns-city").selectOption("北京");
    await expect.poll(() => stores.allTextContents(), { timeout: 10_000 }).toEqual(["北京三里屯店"]);
    await card.locator(".ns-locate").click();
    await expect.poll(() => card.locator(".voucher-stores [role=status]").textContent(), { timeout: 10_000 }).toContain("选择城市");
    expect(await stores.allTextContents()).toEqual(["北京三里屯店"]);
    await screenshot(page, "nearby-voucher-no-permission");

    // 会员中心: 为你推荐 (this new guest has no history: the brand's top products, minus the coupon they hold).
    await page.goto(`${baseUrl}/shop/member/?t=demo`);
    const forYou = page.locator("#reco-member");
    await expect.poll(() => forYou.locator(".reco-item").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await forYou.locator("h2").textContent()).toBe("为你推荐");
    expect(await forYou.locator(".reco-name").allTextContents()).not.toContain("满100减20券");
    await forYou.scrollIntoViewIfNeeded();
    await screenshot(page, "nearby-member-for-you");
    await fitsThePhone(page);
    // A tap opens the product (recommendation_clicked goes to /track on the way).
    const tracked = page.waitForRequest((r) => r.url().endsWith("/api/v1/track") && (r.postData() ?? "").includes("recommendation_clicked"));
    await forYou.locator(".reco-item").first().click();
    await tracked;
    await page.waitForURL(/\/shop\/product\/\?t=demo&id=/);
    expect(errors).toEqual([]);
    await context.close();

    // The operator's store list shows where each store is and its hours.
    const console = await signedInPage(browser(), `${baseUrl}/admin/trust/`, keys.admin!);
    const row = console.locator("#stores tr", { hasText: "徐家汇店" });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain("31.1955, 121.4375");
    expect(await row.textContent()).toContain("周一–周四 10:00-21:00；周五–周六 10:00-02:00；周日 10:00-21:00");
    await screenshot(console, "nearby-admin-stores");
    await console.context().close();
  });
});
