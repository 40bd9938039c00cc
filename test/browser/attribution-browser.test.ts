import { describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { phonePage, screenshot, useChromium } from "./chromium";
import { chinaDay } from "../../worker/domain/china-time";

const browser = useChromium();

describe("attribution from real pages to the dashboard", () => {
  it("a visitor from a WeChat UTM link views and buys as a guest; the dashboard's channel filter shows them", async () => {
    const { baseUrl, keys } = inject("stack");
    const channel = `wx${Date.now().toString(36)}`;
    const { context, page, errors } = await phonePage(browser());
    const tracked: string[] = [];
    page.on("request", (r) => r.url().includes("/api/v1/track") && tracked.push(r.postData() ?? ""));

    // Lands on the shop with UTM parameters, opens a product, buys it as a guest (the order starts the session).
    await page.goto(`${baseUrl}/shop/?t=demo&utm_source=${channel}&utm_medium=social&utm_campaign=spring`);
    await page.getByText("视频会员月卡").first().click();
    await expect.poll(() => page.locator("#buy-btn").isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.click("#buy-btn");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    expect(tracked.some((b) => b.includes('"page_view"'))).toBe(true);
    expect(tracked.some((b) => b.includes('"product_viewed"'))).toBe(true);
    expect(tracked.every((b) => !b.includes("userId"))).toBe(true);

    // The analyst filters the dashboard by that channel: exactly one new user, organic, on the platform's own pages.
    const dash = await context.newPage();
    await dash.goto(`${baseUrl}/dashboard/`);
    await dash.fill("#key", keys.analyst!);
    await dash.click("#key-form button[type=submit]");
    await dash.fill("input[name=channel]", channel);
    // Each try presses 筛选 and reads the table once that load has settled: on a loaded machine a query can fail (the
    // section then says so and clears its table), and an analyst presses again.
    const section = dash.locator("#view-acquisition");
    const tableRows = () => dash.locator("#view-acquisition .table tbody tr").allTextContents();
    let rows: string[] = [];
    await expect.poll(async () => {
      await dash.click("#filters button[type=submit]");
      await dash.waitForTimeout(300);
      await expect.poll(() => section.getAttribute("data-state"), { timeout: 60_000 }).not.toBe("loading");
      rows = await tableRows();
      return rows.length === 1 && rows[0]!.includes(channel);
    }, { timeout: 150_000, interval: 1_000 }).toBe(true);
    await section.scrollIntoViewIfNeeded();
    await screenshot(dash, "dashboard-attribution-phone");
    expect(rows, JSON.stringify(rows)).toHaveLength(1);
    // The source in words (自然 = organic; the CSV keeps "organic").
    expect(rows[0]).toContain("自然");
    expect(dash.url()).toContain(`channel=${channel}`);
    expect(errors).toEqual([]);
    await context.close();
    // The dashboard polls until the warehouse has the visit: events go page → worker → outbox → queue → warehouse,
    // which on a 2-core machine running every lane at once took over a minute.
  }, 240_000);

  it("a friend landing on a group team's or an assist's share link is a view: the dashboards count the group page's viewer", async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "card_key", name: `视图团测试卡 ${Date.now().toString(36)}`, priceCents: 2990, faceValueCents: 3000, validity: { kind: "relative", days: 30 }, scope: "测试",
    });
    await admin.ok("POST", `/products/${product.id}/keys/import`, { rows: [1, 2].map((n) => ({ line: n, secret: `VIEW-${product.id}-${n}` })) });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    const buy = await admin.ok<{ id: string }>("POST", "/group-buys", {
      productId: product.id, name: "两人团", groupPriceCents: 1990, teamSize: 2, teamMinutes: 30, endsAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    // The leader (no browser) opens a team, pays, and shares it; a starter asks friends to help with the demo's assist.
    const session = async () => (((await fetch(`${baseUrl}/api/v1/shop/demo/guest`, { method: "POST" })).headers.get("set-cookie") ?? "").split(";")[0]!);
    const shop = async (cookie: string, path: string, body?: unknown) =>
      (await fetch(`${baseUrl}/api/v1/shop/demo${path}`, body === undefined ? { method: "POST", headers: { cookie } } : { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<any>;
    const leader = await session();
    const team = await shop(leader, `/group-buys/${buy.id}/teams`);
    await fetch(`${baseUrl}${team.mine.checkoutUrl}/pay`, { method: "POST" });
    const groupLink = (await shop(leader, "/shares", { mechanism: "group", subjectId: team.team.id })).url as string;
    const starter = await session();
    await shop(starter, "/member/join");
    const assist = await admin.ok<{ id: string }>("POST", "/assists", {
      name: "3 人助力", productId: product.id, goal: 3, hours: 24, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString(), requirePhone: false,
    });
    const request = await shop(starter, `/assists/${assist.id}/requests`);
    const assistLink = (await shop(starter, "/shares", { mechanism: "assist", subjectId: request.code })).url as string;

    const { context, page, errors } = await phonePage(browser());
    const tracked: string[] = [];
    page.on("request", (r) => r.url().includes("/api/v1/track") && tracked.push(r.postData() ?? ""));
    await page.goto(new URL(assistLink, baseUrl).href);
    await expect.poll(() => page.isVisible("#help-btn"), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => tracked.find((b) => b.includes('"page_view"') && b.includes("/shop/assist/")), { timeout: 5_000 }).toBeTruthy();
    expect(tracked.find((b) => b.includes("/shop/assist/"))).toContain(`"shareLink":"${new URL(assistLink, baseUrl).searchParams.get("share")}"`);
    await page.goto(new URL(groupLink, baseUrl).href);
    await expect.poll(() => page.isVisible("#join"), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => tracked.find((b) => b.includes('"product_viewed"') && b.includes(product.id)), { timeout: 5_000 }).toBeTruthy();
    expect(tracked.find((b) => b.includes(product.id))).toContain(`"shareLink":"${new URL(groupLink, baseUrl).searchParams.get("share")}"`);
    // The team page is read again every 5 s: still one view.
    await page.waitForTimeout(5_500);
    expect(tracked.filter((b) => b.includes(product.id)).length).toBe(1);
    await page.click("#join");
    await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    await page.click("#pay");
    await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });

    // Top products: the group page's visitor is the product's viewer, and paid (view → paid 100%), not 0 viewers.
    const day = 86_400_000;
    const range = `from=${chinaDay(Date.now() - day)}&to=${chinaDay(Date.now() + day)}`; // China days, as the API reads bare dates
    const analyst = new ApiClient(baseUrl, keys.analyst!);
    await expect.poll(async () => {
      const row = (await analyst.ok<{ rows: any[] }>("GET", `/analytics/top_products?${range}&limit=100`)).rows.find((r) => r.productId === product.id);
      return row && { viewers: row.viewers, paidOrders: row.paidOrders, viewToPaid: row.viewToPaid };
    }, { timeout: 120_000, interval: 1_000 }).toEqual({ viewers: 1, paidOrders: 2, viewToPaid: 1 });
    expect(errors).toEqual([]);
    await context.close();
  }, 240_000);

  it("a landing on the 活动 list with UTM parameters is a view, and the sign-up on the campaign opened from it carries them", async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const run = Date.now().toString(36);
    const coupon = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "coupon", name: `列表落地券 ${run}`, priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "测试",
      stockTotal: 10, config: { coupon: { thresholdCents: 0, discountCents: 500 } },
    });
    await admin.ok("POST", `/products/${coupon.id}/status`, { status: "published" });
    const campaign = await admin.ok<{ id: string }>("POST", "/campaigns", {
      kind: "coupon_claim", name: `列表落地领券 ${run}`, productId: coupon.id, stock: 10, shards: 1,
      startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const channel = `wb${run}`;
    const { context, page, errors } = await phonePage(browser());
    const tracked: string[] = [];
    const signups: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/v1/track")) tracked.push(r.postData() ?? "");
      if (r.method() === "POST" && /\/shop\/demo\/guest$/.test(r.url())) signups.push(r.postData() ?? "");
    });
    await page.goto(`${baseUrl}/campaigns/?t=demo&utm_source=${channel}&utm_medium=social`);
    await page.click(`a[href*="${campaign.id}"]`);
    await expect.poll(() => page.locator("#go").isEnabled(), { timeout: 15_000 }).toBe(true);
    // The list itself was a view (it sent none: a visitor who only browsed it was nobody).
    expect(tracked.some((b) => b.includes('"page_view"') && b.includes('"/campaigns/"'))).toBe(true);
    await page.click("#go");
    await expect.poll(() => signups.length, { timeout: 15_000 }).toBe(1);
    // The campaign page's address has no UTM: the sign-up has the landing's (it had none, so the channel was lost).
    expect(JSON.parse(signups[0]!).acquisition).toMatchObject({ utmSource: channel, utmMedium: "social", campaignId: campaign.id });
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("a flash sale's page is a view of the product on sale, once per page view, under the campaign with its share code and UTM", async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const { products } = await admin.ok<{ products: { id: string; name: string }[] }>("GET", "/products");
    const productId = products.find((p) => p.name === "音乐会员月卡")!.id;
    const campaign = await admin.ok<{ id: string }>("POST", "/campaigns", {
      kind: "flash_sale", name: `秒杀浏览 ${Date.now().toString(36)}`, productId, priceCents: 100, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const { context, page, errors } = await phonePage(browser());
    const tracked: any[] = [];
    page.on("request", (r) => r.url().includes("/api/v1/track") && tracked.push(...JSON.parse(r.postData() ?? "{}").events));
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${campaign.id}&utm_source=wxflash&share=Sh4reC0de1`);
    await expect.poll(() => page.textContent("#go"), { timeout: 15_000 }).toBe("立即抢购");
    // The page reads the stock every 2 s: still one product view after a few of those.
    await page.waitForTimeout(4_500);
    const productViews = tracked.filter((e) => e.type === "product_viewed");
    expect(productViews).toEqual([{ type: "product_viewed", path: "/campaigns/flash/", productId, campaignId: campaign.id, shareLink: "Sh4reC0de1" }]);
    expect(tracked.filter((e) => e.type === "page_view")).toHaveLength(1);
    expect(JSON.parse((await page.evaluate(() => localStorage.getItem("kq-acq"))) ?? "{}")).toMatchObject({ utmSource: "wxflash" });
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("a buyer coming back to 我的卡券, 我的订单, an order or the member card is a view (an active day); a visitor without a session there is none", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    const tracked: { path: string; body: string }[] = [];
    page.on("request", (r) => r.url().includes("/api/v1/track") && tracked.push({ path: new URL(page.url()).pathname, body: r.postData() ?? "" }));
    const views = (path: string) => tracked.filter((t) => t.path === path && t.body.includes('"page_view"')).length;
    // Nobody yet: 我的卡券 without a session sends nothing (an anonymous device there would be a visitor of its own).
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await expect.poll(() => page.locator("#login").isVisible(), { timeout: 10_000 }).toBe(true);
    await page.waitForTimeout(1500);
    expect(views("/shop/vouchers/")).toBe(0);
    // A guest of the shop (as after a purchase) comes back.
    expect(await page.evaluate(async () => (await fetch("/api/v1/shop/demo/guest", { method: "POST" })).status)).toBeLessThan(300);
    for (const path of ["/shop/vouchers/", "/shop/orders/", "/shop/member/"]) {
      await page.goto(`${baseUrl}${path}?t=demo`);
      await expect.poll(() => views(path), { timeout: 10_000 }).toBe(1);
    }
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
