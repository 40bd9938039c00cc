import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";
import { api, serveHtml } from "./stack";

/** A brand's own page on another origin, embedding the widget with one line, with hostile-ish styles of its own. */
function hostPage(base: string, campaignId: string) {
  return `<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width,initial-scale=1">
<style>button{background:rgb(255,0,0)!important;color:rgb(255,255,0)} h3{color:rgb(0,128,0)} p{font-size:30px}</style></head>
<body><h3 id="own">品牌自己的页面</h3><p id="para">品牌文案</p>
<script>window.__events=[];for(const n of ["ready","claimed","drawn","shared","error"])document.addEventListener("kaquan:"+n,e=>window.__events.push({name:n,detail:e.detail}));</script>
<script src="${base}/widget.js" data-campaign="${campaignId}" async></script>
</body></html>`;
}

const browser = useChromium();
const servers: Server[] = [];
let allowed: string;
let refused: string;
let flashOrigin: string;
let campaignId: string;
let flashId: string;
let taskLotteryId: string;
let taskOrigin: string;

beforeAll(async () => {
  const { baseUrl, keys } = inject("stack");
  const now = Date.now();
  const { products } = await api("/products", keys.admin!);
  const prizeProduct = products.find((p: any) => p.name === "5元代金券").id;
  const video = products.find((p: any) => p.name === "视频会员月卡");
  // A flash sale may open at once (no seed to commit to first).
  flashId = (await api("/campaigns", keys.admin!, "POST", {
    kind: "flash_sale", name: "品牌页秒杀", productId: video.id, priceCents: 990, stock: 5, perUserLimit: 1, shards: 1,
    startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
  })).id;
  const campaign = await api("/campaigns", keys.admin!, "POST", {
    kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" },
    name: "品牌页幸运抽奖",
    description: "嵌入式组件测试",
    startsAt: new Date(now + 3_000).toISOString(),
    endsAt: new Date(now + 3_600_000).toISOString(),
    prizes: [{ id: "big", name: "十元券", productId: prizeProduct, stock: 50, weight: 50 }],
    noPrizeWeight: 50,
    drawsPerDay: 5,
    shards: 2,
  });
  campaignId = campaign.id;
  // One free draw a day, and one more for an optional share (the lottery page's 分享 task).
  taskLotteryId = (await api("/campaigns", keys.admin!, "POST", {
    kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "品牌页每日抽奖", description: "分享可额外获得 1 次机会",
    startsAt: campaign.startsAt, endsAt: new Date(now + 3_600_000).toISOString(),
    // Every draw wins, and perUserLimit (default 1) allows two: the second draw is refused only if the share gave none.
    prizes: [{ id: "big", name: "十元券", productId: prizeProduct, stock: 50, weight: 50 }], noPrizeWeight: 0,
    drawsPerDay: 1, perUserLimit: 2, tasks: [{ id: "share", name: "分享给好友（可选）", extraChances: 1 }], shards: 1,
  })).id;
  // Lotteries publish their seed commitment before opening, so the campaign starts a few seconds from now.
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(campaign.startsAt) - Date.now() + 200)));
  const a = await serveHtml(hostPage(baseUrl, campaignId));
  const b = await serveHtml(hostPage(baseUrl, campaignId));
  const f = await serveHtml(hostPage(baseUrl, flashId));
  const t = await serveHtml(hostPage(baseUrl, taskLotteryId));
  servers.push(a.server, b.server, f.server, t.server);
  taskOrigin = t.origin;
  allowed = a.origin;
  flashOrigin = f.origin;
  refused = b.origin;
  const tenant = await api("/tenant", keys.admin!);
  await api("/tenant", keys.admin!, "PATCH", { allowedOrigins: [...tenant.allowedOrigins, allowed, flashOrigin, taskOrigin] });
});

afterAll(async () => {
  for (const s of servers) s.close();
});

describe("embeddable widget", () => {
  it("renders in a Shadow DOM on an allowed origin, draws, and reports through DOM events without restyling the host", async () => {
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${allowed}/`);
    await expect.poll(() => page.evaluate("JSON.stringify(window.__events)"), { timeout: 15_000 }).toContain("ready");
    await expect.poll(() => page.locator("kaquan-campaign button.go").textContent()).toBe("立即抽奖");
    // A lottery discloses its organiser, rules and fairness proof before the draw (collapsed under the buttons).
    const rules = page.locator("kaquan-campaign details.rules");
    expect(await rules.locator("summary").textContent()).toBe("活动规则");
    const shadowRules: any = await page.evaluate(`(() => {
      const box = document.querySelector("kaquan-campaign").shadowRoot.querySelector("details.rules");
      const a = box.querySelector("a");
      return { text: box.textContent, link: a.textContent, href: a.href };
    })()`);
    expect(shadowRules.text).toContain("测试品牌");
    expect(shadowRules.text).toContain("400-000-0000");
    expect(shadowRules.text).toContain("开奖前已公布种子承诺");
    expect(shadowRules.link).toBe("完整规则与开奖验证");
    expect(shadowRules.href).toContain(`/campaigns/lottery/?t=demo&id=${encodeURIComponent(campaignId)}`);
    await rules.locator("summary").click();
    await expect.poll(() => rules.locator("a", { hasText: "完整规则与开奖验证" }).isVisible()).toBe(true);
    await fitsThePhone(page);
    await page.locator("kaquan-campaign button.go").click();
    await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 10_000 }).toContain("drawn");
    const drawn: any = await page.evaluate("window.__events.find(e => e.name === 'drawn').detail");
    expect(["won", "no_prize"]).toContain(drawn.outcome);
    expect(drawn.proof).toMatch(/^[0-9a-f]{64}$/);
    await expect.poll(() => page.locator("kaquan-campaign [role=status]").textContent()).toMatch(/中奖|未中奖/);
    // Each draw links to its own proof on the kaquan host, as the lottery page does.
    const verify = page.locator("kaquan-campaign [role=status] a", { hasText: "验证本次抽奖" });
    const href = new URL((await verify.getAttribute("href"))!);
    expect([href.pathname, href.searchParams.get("draw"), href.searchParams.get("proof"), href.searchParams.get("n"), href.searchParams.get("claim")])
      .toEqual(["/verify/", campaignId, drawn.proof, String(drawn.nonce), drawn.beacon ? drawn.claimId : ""]);
    expect(href.searchParams.get("user")).toMatch(/^\S+$/);
    const proofPage = await context.newPage();
    await proofPage.goto(href.href);
    await expect.poll(() => proofPage.locator("h1").textContent()).toBe("抽奖验证");
    await expect.poll(() => proofPage.locator("main").textContent()).toContain(drawn.proof);
    await proofPage.close();
    // Sharing from the widget: a link to the campaign page with an opaque share code, not the visitor's id.
    await page.locator("kaquan-campaign button.share").click();
    await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 10_000 }).toContain("shared");
    const shared: any = await page.evaluate("window.__events.find(e => e.name === 'shared').detail");
    expect(shared.url).toMatch(/\/campaigns\/lottery\/\?t=demo&id=[^&]+&share=[A-Za-z0-9]{12}$/);

    // The host keeps its own look; the widget keeps its own.
    expect(await page.evaluate("getComputedStyle(document.getElementById('own')).color")).toBe("rgb(0, 128, 0)");
    expect(await page.evaluate("getComputedStyle(document.getElementById('para')).fontSize")).toBe("30px");
    const widgetButton = await page.evaluate(
      "getComputedStyle(document.querySelector('kaquan-campaign').shadowRoot.querySelector('button')).backgroundColor",
    );
    expect(widgetButton).not.toBe("rgb(255, 0, 0)");
    expect(errors).toEqual([]);
    await screenshot(page, "widget-allowed-origin");
    await context.close();
  });

  it("draws in a browser without crypto.randomUUID (a brand page on plain http, an older in-app browser), on the brand's page and on ours", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    // randomUUID is only there in secure contexts and newer browsers; the widget's every draw threw without it.
    await context.addInitScript("delete Crypto.prototype.randomUUID");
    await page.goto(`${allowed}/`);
    expect(await page.evaluate("typeof crypto.randomUUID")).toBe("undefined");
    const go = page.locator("kaquan-campaign button.go");
    await expect.poll(() => go.textContent(), { timeout: 15_000 }).toBe("立即抽奖");
    await go.click();
    await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 10_000 }).toContain("drawn");
    expect(await page.evaluate("window.__events.filter(e => e.name === 'error').length")).toBe(0);
    await expect.poll(() => page.locator("kaquan-campaign [role=status]").textContent()).toMatch(/中奖|未中奖/);
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${encodeURIComponent(campaignId)}`);
    const draw = page.getByRole("button", { name: "立即抽奖" });
    await expect.poll(() => draw.isEnabled(), { timeout: 15_000 }).toBe(true);
    await draw.click();
    await expect.poll(() => page.getByText(/恭喜|未中奖/).first().isVisible(), { timeout: 15_000 }).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a challenged visitor on a page without WebCrypto (a brand page on plain http) solves the challenge and draws", { timeout: 60_000 }, async () => {
    // A User-Agent that gives headless Chromium away is always challenged; crypto.subtle is missing outside secure contexts.
    const ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Mobile Safari/604.1";
    const { context, page, errors } = await phonePage(browser(), { userAgent: ua });
    await context.addInitScript(`delete Crypto.prototype.randomUUID; Object.defineProperty(Crypto.prototype, "subtle", { get: () => undefined })`);
    const claims: { status: number; answered: boolean }[] = [];
    page.on("response", (r) => {
      if (r.url().endsWith(`/campaigns/${campaignId}/claims`)) claims.push({ status: r.status(), answered: !!r.request().headers()["x-kaquan-challenge"] });
    });
    await page.goto(`${allowed}/`);
    expect(await page.evaluate("typeof crypto.subtle")).toBe("undefined");
    const go = page.locator("kaquan-campaign button.go");
    await expect.poll(() => go.textContent(), { timeout: 15_000 }).toBe("立即抽奖");
    await go.click();
    await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 30_000 }).toContain("drawn");
    expect(claims).toEqual([{ status: 403, answered: false }, { status: 200, answered: true }]);
    expect(await page.evaluate("window.__events.filter(e => e.name === 'error').length")).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a lottery's optional share task: sharing from the widget gives the extra draw, as on the campaign page", async () => {
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${taskOrigin}/`);
    const go = page.locator("kaquan-campaign button.go");
    await expect.poll(() => go.textContent(), { timeout: 15_000 }).toBe("立即抽奖");
    await go.click();
    await expect.poll(() => go.textContent(), { timeout: 10_000 }).toBe("今日抽奖次数已用完");
    await page.locator("kaquan-campaign button.share").click();
    await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 10_000 }).toContain("shared");
    // The share earned one more draw today: the button offers it (it stayed 今日抽奖次数已用完 before).
    await expect.poll(() => go.textContent(), { timeout: 10_000 }).toBe("立即抽奖");
    expect(await go.isDisabled()).toBe(false);
    await go.click();
    await expect.poll(() => page.evaluate("window.__events.filter(e => e.name === 'drawn').length"), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => go.textContent()).toBe("今日抽奖次数已用完");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows a flash sale's price; a win says it awaits payment and links to the cashier, where paying shows the key", async () => {
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${flashOrigin}/`);
    await expect.poll(() => page.evaluate("JSON.stringify(window.__events)"), { timeout: 15_000 }).toContain("ready");
    const card = page.locator("kaquan-campaign .c");
    await expect.poll(() => card.textContent()).toContain("秒杀价 ¥9.90");
    expect(await card.textContent()).toContain("原价 ¥19.90");
    await page.locator("kaquan-campaign button.go").click();
    const pay = page.locator("kaquan-campaign a.pay");
    await expect.poll(() => pay.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator("kaquan-campaign [role=status]").textContent()).toContain("请在 15 分钟内支付");
    expect(await page.locator("kaquan-campaign [role=status]").textContent()).not.toContain("领取成功");
    expect(await pay.textContent()).toBe("去支付 ¥9.90");
    await screenshot(page, "widget-flash-won");
    const claimed: any = await page.evaluate("window.__events.find(e => e.name === 'claimed').detail");
    expect(claimed.orderId).toMatch(/^ord_/);
    // One per person: the button says the unit is taken instead of offering a tap that can only be refused.
    expect(await page.locator("kaquan-campaign button.go").textContent()).toBe("已抢到");
    expect(await page.locator("kaquan-campaign button.go").isDisabled()).toBe(true);
    // Sharing the sale right after the win (the card invites it) says the link was copied on its own line: the
    // win and its 去支付 link stay (they were overwritten, leaving the winner no way to pay from the brand's page).
    await page.locator("kaquan-campaign button.share").click();
    await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 10_000 }).toContain("shared");
    await expect.poll(() => page.locator("kaquan-campaign .c").textContent()).toContain("链接已复制");
    expect(await page.locator("kaquan-campaign [role=status]").textContent()).toContain("请在 15 分钟内支付");
    expect(await pay.isVisible()).toBe(true);
    expect(await pay.textContent()).toBe("去支付 ¥9.90");

    // Back on the brand's page later (a reload): the win still awaits payment, one tap away.
    await page.reload();
    await expect.poll(() => pay.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator("kaquan-campaign [role=status]").textContent()).toMatch(/你已抢到，订单待支付（\d\d:\d\d 前）/);
    expect(await pay.textContent()).toBe("去支付 ¥9.90");
    expect(await page.locator("kaquan-campaign button.go").textContent()).toBe("已抢到");
    await screenshot(page, "widget-flash-won-reloaded");

    // The link opens the brand's kaquan store: it continues as the widget's buyer and goes to the cashier.
    const [cashier] = await Promise.all([context.waitForEvent("page"), pay.click()]);
    await cashier.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    expect(await cashier.textContent("body")).toContain("¥9.90");
    await cashier.click("#pay");
    await cashier.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => cashier.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    expect(await cashier.textContent(".secret")).toMatch(/^VIDEO-/);
    await screenshot(cashier, "widget-flash-paid");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a visitor already shopping as a guest on the store pays the widget's win there and finds it in 我的卡券", async () => {
    const { baseUrl } = inject("stack");
    const { context, page } = await phonePage(browser());
    // This browser is already a storefront guest (a cookie on the store's origin) before it meets the widget.
    await page.goto(`${baseUrl}/shop/?t=demo`);
    expect((await page.evaluate(async () => (await fetch("/api/v1/shop/demo/guest", { method: "POST" })).status))).toBe(200);
    await page.goto(`${flashOrigin}/`);
    await expect.poll(() => page.evaluate("JSON.stringify(window.__events)"), { timeout: 15_000 }).toContain("ready");
    await page.locator("kaquan-campaign button.go").click();
    const pay = page.locator("kaquan-campaign a.pay");
    await expect.poll(() => pay.isVisible(), { timeout: 15_000 }).toBe(true);
    const [cashier] = await Promise.all([context.waitForEvent("page"), pay.click()]);
    await cashier.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    await cashier.click("#pay");
    await cashier.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
    await expect.poll(() => cashier.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    await cashier.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await expect.poll(() => cashier.locator(".secret").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await screenshot(cashier, "widget-flash-paid-existing-guest");
    await context.close();
  });

  it("a coupon claimed in the widget is one tap from 我的卡券 on the store, in the same browser", async () => {
    const { baseUrl, keys } = inject("stack");
    const { products } = await api("/products", keys.admin!);
    const coupon = products.find((p: any) => p.kind === "coupon");
    const now = Date.now();
    const c = await api("/campaigns", keys.admin!, "POST", {
      kind: "coupon_claim", name: "组件领券", productId: coupon.id, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
    });
    const host = await serveHtml(hostPage(baseUrl, c.id));
    servers.push(host.server);
    const tenant = await api("/tenant", keys.admin!);
    await api("/tenant", keys.admin!, "PATCH", { allowedOrigins: [...tenant.allowedOrigins, host.origin] });
    const { context, page } = await phonePage(browser());
    await page.goto(`${host.origin}/`);
    await expect.poll(() => page.evaluate("JSON.stringify(window.__events)"), { timeout: 15_000 }).toContain("ready");
    // A second tab of the same page, opened before the claim: it still offers the coupon.
    const stale = await context.newPage();
    await stale.goto(`${host.origin}/`);
    await expect.poll(() => stale.locator("kaquan-campaign button.go").textContent(), { timeout: 15_000 }).toBe("立即领取");
    expect(await page.locator("kaquan-campaign .c").textContent()).toContain("剩余 5");
    await page.locator("kaquan-campaign button.go").click();
    const mine = page.locator("kaquan-campaign a.pay", { hasText: "查看我的卡券" });
    await expect.poll(() => mine.count(), { timeout: 15_000 }).toBe(1);
    expect(await page.locator("kaquan-campaign button.go").textContent()).toBe("已领取");
    await expect.poll(() => page.locator("kaquan-campaign .c").textContent(), { timeout: 15_000 }).toContain("剩余 4");
    // The stale tab's tap is refused in Chinese (not the API's English), and its button stops offering the coupon.
    await stale.locator("kaquan-campaign button.go").click();
    await expect.poll(() => stale.locator("kaquan-campaign [role=status]").textContent(), { timeout: 15_000 }).toBe("已达到本活动的领取上限");
    expect(await stale.locator("kaquan-campaign button.go").textContent()).toBe("已领取");
    expect(await stale.locator("kaquan-campaign button.go").isDisabled()).toBe(true);
    await screenshot(stale, "widget-coupon-refused-in-chinese");
    await stale.close();
    // After a reload the coupon is still one tap away (it said only 已领取).
    await page.reload();
    await expect.poll(() => mine.count(), { timeout: 15_000 }).toBe(1);
    expect(await page.locator("kaquan-campaign button.go").textContent()).toBe("已领取");
    const [vouchers] = await Promise.all([context.waitForEvent("page"), mine.click()]);
    await vouchers.waitForURL(/\/shop\/vouchers\//, { timeout: 15_000 });
    await expect.poll(() => vouchers.locator(".voucher", { hasText: coupon.name }).count(), { timeout: 15_000 }).toBe(1);
    expect(vouchers.url()).not.toContain("#s=");
    await screenshot(vouchers, "widget-coupon-in-my-vouchers");
    await context.close();
  });

  it("two campaign widgets on one brand page are one visitor: both coupons are in the same 我的卡券", async () => {
    const { baseUrl, keys } = inject("stack");
    const { products } = await api("/products", keys.admin!);
    const coupon = products.find((p: any) => p.kind === "coupon");
    const now = Date.now();
    const make = (name: string) => api("/campaigns", keys.admin!, "POST", {
      kind: "coupon_claim", name, productId: coupon.id, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
    });
    const [one, two] = [await make("组件领券一"), await make("组件领券二")];
    const tag = (id: string) => `<script src="${baseUrl}/widget.js" data-campaign="${id}" async></script>`;
    const host = await serveHtml(hostPage(baseUrl, one.id).replace("</body>", `${tag(two.id)}</body>`));
    servers.push(host.server);
    const tenant = await api("/tenant", keys.admin!);
    await api("/tenant", keys.admin!, "PATCH", { allowedOrigins: [...tenant.allowedOrigins, host.origin] });
    const { context, page } = await phonePage(browser());
    await page.goto(`${host.origin}/`);
    const widgets = page.locator("kaquan-campaign");
    await expect.poll(() => widgets.locator("button.go").count(), { timeout: 15_000 }).toBe(2);
    for (const n of [0, 1]) {
      await widgets.nth(n).locator("button.go").click();
      await expect.poll(() => widgets.nth(n).locator("a.pay", { hasText: "查看我的卡券" }).count(), { timeout: 15_000 }).toBe(1);
    }
    const [vouchers] = await Promise.all([context.waitForEvent("page"), widgets.nth(1).locator("a.pay", { hasText: "查看我的卡券" }).click()]);
    await vouchers.waitForURL(/\/shop\/vouchers\//, { timeout: 15_000 });
    // Each widget kept a guest of its own: the store showed only the coupon of the widget followed.
    await expect.poll(() => vouchers.locator(".voucher", { hasText: coupon.name }).count(), { timeout: 15_000 }).toBe(2);
    await context.close();
  });

  it("a visitor who erased their account on the store draws again on the brand's page as a new guest", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${allowed}/`);
    const go = page.locator("kaquan-campaign button.go");
    await expect.poll(() => go.textContent(), { timeout: 15_000 }).toBe("立即抽奖");
    await go.click();
    await expect.poll(() => page.evaluate("window.__events.filter(e => e.name === 'drawn').length"), { timeout: 15_000 }).toBe(1);
    const stored = (): Promise<string> => page.evaluate(`JSON.parse(localStorage.getItem("kq:session:${baseUrl}")).token`);
    const erased = await stored();
    // 我的卡券 → 注销账号 on the store (the widget's links continue there as this visitor): every session of the account ends.
    const store = await context.newPage();
    await store.goto(`${baseUrl}/shop/vouchers/?t=demo#s=${encodeURIComponent(erased)}`);
    await expect.poll(() => store.url(), { timeout: 15_000 }).not.toContain("#s=");
    const erasure = await store.evaluate(() =>
      fetch("/api/v1/shop/demo/me/erasure", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ confirm: "ERASE" }) }).then((r) => r.status),
    );
    expect(erasure).toBe(202);
    await store.close();
    // Back on the brand's page, the page still holds the ended session: the tap must not only say 暂时无法参与.
    await page.reload();
    await expect.poll(() => go.textContent(), { timeout: 15_000 }).toBe("立即抽奖");
    await go.click();
    await expect.poll(() => page.evaluate("window.__events.filter(e => e.name === 'drawn').length"), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.locator("kaquan-campaign [role=status]").textContent()).toMatch(/中奖|未中奖/);
    expect(await stored()).not.toBe(erased);
    expect(errors).toEqual([]);
    await screenshot(page, "widget-after-erasure");
    await context.close();
  });

  it("a phone-only flash sale: 去验证 opens the sale as the widget's visitor, who signs in there; back on the brand page the widget knows", async () => {
    const { baseUrl, keys } = inject("stack");
    const { products } = await api("/products", keys.admin!);
    const video = products.find((p: any) => p.name === "视频会员月卡");
    const now = Date.now();
    const c = await api("/campaigns", keys.admin!, "POST", {
      kind: "flash_sale", name: "手机号专享秒杀", productId: video.id, priceCents: 990, stock: 5, perUserLimit: 1, shards: 1, entry: "phone",
      startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
    });
    const host = await serveHtml(hostPage(baseUrl, c.id));
    servers.push(host.server);
    const tenant = await api("/tenant", keys.admin!);
    await api("/tenant", keys.admin!, "PATCH", { allowedOrigins: [...tenant.allowedOrigins, host.origin] });
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${host.origin}/`);
    const go = page.locator("kaquan-campaign button.go");
    await expect.poll(() => go.textContent(), { timeout: 15_000 }).toBe("立即抢购");
    await go.click();
    const verify = page.locator("kaquan-campaign a.pay", { hasText: "去验证" });
    await expect.poll(() => verify.count(), { timeout: 15_000 }).toBe(1);
    expect(await verify.getAttribute("href")).toMatch(/\/campaigns\/flash\/\?id=[^#]+&t=demo#s=byr_/);
    await screenshot(page, "widget-phone-required");
    const [sale] = await Promise.all([context.waitForEvent("page"), verify.click()]);
    await expect.poll(() => sale.url(), { timeout: 15_000 }).not.toContain("#s=");
    await expect.poll(() => sale.locator("#go").isEnabled(), { timeout: 15_000 }).toBe(true);
    await sale.click("#go");
    await expect.poll(() => sale.locator("#gate-form").isVisible(), { timeout: 15_000 }).toBe(true);
    await sale.fill("#gate-phone", "13900139077");
    await sale.click("#gate-send");
    await expect.poll(() => sale.locator("#gate-dev").textContent(), { timeout: 15_000 }).toMatch(/\d{6}/);
    await sale.fill("#gate-code", /(\d{6})/.exec((await sale.textContent("#gate-dev"))!)![1]!);
    await sale.check("#gate-consent");
    await sale.click("#gate-submit");
    // The sign-in claims at once and sends the winner to the cashier.
    await sale.waitForURL(/\/pay\/checkout\//, { timeout: 20_000 });
    await sale.close();
    // Back on the brand's page: the widget's visitor is the signed-in account, whose win awaits payment.
    await page.reload();
    await expect.poll(() => go.textContent(), { timeout: 15_000 }).toBe("已抢到");
    await expect.poll(() => page.locator("kaquan-campaign a.pay", { hasText: "去支付" }).count(), { timeout: 15_000 }).toBe(1);
    expect(errors).toEqual([]);
    await screenshot(page, "widget-phone-signed-in");
    await context.close();
  });

  it("is refused on an origin the brand did not list, and falls back to a plain link", async () => {
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${refused}/`);
    await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 15_000 }).toContain("error");
    // The brand's developer reads why: the browser only says "Failed to fetch", so the widget names the likely cause.
    const detail = (await page.evaluate("window.__events.find(e => e.name === 'error').detail")) as { code: string; message: string };
    expect(detail.code).toBe("unavailable");
    expect(detail.message).toContain(`from ${refused} (allowedOrigins?`);
    const link = page.locator("kaquan-campaign a");
    await expect.poll(() => link.isVisible()).toBe(true);
    expect(await link.getAttribute("href")).toContain(campaignId);
    expect(errors).toEqual([]);
    await screenshot(page, "widget-refused-origin");
    await context.close();
  });

  it("names each plain link when several widgets on a refused origin fall back, so they can be told apart", async () => {
    const { baseUrl } = inject("stack");
    const tag = (attrs: string) => `<script src="${baseUrl}/widget.js" ${attrs} async></script>`;
    // Two tags as the console's embed code writes them (data-name), two older tags without it, and a group-buy card.
    const { origin, server } = await serveHtml(`<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><h3>品牌活动合集</h3>
<script>window.__events=[];document.addEventListener("kaquan:error",e=>window.__events.push(e.detail));</script>
${tag(`data-campaign="${campaignId}" data-name="品牌页幸运抽奖"`)}
${tag(`data-campaign="${flashId}" data-name="品牌页秒杀"`)}
${tag(`data-campaign="${taskLotteryId}"`)}
${tag(`data-campaign="${campaignId}"`)}
${tag(`data-tenant="demo" data-group-buy="gb_unknown"`)}
</body></html>`);
    servers.push(server);
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${origin}/`);
    await expect.poll(() => page.evaluate("window.__events.length"), { timeout: 15_000 }).toBe(5);
    const links = page.locator("kaquan-campaign > a, kaquan-growth > a");
    await expect.poll(() => links.evaluateAll((as) => as.filter((a: any) => a.offsetHeight > 0).length)).toBe(5);
    // What a screen reader lists: every link's accessible name, each one different.
    const names = await Promise.all((await links.all()).map(async (a) => (await a.evaluate((x) => x.textContent))!.trim()));
    expect(names).toEqual(["查看活动：品牌页幸运抽奖", "查看活动：品牌页秒杀", "查看活动 1", "查看活动 2", "去开团 / 参团"]);
    for (const name of names) await expect.poll(() => page.getByRole("link", { name, exact: true }).count()).toBe(1);
    expect(await page.getByRole("link", { name: "查看活动 1", exact: true }).getAttribute("href")).toContain(taskLotteryId);
    // Each is a finger-sized target (44 px high), not a line of small text.
    expect(await links.evaluateAll((as) => as.map((a: any) => a.getBoundingClientRect().height))).toEqual(Array(5).fill(44));
    expect(errors).toEqual([]);
    await fitsThePhone(page);
    await screenshot(page, "widget-refused-origin-several");
    await context.close();
  });

  it("names its plain link by the campaign's current name once the API answers: the embed code's data-name is only the first paint (it read the name before a rename)", async () => {
    const { baseUrl, keys } = inject("stack");
    const { products } = await api("/products", keys.admin!);
    const video = products.find((p: any) => p.name === "视频会员月卡");
    const sale = await api("/campaigns", keys.admin!, "POST", {
      kind: "flash_sale", name: "改名前的秒杀", productId: video.id, priceCents: 990, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    // The brand pasted the embed code, then the operator renamed the campaign.
    await api(`/campaigns/${sale.id}`, keys.admin!, "PATCH", { name: "改名后的秒杀" });
    const { origin, server } = await serveHtml(`<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><script>window.__events=[];for(const n of ["ready","error"])document.addEventListener("kaquan:"+n,e=>window.__events.push(n));</script>
<script src="${baseUrl}/widget.js" data-campaign="${sale.id}" data-name="改名前的秒杀" async></script></body></html>`);
    servers.push(server);
    const tenant = await api("/tenant", keys.admin!);
    await api("/tenant", keys.admin!, "PATCH", { allowedOrigins: [...tenant.allowedOrigins, origin] });
    const link = (page: import("playwright-core").Page) => page.locator("kaquan-campaign > a");

    // First paint: the definition is held back; the tag's name is all there is, and the link shows (not a blank box).
    const { context, page, errors } = await phonePage(browser());
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    await page.route(new RegExp(`/api/v1/public/campaigns/${sale.id}$`), async (route) => {
      await held;
      await route.continue();
    });
    // The card then cannot load its live data: the plain link stays, named as the campaign is called now.
    await page.route(new RegExp(`/api/v1/public/campaigns/${sale.id}/live$`), (route) =>
      route.fulfill({ status: 503, json: { error: { code: "unavailable", message: "down", requestId: "r" } } }));
    await page.goto(`${origin}/`);
    await expect.poll(() => link(page).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await link(page).textContent()).toBe("查看活动：改名前的秒杀");
    release();
    await expect.poll(() => page.evaluate("window.__events"), { timeout: 15_000 }).toEqual(["error"]);
    expect(await link(page).textContent()).toBe("查看活动：改名后的秒杀");
    expect(await link(page).isVisible()).toBe(true);
    await screenshot(page, "widget-renamed-fallback");
    expect(errors).toEqual([]);
    await context.close();

    // The card itself names the campaign as it is called now.
    const second = await phonePage(browser());
    await second.page.goto(`${origin}/`);
    await expect.poll(() => second.page.evaluate("window.__events"), { timeout: 15_000 }).toEqual(["ready"]);
    expect(await second.page.locator("kaquan-campaign h3").textContent()).toBe("改名后的秒杀");
    expect(await link(second.page).isVisible()).toBe(false);
    await second.context.close();
  });
});
