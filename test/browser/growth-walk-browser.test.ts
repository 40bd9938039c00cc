import { describe, expect, inject, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";

/**
 * Session 66's walk through the growth features as visitors of a brand other than the demo store (the demo store is
 * what a page falls back to without ?t=, which hid both defects below).
 */
const browser = useChromium();
const FUTURE = { kind: "fixed", validFrom: "2026-01-01T00:00:00.000Z", validTo: "2030-01-01T00:00:00.000Z" };

async function brand() {
  const { baseUrl } = inject("stack");
  const platform = new ApiClient(baseUrl, loadDevVars().PLATFORM_ADMIN_TOKEN);
  const slug = `walk-${Date.now().toString(36)}`;
  const made = await platform.ok<{ id: string }>("POST", "/platform/tenants", { slug, name: "增长品牌" });
  const key = (await platform.ok<{ secret: string }>("POST", `/platform/tenants/${made.id}/keys`, { name: "admin", scopes: ["admin"] })).secret;
  return { baseUrl, slug, own: new ApiClient(baseUrl, key) };
}

describe("growth walk on a phone, at a brand that is not the demo store", () => {
  it("a campaign link without ?t= is the campaign's own store: a buyer of that brand claims there", { timeout: 60_000 }, async () => {
    const { baseUrl, slug, own } = await brand();
    const coupon = await own.ok<{ id: string }>("POST", "/products", {
      kind: "coupon", name: "满10减3券", priceCents: 0, faceValueCents: 300, validity: FUTURE, scope: "全场商品",
      config: { coupon: { thresholdCents: 1000, discountCents: 300, online: true } },
    });
    await own.ok("POST", `/products/${coupon.id}/status`, { status: "published" });
    const campaign = await own.ok<{ id: string }>("POST", "/campaigns", {
      kind: "coupon_claim", name: "领满10减3券", productId: coupon.id, stock: 10, perUserLimit: 1, shards: 1,
      startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const { context, page, errors } = await phonePage(browser());
    // A buyer of this brand (its own session cookie), then the campaign's link as the README writes it: no ?t=.
    await page.goto(`${baseUrl}/shop/?t=${slug}`);
    expect(await page.evaluate(async (s) => (await fetch(`/api/v1/shop/${s}/guest`, { method: "POST" })).status, slug)).toBeLessThan(300);
    await page.goto(`${baseUrl}/campaigns/flash/?id=${campaign.id}`);
    await expect.poll(() => page.url()).toContain(`t=${slug}`);
    await expect.poll(() => page.locator("#go").isEnabled(), { timeout: 15_000 }).toBe(true);
    const claim = page.waitForResponse((r) => r.url().includes("/claims") && r.request().method() === "POST");
    await page.click("#go");
    expect((await claim).status()).toBe(200);
    await expect.poll(() => page.textContent("#result"), { timeout: 15_000 }).toContain("领取成功");
    // The tab bar stays in the brand's store.
    expect(await page.getAttribute(".tabbar a[data-tab=me]", "href")).toContain(`t=${slug}`);
    await screenshot(page, "growth-walk-tless-campaign-claim");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a member's product page says 会员价 with the list price: the amount on the button is explained", { timeout: 60_000 }, async () => {
    const { baseUrl, slug, own } = await brand();
    await own.ok("POST", "/members/tiers", { name: "会员", rank: 0, growthThreshold: 0, privileges: { percentOff: 10 } });
    const p = await own.ok<{ id: string }>("POST", "/products", {
      kind: "card_key", name: "视频会员月卡", priceCents: 1990, faceValueCents: 2500, validity: FUTURE, scope: "视频 App 全端会员", tutorial: "兑换中心输入卡密",
    });
    await own.ok("POST", `/products/${p.id}/keys/import`, { rows: [{ line: 1, secret: `WALK-${slug}-A1B2C3` }] });
    await own.ok("POST", `/products/${p.id}/status`, { status: "published" });
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/shop/?t=${slug}`);
    const joined = await page.evaluate(async (s) => {
      await fetch(`/api/v1/shop/${s}/guest`, { method: "POST" });
      return (await fetch(`/api/v1/shop/${s}/member/join`, { method: "POST" })).status;
    }, slug);
    expect(joined).toBe(200);
    await page.goto(`${baseUrl}/shop/product/?t=${slug}&id=${p.id}`);
    // No coupon held: the tier price alone, 19.90 × 90% = 17.91, said next to the button that charges it.
    await expect.poll(() => page.locator("#member-price").isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#member-price")).toContain("会员价 ¥17.91");
    expect(await page.textContent("#member-price")).toContain("¥19.90");
    expect(await page.textContent("#buy-btn")).toContain("¥17.91");
    await page.locator("#buy").scrollIntoViewIfNeeded();
    await screenshot(page, "growth-walk-member-price");
    await fitsThePhone(page);
    // The cashier asks for the same amount.
    await page.click("#buy-btn");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    expect(await page.textContent("body")).toContain("¥17.91");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("the dashboard's two K-factors say their denominators (participants vs sharers), so 0.50 and 1 for one campaign are explained", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/dashboard/`);
    expect(await page.textContent("#h-kfactor")).toContain("受邀注册 ÷ 参与人数");
    expect(await page.textContent("#h-growth")).toContain("受邀注册 ÷ 分享人数");
    // The invite row's sharers and invitees include the invites accepted through a plain link: the note says so.
    expect(await page.textContent("#note-growth")).toContain("邀请一行两边都并入期间内被接受的邀请（含普通邀请链接）：分享人数并入其邀请人，受邀注册并入接受邀请的好友，每人只计一次");
    expect(errors).toEqual([]);
    await context.close();
  });
});
