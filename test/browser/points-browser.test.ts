import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, signedInPage, useChromium } from "./chromium";
import { admin, buyVideoCard } from "./stack";

const browser = useChromium();

/** Issue 17's journey: a visitor joins in the member centre, checks in, buys, earns and exchanges in the points mall. */
describe("member points on a phone", () => {
  it("join → check in → buy → earn → exchange in the mall", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    const { products } = await admin("/products");
    const coupon = products.find((p: any) => p.name === "满100减20券");
    const item = await admin("/mall/items", "POST", { productId: coupon.id, title: "满100减20券（积分兑换）", points: 20, stock: 50, perMemberLimit: 1 });

    // A visitor with a guest session (the first order or claim makes one): joining keeps what the guest holds.
    await page.goto(`${baseUrl}/shop/?t=demo`);
    await page.evaluate(async () => void (await fetch("/api/v1/shop/demo/guest", { method: "POST" })));
    await page.goto(`${baseUrl}/shop/member/?t=demo`);
    await expect.poll(() => page.isVisible("#join-btn"), { timeout: 10_000 }).toBe(true);
    await page.click("#join-btn");
    await expect.poll(() => page.textContent("#card"), { timeout: 10_000 }).toMatch(/No\. \d{4} \d{4} \d{4}/);
    const memberId = await page.evaluate(async () => ((await (await fetch("/api/v1/shop/demo/member")).json()) as { member: { memberId: string } }).member.memberId);
    expect(memberId).toMatch(/^mbr_/);

    await page.goto(`${baseUrl}/shop/member/points/?t=demo`);
    await expect.poll(() => page.textContent("#check-in"), { timeout: 10_000 }).toContain("签到");
    // What it gives is said before it is pressed (the demo's rules: 5 a day, +50 on day 7).
    expect(await page.textContent("#check-rule")).toBe("每天签到 +5 积分；连续签到 7 天额外 +50（还需签到 7 天）");
    await page.click("#check-in");
    await expect.poll(() => page.textContent("#check-msg"), { timeout: 10_000 }).toContain("签到成功");
    // The message shows first; the balance follows when the statement reloads.
    await expect.poll(() => page.textContent("#balance"), { timeout: 10_000 }).toBe("5");
    await expect.poll(() => page.locator("#check-in").isDisabled(), { timeout: 10_000 }).toBe(true);
    await screenshot(page, "points-checked-in");
    // In English the page's own headings are English too (they come from a template filled after load).
    await page.goto(`${baseUrl}/shop/member/points/?t=demo&lang=en`);
    await expect.poll(() => page.textContent("#tasks-h"), { timeout: 10_000 }).toBe("Tasks");
    expect(await page.textContent("#moves-h")).toBe("Statement");
    await page.goto(`${baseUrl}/shop/member/points/?t=demo&lang=zh`);
    await expect.poll(() => page.textContent("#tasks-h"), { timeout: 10_000 }).toBe("做任务赚积分");

    // A task not done yet leads to where it is done (the demo's 完成首笔订单: the shop), not to a dead 未完成.
    const firstOrder = page.locator("#tasks article", { hasText: "完成首笔订单" });
    await expect.poll(() => firstOrder.locator("a.go").getAttribute("href"), { timeout: 10_000 }).toBe("/shop/?t=demo");
    expect(await firstOrder.locator("a.go").textContent()).toBe("去完成");

    // Buy the ¥19.90 video card: 19 points at the default 1 point per yuan.
    await buyVideoCard(page);
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);

    await page.goto(`${baseUrl}/shop/member/points/?t=demo`);
    await expect.poll(() => page.textContent("#balance"), { timeout: 10_000 }).toBe("24");
    // Done now: its reward waits for the tap.
    await expect.poll(() => firstOrder.locator("button").textContent(), { timeout: 10_000 }).toBe("领取奖励");
    expect(await page.textContent("#moves")).toContain("购物");
    await screenshot(page, "points-earned");

    await page.goto(`${baseUrl}/shop/member/mall/?t=demo`);
    const card = page.locator(".mall-item", { hasText: "满100减20券（积分兑换）" });
    await expect.poll(() => card.locator("button").isEnabled(), { timeout: 10_000 }).toBe(true);
    await card.locator("button").click();
    await expect.poll(() => page.textContent("#msg"), { timeout: 10_000 }).toContain("兑换成功");
    await expect.poll(() => page.textContent("#balance"), { timeout: 10_000 }).toContain("4");
    await expect.poll(() => page.textContent("#mine"), { timeout: 10_000 }).toContain("已发放");
    // One per member: the item now says its limit is reached (not that points are short).
    await expect.poll(() => card.locator("button").textContent(), { timeout: 10_000 }).toBe("已达兑换上限");
    expect(await card.locator("button").isDisabled()).toBe(true);
    await screenshot(page, "points-mall-exchanged");
    await fitsThePhone(page);
    expect((await admin(`/points/members/${memberId}`)).balance).toBe(4);
    expect(item.stockLeft).toBe(50);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("the console flags a mall item whose product was unpublished after it was made, and can switch it off", { timeout: 60_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const coupon = await admin("/products", "POST", {
      kind: "coupon", name: "下架测试券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场",
      config: { coupon: { thresholdCents: 0, discountCents: 500 } }, stockTotal: 10,
    });
    await admin(`/products/${coupon.id}/status`, "POST", { status: "published" });
    await admin("/mall/items", "POST", { productId: coupon.id, title: "下架测试（积分兑换）", points: 30, stock: 10 });
    await admin(`/products/${coupon.id}/status`, "POST", { status: "draft" });

    const page = await signedInPage(browser(), `${baseUrl}/admin/points/`, keys.admin!);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const row = page.locator("#items tr", { hasText: "下架测试（积分兑换）" });
    await expect.poll(() => row.locator(".item-status").textContent(), { timeout: 10_000 }).toContain("商品已下架（草稿）");
    expect(await row.locator(".item-status.flag").count()).toBe(1);
    expect(await row.getAttribute("class")).toContain("unavailable");
    // Shown in red on a tinted row (the rows are built by the script: the page's styles must reach them).
    expect(await row.locator(".item-status.flag").evaluate((e) => (globalThis as any).getComputedStyle(e).color)).toBe("rgb(185, 28, 28)");
    expect(await row.locator("td").first().evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor)).toBe("rgb(254, 242, 242)");
    await screenshot(page, "admin-points-mall-unpublished");
    await fitsThePhone(page);
    await row.locator("button.item-toggle").click();
    await expect.poll(() => page.textContent("#item-msg"), { timeout: 10_000 }).toContain("已停用");
    await expect.poll(() => row.locator("button.item-toggle").textContent(), { timeout: 10_000 }).toBe("启用");
    expect((await admin("/mall/items")).items.find((i: any) => i.title === "下架测试（积分兑换）")).toMatchObject({ active: false, productStatus: "draft", exchangeable: false });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
