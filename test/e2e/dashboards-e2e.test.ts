import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { freePort } from "../../scripts/lib/free-port";
import { ApiClient } from "../../scripts/lib/http";
import { startStack, type Stack } from "../../scripts/lib/stack";
import { downloadText, launchChromium, phoneContext, screenshot } from "../browser/chromium";
import { CHINA_OFFSET_MS } from "../../worker/domain/china-time";

/**
 * Issue 14 item 6: every dashboard view is true on real traffic. Scripted visitors go through the public routes (and
 * two through the widget in real Chromium) of a fresh tenant on the real `npm start` stack; then each analytics view
 * must answer exactly the numbers worked out by hand below from that script.
 *
 * The script (8 visitors, all "now", one weekly cohort):
 *   A  UTM wechat, shop: page_view (anonymous), guest, views the card-key product, buys and pays it (19.90)
 *   B  UTM douyin, coupon-claim campaign C: page_view, session, claims a coupon, redeems it at the store, then a second
 *      redemption of the same voucher is refused (one failed attempt)
 *   S  organic, C: page_view, session, claims, shares (1 share), then views and buys the card-key product (19.90)
 *   R1, R2  through S's share link, C: page_view, session, claim
 *   W1, W2  the widget of lottery L on an allowed origin, in Chromium: impression, session, one draw each (the only
 *      prize has all the weight: every draw wins a 5.00 coupon)
 *   P  organic, shop: guest, views the recharge product, buys and pays it (29.80), delivered by the test's supplier
 */
const state = mkdtempSync(join(tmpdir(), "kaquan-dash-e2e-"));
let stack: Stack | null = null;
let browser: Browser | null = null;
let host: Server | null = null;
process.env.KAQUAN_SESSION_IP_LIMIT ??= "100000";
process.env.KAQUAN_ORDER_IP_LIMIT ??= "1000";

afterAll(async () => {
  await browser?.close();
  host?.close();
  // Nothing here needs a graceful stop (the state is thrown away); killing the whole tree leaves no orphan behind.
  await stack?.crash();
  rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cookieOf = (h: Headers) => (h.get("set-cookie") ?? "").split(";")[0]!;
/** The Monday (China time, as cohorts count weeks) of the week holding `d`. */
const mondayOf = (d: Date) => {
  const c = new Date(d.getTime() + CHINA_OFFSET_MS);
  return new Date(Date.UTC(c.getUTCFullYear(), c.getUTCMonth(), c.getUTCDate() - ((c.getUTCDay() + 6) % 7))).toISOString().slice(0, 10);
};
const sortRows = <T>(rows: T[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * Polls the analytics view until it equals `expected` (for up to 20 s after the last action: events go through the
 * queue's batches to the warehouse, slower when every test lane runs at once); fails showing the last answer.
 */
async function expectView(base: string, analyst: string, metric: string, query: string, expected: unknown, sort = false) {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  for (;;) {
    const res = await fetch(`${base}/api/v1/analytics/${metric}?${query}`, { headers: { authorization: `Bearer ${analyst}` } });
    const body: any = await res.json();
    last = res.ok ? (sort ? sortRows(body.rows) : body.rows) : body;
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) break;
    await sleep(250);
  }
  expect(last, `${metric}?${query} — last answer:\n${JSON.stringify(last, null, 1)}`).toEqual(expected);
}

describe("dashboards on real traffic", () => {
  it("every analytics view answers exactly the numbers of a scripted day of visitors", async () => {
    stack = await startStack(state, { port: await freePort(), warehousePort: await freePort() });
    const base = stack.baseUrl;
    const supplierUrl = /Suppliers\s+(http:\/\/\S+)\/health/.exec(stack.output())![1]!;
    const platform = new ApiClient(base, loadDevVars().PLATFORM_ADMIN_TOKEN!);
    const pub = new ApiClient(base);
    const run = Date.now().toString(36);

    // The brand's own page that embeds the widget (its origin is allowed below).
    const hostPort = await freePort();
    const origin = `http://127.0.0.1:${hostPort}`;
    let widgetCampaign = "";
    host = createServer((_q, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width,initial-scale=1"></head><body>
<script>window.__events=[];for(const n of ["ready","drawn","error"])document.addEventListener("kaquan:"+n,e=>window.__events.push({name:n,detail:e.detail}));</script>
<script src="${base}/widget.js" data-campaign="${widgetCampaign}" async></script></body></html>`);
    });
    await new Promise<void>((r) => host!.listen(hostPort, "127.0.0.1", r));

    // A fresh tenant, so the demo data does not touch the numbers.
    const slug = `e2e${run}`;
    const tenant = await platform.ok("POST", "/platform/tenants", { slug, name: "E2E Brand", allowedOrigins: [origin] });
    const key = async (scope: string) => (await platform.ok("POST", `/platform/tenants/${tenant.id}/keys`, { name: `e2e ${scope}`, scopes: [scope] })).secret as string;
    const admin = new ApiClient(base, await key("admin"));
    const analyst = await key("analyst");
    const redeemer = new ApiClient(base, await key("redeemer"));

    const store = await admin.ok("POST", "/stores", { name: "E2E 门店", address: "上海市 1 号" });
    const FOREVER = { kind: "fixed", validFrom: "2026-01-01T00:00:00.000Z", validTo: "2027-12-31T23:59:59.000Z" };
    const coupon = await admin.ok("POST", "/products", {
      kind: "coupon", name: "E2E 5元券", priceCents: 500, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "E2E 门店",
      stockTotal: 100, config: { coupon: { thresholdCents: 0, discountCents: 500 } },
    });
    await admin.ok("PUT", `/products/${coupon.id}/stores`, { storeIds: [store.id] });
    const card = await admin.ok("POST", "/products", { kind: "card_key", name: "E2E 视频卡", priceCents: 1990, faceValueCents: 2500, validity: FOREVER, scope: "视频 App" });
    await admin.ok("POST", `/products/${card.id}/keys/import`, { rows: [1, 2, 3].map((line) => ({ line, secret: `E2E-${run}-${line}` })) });
    const phone = await admin.ok("POST", "/products", {
      kind: "direct_recharge", name: "E2E 话费 30 元", priceCents: 2980, faceValueCents: 3000, validity: { kind: "relative", days: 1 }, scope: "中国大陆手机号",
      stockTotal: 100, config: { recharge: { accountLabel: "手机号", accountKind: "mobile_cn" } },
    });
    // A supplier name the sandbox does not know gets no injected faults: the delivery succeeds at the first try.
    const supplier = await admin.ok("POST", "/suppliers", { name: `e2eco${run}`, baseUrl: `${supplierUrl}/e2eco${run}`, products: [{ productId: phone.id, sku: "PHONE-30", costCents: 2950 }] });
    for (const p of [coupon, card, phone]) await admin.ok("POST", `/products/${p.id}/status`, { status: "published" });
    const now = Date.now();
    const C = (await admin.ok("POST", "/campaigns", {
      kind: "coupon_claim", name: "E2E 领券", productId: coupon.id, stock: 10, perUserLimit: 1, shards: 1,
      startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
    })).id as string;
    const lottery = await admin.ok("POST", "/campaigns", {
      kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "E2E 抽奖", startsAt: new Date(now + 3_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
      prizes: [{ id: "p5", name: "5元券", productId: coupon.id, stock: 10, weight: 100 }], noPrizeWeight: 0, drawsPerDay: 1, shards: 1,
    });
    const L = (widgetCampaign = lottery.id as string);

    const track = (deviceId: string, events: Record<string, string>[], auth: Record<string, string> = {}) =>
      pub.ok("POST", "/track", { tenant: slug, deviceId, events }, { ...auth, "user-agent": PHONE_UA });
    /** A shop guest (the page's POST /guest) with its acquisition; returns the cookie. */
    const guest = async (acquisition: Record<string, string>) => cookieOf((await pub.request("POST", `/shop/${slug}/guest`, { acquisition })).headers);
    /** The campaign page's session, adopted by the shop (so the same buyer sees their vouchers); returns both credentials. */
    const campaignVisitor = async (acquisition: Record<string, string>) => {
      const s = await pub.ok("POST", `/public/campaigns/${C}/session`, { acquisition });
      const adopt = await pub.request("POST", `/shop/${slug}/session`, { token: s.token });
      return { authorization: `Bearer ${s.token}`, cookie: cookieOf(adopt.headers) };
    };
    const claim = (auth: Record<string, string>, id: string) => pub.ok("POST", `/public/campaigns/${C}/claims`, { requestId: `${id}-${run}` }, auth);
    const buy = async (auth: Record<string, string>, productId: string, id: string, body: Record<string, unknown> = {}) => {
      const o = await pub.ok("POST", `/shop/${slug}/orders`, { productId, ...body }, { ...auth, "idempotency-key": `${id}-${run}-order` });
      await pub.ok("POST", `${o.checkoutUrl.replace(/^\/api\/v1/, "")}/pay`);
      return o.id as string;
    };

    // A: UTM wechat, shop.
    await track(`dA${run}`, [{ type: "page_view", path: "/shop/" }]);
    const a = { cookie: await guest({ utmSource: "wechat", utmMedium: "social", utmCampaign: "spring", deviceId: `dA${run}` }) };
    await track(`dA${run}`, [{ type: "product_viewed", productId: card.id, path: "/shop/product/" }], a);
    await buy(a, card.id, "A");

    // B: UTM douyin, coupon campaign; redeems the coupon, then tries it again.
    await track(`dB${run}`, [{ type: "page_view", path: "/campaigns/", campaignId: C }]);
    const b = await campaignVisitor({ utmSource: "douyin", utmMedium: "video", campaignId: C, deviceId: `dB${run}` });
    expect((await claim(b, "B")).outcome).toBe("claimed");
    let vouchers: { code: string }[] = [];
    for (let i = 0; i < 40 && !vouchers.length; i++) {
      vouchers = (await pub.ok("GET", `/shop/${slug}/vouchers`, undefined, { cookie: b.cookie })).vouchers;
      if (!vouchers.length) await sleep(250);
    }
    expect(vouchers).toHaveLength(1);
    await redeemer.ok("POST", "/redemptions", { code: vouchers[0]!.code, storeId: store.id }, { "idempotency-key": `redeem-${run}-1` });
    expect((await redeemer.request("POST", "/redemptions", { code: vouchers[0]!.code, storeId: store.id }, { "idempotency-key": `redeem-${run}-2` })).status).toBe(409);

    // S: organic, coupon campaign; shares, then buys in the shop.
    await track(`dS${run}`, [{ type: "page_view", path: "/campaigns/", campaignId: C }]);
    const s = await campaignVisitor({ campaignId: C, deviceId: `dS${run}` });
    await claim(s, "S");
    const share = await pub.ok("POST", `/public/campaigns/${C}/shares`, { channel: "wechat" }, s);
    expect(share.url).toContain(`share=${share.code}`);
    await track(`dS${run}`, [{ type: "product_viewed", productId: coupon.id, path: "/shop/product/" }], s);
    const bought = await buy(s, coupon.id, "S");
    const own = await pub.ok("GET", `/shop/${slug}/orders/${bought}`, undefined, { cookie: s.cookie });
    expect(own.vouchers).toHaveLength(1);
    await redeemer.ok("POST", "/redemptions", { code: own.vouchers[0].code, storeId: store.id }, { "idempotency-key": `redeem-${run}-3` });

    // R1, R2: through S's share link.
    for (const r of ["R1", "R2"]) {
      await track(`d${r}${run}`, [{ type: "page_view", path: "/campaigns/", campaignId: C }]);
      await claim(await campaignVisitor({ share: share.code, campaignId: C, deviceId: `d${r}${run}` }), r);
    }

    // V: looks at the campaign page and leaves: never a session, never a sign-up. A visitor all the same.
    await track(`dV${run}`, [{ type: "page_view", path: "/campaigns/", campaignId: C }]);

    // P: organic, shop; a phone top-up delivered by the supplier.
    await track(`dP${run}`, [{ type: "page_view", path: "/shop/" }]);
    const p = { cookie: await guest({ deviceId: `dP${run}` }) };
    await track(`dP${run}`, [{ type: "product_viewed", productId: phone.id, path: "/shop/product/" }], p);
    const topUp = await buy(p, phone.id, "P", { rechargeAccount: "13800138000" });

    // W1, W2: the lottery's widget on the brand's page, in Chromium.
    await sleep(Math.max(0, Date.parse(lottery.startsAt) - Date.now() + 200));
    browser = await launchChromium();
    for (const w of ["W1", "W2"]) {
      const context = await phoneContext(browser);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${origin}/`);
      await expect.poll(() => page.locator("kaquan-campaign button.go").textContent(), { timeout: 45_000 }).toBe("立即抽奖");
      await page.locator("kaquan-campaign button.go").click();
      await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 45_000 }).toContain("drawn");
      expect(await page.evaluate("window.__events.find(e => e.name === 'drawn').detail.outcome")).toBe("won");
      if (w === "W2") await screenshot(page, "dashboards-e2e-widget");
      expect(errors).toEqual([]);
      await context.close();
    }

    // Wait for the recharge to be delivered (the supplier answers within ~20 ms; the worker's queue does the rest).
    await expect.poll(async () => (await pub.ok("GET", `/shop/${slug}/orders/${topUp}`, undefined, p)).order.status, { timeout: 45_000 }).toBe("delivered");

    // ---- Every view answers the hand-worked numbers (polled for up to 20 s after the last action). ----
    const cohort = mondayOf(new Date()); // every visitor signed up (and paid) now: one weekly cohort
    const open12 = Array.from({ length: 12 }, () => null);
    const view = (metric: string, query: string, expected: unknown, sort = false) => expectView(base, analyst, metric, query, expected, sort);

    // Acquisition: one row per (campaign, UTM source, share/organic, embedding origin) — A; P; B; S; R1+R2; W1+W2.
    await view("acquisition", "", sortRows([
      { campaignId: "", channel: "wechat", source: "organic", origin: "", newUsers: 1 },
      { campaignId: "", channel: "", source: "organic", origin: "", newUsers: 1 },
      { campaignId: C, channel: "douyin", source: "organic", origin: "", newUsers: 1 },
      { campaignId: C, channel: "", source: "organic", origin: "", newUsers: 1 },
      { campaignId: C, channel: "", source: "share", origin: "", newUsers: 2 },
      { campaignId: L, channel: "", source: "organic", origin, newUsers: 2 },
    ]), true);
    await view("acquisition", "channel=wechat", [{ campaignId: "", channel: "wechat", source: "organic", origin: "", newUsers: 1 }]);

    // K-factor: C's participants B, S, R1, R2 (claims; S also shared) = 4; 1 sharer, 1 share; invitees R1, R2 = 2.
    // share rate 1/4, invites per user 1/4, invite conversion 2/1, K = 2/4. L: W1, W2 drew, nobody shared.
    await view("kfactor", "", [
      { campaignId: C, participants: 4, sharers: 1, shares: 1, inviteeSignups: 2, shareRate: 0.25, invitesPerUser: 0.25, inviteConversion: 2, kFactor: 0.5 },
      { campaignId: L, participants: 2, sharers: 0, shares: 0, inviteeSignups: 0, shareRate: 0, invitesPerUser: 0, inviteConversion: null, kFactor: 0 },
    ]);
    // Only share-acquired users (R1, R2): 2 participants, neither shared, so they brought nobody in (R1 and R2 came
    // through S, an organic user: their sign-ups count where S's attribution does).
    await view("kfactor", "source=share", [
      { campaignId: C, participants: 2, sharers: 0, shares: 0, inviteeSignups: 0, shareRate: 0, invitesPerUser: 0, inviteConversion: null, kFactor: 0 },
    ]);

    // ROI: cost = the 5.00 coupon's face value once per claim (4 × 500) or winning draw (2 × 500); no campaign order
    // (the shop purchases carry none) → revenue 0, ROI (0 − cost) / cost = −1. New users: C 4 of 8 sign-ups, L 2 of 8.
    await view("roi", "", sortRows([
      { campaignId: C, participants: 4, costCents: 2000, revenueCents: 0, paidOrders: 0, newUsers: 4, roi: -1, newUserShare: 0.5 },
      { campaignId: L, participants: 2, costCents: 1000, revenueCents: 0, paidOrders: 0, newUsers: 2, roi: -1, newUserShare: 0.25 },
    ]), true);
    // Only users who signed up in the widget on the brand's page: W1, W2.
    await view("roi", `origin=${encodeURIComponent(origin)}`, [
      { campaignId: L, participants: 2, costCents: 1000, revenueCents: 0, paidOrders: 0, newUsers: 2, roi: -1, newUserShare: 0.25 },
    ]);

    // Funnel: views A, B, S, R1, R2, P (pages; A's anonymous view joins through the device id), V (a device nobody
    // signed up on) and W1, W2 (widget impressions) = 9; claim/draw B, S, R1, R2, W1, W2 = 6; then only S orders, pays
    // and redeems (A and P bought without a claim; B redeemed a claimed coupon without an order).
    await view("funnel", "", [
      { step: "view", users: 9, fromPrevious: 1, fromFirst: 1 },
      { step: "claim_or_draw", users: 6, fromPrevious: 6 / 9, fromFirst: 6 / 9 },
      { step: "order", users: 1, fromPrevious: 1 / 6, fromFirst: 1 / 9 },
      { step: "paid", users: 1, fromPrevious: 1, fromFirst: 1 / 9 },
      { step: "redeemed", users: 1, fromPrevious: 1, fromFirst: 1 / 9 },
    ]);
    // Campaign C alone: views B, S, R1, R2, V = 5, claims B, S, R1, R2 = 4; no order is C's (S's shop order used no C
    // coupon), so none reach order, paid or used (session 77: a campaign's steps after the claim are its own orders and
    // its vouchers used; S's later shop order and redemption used to count here: 5, 4, 1, 1, 1).
    await view("funnel", `campaignId=${C}`, [
      { step: "view", users: 5, fromPrevious: 1, fromFirst: 1 },
      { step: "claim_or_draw", users: 4, fromPrevious: 4 / 5, fromFirst: 4 / 5 },
      { step: "order", users: 0, fromPrevious: 0, fromFirst: 0 },
      { step: "paid", users: 0, fromPrevious: null, fromFirst: 0 },
      { step: "used", users: 0, fromPrevious: null, fromFirst: 0 },
    ]);
    // Share-acquired only: R1, R2 viewed and claimed.
    await view("funnel", "source=share", [
      { step: "view", users: 2, fromPrevious: 1, fromFirst: 1 },
      { step: "claim_or_draw", users: 2, fromPrevious: 1, fromFirst: 1 },
      { step: "order", users: 0, fromPrevious: 0, fromFirst: 0 },
      { step: "paid", users: 0, fromPrevious: null, fromFirst: 0 },
      { step: "redeemed", users: 0, fromPrevious: null, fromFirst: 0 },
    ]);

    // Redemption: C issued 4 coupons, B's was redeemed (1 success, then 1 refused retry); L issued 2, none redeemed;
    // the shop ('') issued S's coupon, redeemed — A's card key and P's top-up are delivered, not redeemable vouchers.
    await view("redemption", "", [
      { campaignId: C, issued: 4, redeemed: 1, succeeded: 1, failed: 1, redemptionRate: 0.25, successRate: 0.5 },
      { campaignId: L, issued: 2, redeemed: 0, succeeded: 0, failed: 0, redemptionRate: 0, successRate: null },
      { campaignId: "", issued: 1, redeemed: 1, succeeded: 1, failed: 0, redemptionRate: 1, successRate: 1 },
    ]);

    // Suppliers: P's top-up, delivered by the test's supplier at the first try.
    await view("suppliers", "", [{ supplierId: supplier.id, delivered: 1, failed: 0, successRate: 1 }]);

    // Top products by revenue: the top-up 29.80, the card key 19.90 (A), the coupon 5.00 (S); one view each.
    await view("top_products", "", [
      { productId: phone.id, views: 1, viewers: 1, paidOrders: 1, revenueCents: 2980, refundedCents: 0, netRevenueCents: 2980, viewToPaid: 1 },
      { productId: card.id, views: 1, viewers: 1, paidOrders: 1, revenueCents: 1990, refundedCents: 0, netRevenueCents: 1990, viewToPaid: 1 },
      { productId: coupon.id, views: 1, viewers: 1, paidOrders: 1, revenueCents: 500, refundedCents: 0, netRevenueCents: 500, viewToPaid: 1 },
    ]);

    // LTV: (1990 + 500 + 2980) / 8 users = 683.75 cents, within 7, 30 and 90 days alike; C's 4 users: 500 / 4 = 125.
    await view("ltv", "", [{ cohort, users: 8, ltv7Cents: 683.75, ltv30Cents: 683.75, ltv90Cents: 683.75 }]);
    await view("ltv", `acquisitionCampaignId=${C}`, [{ cohort, users: 4, ltv7Cents: 125, ltv30Cents: 125, ltv90Cents: 125 }]);

    // Retention: one cohort of 8 sign-ups (3 first purchases: A, S, P), all today: day 1/7/30 have not ended (null);
    // in the weekly matrix W0 is the whole cohort and the later weeks have not ended.
    const young = { d1: null, d7: null, d30: null, d1Rate: null, d7Rate: null, d30Rate: null };
    await view("retention", "", [{ cohort, users: 8, ...young }]);
    await view("retention", "cohortBy=first_purchase", [{ cohort, users: 3, ...young }]);
    await view("retention_matrix", "", [{ cohort, users: 8, retained: [8, ...open12], rates: [1, ...open12] }]);
    await view("retention_matrix", "cohortBy=first_purchase", [{ cohort, users: 3, retained: [3, ...open12], rates: [1, ...open12] }]);

    // ---- The dashboard page at 390×844: the channel filter, then the acquisition view's CSV = the JSON API's rows. ----
    const context = await phoneContext(browser);
    await context.addInitScript(`localStorage.setItem("kq-analyst-key", ${JSON.stringify(analyst)})`);
    const dash = await context.newPage();
    const errors: string[] = [];
    dash.on("pageerror", (e) => errors.push(e.message));
    let acquisitionUrl = "";
    dash.on("request", (r) => r.url().includes("/api/v1/analytics/acquisition?") && (acquisitionUrl = r.url()));
    await dash.goto(`${base}/dashboard/`);
    await expect.poll(() => dash.locator("#view-funnel .table tbody tr").count(), { timeout: 30_000 }).toBe(5);
    await screenshot(dash, "dashboards-e2e-all");
    await dash.fill("input[name=channel]", "wechat");
    await dash.click("#filters button[type=submit]");
    await expect.poll(() => dash.locator("#view-acquisition .table tbody tr").count(), { timeout: 30_000 }).toBe(1);
    expect(dash.url()).toContain("channel=wechat");
    expect(acquisitionUrl).toContain("channel=wechat");
    // The tiles that count people follow the filter (A: one new user, who took part in no campaign); the page says
    // which tiles cannot.
    await expect.poll(() => dash.locator('.kpi[data-kpi="newUsers"] .kpi-value').textContent(), { timeout: 30_000 }).toBe("1");
    expect(await dash.locator('.kpi[data-kpi="participants"] .kpi-value').textContent()).toBe("0");
    expect(await dash.textContent("#compare")).toContain("GMV、净收入与核销率为全部用户");
    await dash.locator("#view-acquisition").scrollIntoViewIfNeeded();
    await screenshot(dash, "dashboards-e2e-channel");
    const [download] = await Promise.all([dash.waitForEvent("download"), dash.click("#view-acquisition button.csv")]);
    const csv = (await downloadText(download)).replace(/^\ufeff/, "");
    // The same view through the JSON API, with the params the page asked for (its range is inclusive of today).
    const api: any = await (await fetch(acquisitionUrl, { headers: { authorization: `Bearer ${analyst}` } })).json();
    expect(api.rows).toEqual([{ campaignId: "", channel: "wechat", source: "organic", origin: "", newUsers: 1 }]);
    const cols = Object.keys(api.rows[0]);
    expect(csv).toBe([cols.join(","), ...api.rows.map((r: any) => cols.map((c) => String(r[c])).join(","))].join("\n") + "\n");
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);
});
