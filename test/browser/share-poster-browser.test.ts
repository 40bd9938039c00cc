import jsQR from "jsqr";
import type { Server } from "node:http";
import { afterAll, describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, SCREENSHOT_DIR, screenshot, useChromium } from "./chromium";
import { api, serveHtml } from "./stack";
import { chinaDay } from "../../worker/domain/china-time";

const browser = useChromium();
const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));
const DAY = 86_400_000;

/** The poster's QR corner as pixels (canvas 600×960; the QR sits bottom right), decoded like a phone camera would. */
async function decodePosterQr(page: import("playwright-core").Page): Promise<string | null> {
  const { w, h, px } = await page.evaluate<{ w: number; h: number; px: number[] }>(`(() => {
    const img = document.querySelector("[data-share-poster] canvas").getContext("2d").getImageData(260, 640, 340, 320);
    return { w: img.width, h: img.height, px: Array.from(img.data) };
  })()`);
  return jsQR(Uint8ClampedArray.from(px), w, h)?.data ?? null;
}

/** Three widget modes on a brand's own page, their public endpoints answered by the contract of schema/growth-widget.ts. */
const widgetHost = (base: string) => `<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width,initial-scale=1"></head><body>
<script src="${base}/widget.js" data-tenant="demo" data-group-buy="gb_demo" async></script>
<script src="${base}/widget.js" data-tenant="demo" data-assist="as_demo" async></script>
<script src="${base}/widget.js" data-tenant="demo" data-invite="inv_demo" async></script></body></html>`;
const CONTRACT: Record<string, unknown> = {
  "group-buys/gb_demo": { id: "gb_demo", name: "视频会员月卡 3人团", priceCents: 1990, groupPriceCents: 990, size: 3, teamMinutes: 30, openTeams: 2, autoComplete: true },
  "assists/as_demo": { id: "as_demo", name: "好友助力领月卡", goal: 5, minutes: 1440, reward: "视频会员月卡" },
  "invites/inv_demo": { id: "inv_demo", name: "邀请有礼", inviterReward: "¥10 券", inviteeReward: "¥5 券" },
};

describe("share posters: draw, scan, attribute", () => {
  it("a member's product poster carries their share link as a QR; a friend who scans it and buys is attributed; the dashboard shows it", async () => {
    const { baseUrl, keys } = inject("stack");
    const sharer = await phonePage(browser());
    await sharer.page.goto(`${baseUrl}/shop/?t=demo`);
    await sharer.page.getByText("视频会员月卡").first().click();
    const poster = sharer.page.locator("[data-share-poster]");
    await poster.waitFor({ state: "visible", timeout: 15_000 });
    await poster.getByRole("button", { name: "生成分享海报" }).click();
    await expect.poll(() => sharer.page.getAttribute("[data-poster-img]", "src"), { timeout: 15_000 }).toMatch(/^data:image\/png;base64,/);
    expect(await sharer.page.getAttribute("[data-poster-save]", "href")).toMatch(/^data:image\/png/);
    const shareUrl = (await poster.getAttribute("data-share-url"))!;
    expect(shareUrl).toMatch(new RegExp(`^${baseUrl}/shop/product/\\?t=demo&id=[\\w-]+&share=[A-Za-z0-9]{12,}$`));
    expect(await decodePosterQr(sharer.page)).toBe(shareUrl);
    await sharer.page.locator("[data-poster-img]").scrollIntoViewIfNeeded();
    await fitsThePhone(sharer.page);
    await screenshot(sharer.page, "share-poster-product");

    // A friend scans it on another phone: lands on the product with the code, buys as a guest (their sign-up).
    const friend = await phonePage(browser());
    await friend.page.goto(shareUrl);
    await expect.poll(() => friend.page.locator("#buy-btn").isEnabled(), { timeout: 15_000 }).toBe(true);
    await friend.page.click("#buy-btn");
    await friend.page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });

    // The warehouse attributes the sign-up to the sharer's product share (referral_signed_up through the code).
    // Bare dates are China days (a UTC date is a day behind from 16:00 UTC).
    const range = `from=${chinaDay(Date.now() - DAY)}&to=${chinaDay(Date.now() + DAY)}`;
    const productRow = async () => (await api(`/analytics/growth?${range}`, keys.analyst)).rows.find((r: any) => r.mechanism === "product");
    await expect.poll(async () => (await productRow())?.inviteeSignups, { timeout: 60_000, interval: 1_000 }).toBe(1);
    expect(await productRow()).toMatchObject({ sharers: 1, shares: 1, kFactor: 1 });

    const dash = await sharer.context.newPage();
    await dash.goto(`${baseUrl}/dashboard/`);
    await dash.fill("#key", keys.analyst!);
    await dash.click("#key-form button[type=submit]");
    const growth = dash.locator("#view-growth .table");
    await expect.poll(() => growth.textContent(), { timeout: 30_000 }).toContain("商品分享");
    const rows = await dash.locator("#view-growth .table tbody tr").allTextContents();
    expect(rows.find((r) => r.startsWith("商品分享"))).toMatch(/^商品分享111/); // sharers 1, shares 1, invitee sign-ups 1
    expect(rows.find((r) => r.startsWith("拼团"))).toMatch(/%/); // the demo history's teams: a success rate
    await dash.locator("#view-growth").scrollIntoViewIfNeeded();
    await screenshot(dash, "share-poster-dashboard-growth");
    await dash.locator("#view-growth").screenshot({ path: `${SCREENSHOT_DIR}/share-poster-growth-view.png`, scale: "css" });
    expect([...sharer.errors, ...friend.errors]).toEqual([]);
    await friend.context.close();
    await sharer.context.close();
  });

  it("the flash-sale page draws a campaign poster; the widget shows a group buy, an assist and an invite programme", async () => {
    const { baseUrl, keys } = inject("stack");
    const { products } = await api("/products", keys.admin);
    const video = products.find((p: any) => p.name === "视频会员月卡");
    const now = Date.now();
    const flash = await api("/campaigns", keys.admin, "POST", {
      kind: "flash_sale", name: "海报秒杀", productId: video.id, priceCents: 990, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
    });
    const { page, context, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${flash.id}`);
    await page.getByRole("button", { name: "生成分享海报" }).click();
    await expect.poll(() => page.getAttribute("[data-poster-img]", "src"), { timeout: 15_000 }).toMatch(/^data:image\/png/);
    const url = await page.locator("[data-share-poster]").getAttribute("data-share-url");
    expect(url).toContain(`/campaigns/flash/?t=demo&id=${flash.id}&share=`);
    expect(await decodePosterQr(page)).toBe(url);
    await page.locator("[data-poster-img]").scrollIntoViewIfNeeded();
    await screenshot(page, "share-poster-flash");

    const host = await serveHtml(widgetHost(baseUrl));
    servers.push(host.server);
    const brand = await context.newPage();
    await brand.route(`${baseUrl}/api/v1/public/demo/**`, (route) => {
      const key = new URL(route.request().url()).pathname.replace("/api/v1/public/demo/", "");
      const body = CONTRACT[key];
      return route.fulfill({ status: body ? 200 : 404, contentType: "application/json", headers: { "access-control-allow-origin": "*" }, body: JSON.stringify(body ?? { error: { code: "not_found" } }) });
    });
    await brand.goto(host.origin);
    await expect.poll(() => brand.locator("kaquan-growth").allTextContents().then(() => brand.locator("kaquan-growth .c").count()), { timeout: 15_000 }).toBe(3);
    const text = (await brand.locator("kaquan-growth .c").allInnerTexts()).join("\n");
    expect(text).toContain("拼团价 ¥9.90");
    expect(text).toContain("3 人成团 · 30 分钟内");
    expect(text).toContain("非真实用户"); // auto-completion is disclosed
    expect(text).toContain("邀请 5 位好友助力，24 小时内完成即得：视频会员月卡");
    expect(text).toContain("你得 ¥10 券，好友得 ¥5 券");
    expect(await brand.locator("kaquan-growth a.pay").first().getAttribute("href")).toBe(`${baseUrl}/shop/group/?t=demo&id=gb_demo`);
    await screenshot(brand, "share-poster-widget-growth");
    expect(errors).toEqual([]);
    await context.close();
  });
});
