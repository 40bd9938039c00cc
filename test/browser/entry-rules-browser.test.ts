import { createHmac } from "node:crypto";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";
import { api, serveHtml } from "./stack";

/** The README's 10-line Node example, verbatim: how a brand's server signs a member token. */
function memberToken(secret: string, tenant: string, memberId: string, ttlS = 3600) {
  const payload = Buffer.from(JSON.stringify({ aud: tenant, sub: memberId, exp: Math.floor(Date.now() / 1000) + ttlS })).toString("base64url");
  const sig = createHmac("sha256", secret).update(`kqm1.${payload}`).digest("base64url");
  return `kqm1.${payload}.${sig}`;
}

const hostPage = (base: string, campaignId: string, token?: string) => `<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><h3>品牌会员中心</h3>
<script>window.__events=[];for(const n of ["ready","claimed","error"])document.addEventListener("kaquan:"+n,e=>window.__events.push({name:n,detail:e.detail}));</script>
<script src="${base}/widget.js" data-campaign="${campaignId}"${token ? ` data-member-token="${token}"` : ""} async></script>
</body></html>`;

const browser = useChromium();
const servers: Server[] = [];
let couponProduct: string;

async function openCampaign(entry: "phone" | "member", name: string) {
  const { keys } = inject("stack");
  const now = Date.now();
  return api("/campaigns", keys.admin!, "POST", {
    kind: "coupon_claim", name, productId: couponProduct, stock: 50, perUserLimit: 1, shards: 2, entry,
    startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
  });
}

beforeAll(async () => {
  const { keys } = inject("stack");
  const { products } = await api("/products", keys.admin!);
  couponProduct = products.find((p: any) => p.kind === "coupon").id;
});

afterAll(async () => {
  for (const s of servers) s.close();
});

describe("campaign entry rules in the browser", () => {
  it("a phone-only campaign page asks a guest to verify a phone number, then claims in the same tap flow", async () => {
    const { baseUrl } = inject("stack");
    const c = await openCampaign("phone", "手机号专享领券");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${c.id}`);
    await expect.poll(() => page.locator("#rules").textContent(), { timeout: 15_000 }).toContain("需验证手机号");
    await expect.poll(() => page.locator("#go").isEnabled()).toBe(true);
    await page.click("#go");
    await expect.poll(() => page.locator("#gate-form").isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#result")).toContain("本活动需先验证手机号");
    await screenshot(page, "entry-phone-gate");
    const phone = `139${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
    await page.fill("#gate-phone", phone);
    await page.click("#gate-send");
    await expect.poll(() => page.locator("#gate-dev").textContent(), { timeout: 15_000 }).toMatch(/\d{6}/);
    const code = /(\d{6})/.exec((await page.textContent("#gate-dev"))!)![1]!;
    await page.fill("#gate-code", code);
    await page.check("#gate-consent");
    await page.click("#gate-submit");
    await expect.poll(() => page.textContent("#result"), { timeout: 15_000 }).toContain("领取成功");
    expect(await page.locator("#gate").isHidden()).toBe(true);
    // The claim is the phone account's: its vouchers page (same browser, cookie session) lists the coupon.
    const me: any = await page.evaluate(() => fetch("/api/v1/shop/demo/me").then((r) => r.json()));
    expect(me.buyer).toMatchObject({ kind: "phone", phoneMasked: `${phone.slice(0, 3)}****${phone.slice(-4)}` });
    await screenshot(page, "entry-phone-claimed");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a phone-only lottery page shows the same gate (the shared EntryGate box) when a guest draws", async () => {
    const { baseUrl, keys } = inject("stack");
    // A lottery publishes its seed commitment before it opens: it starts a few seconds from now.
    const startsAt = Date.now() + 2500;
    const c = await api("/campaigns", keys.admin!, "POST", {
      kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "手机号专享抽奖", entry: "phone",
      startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + 3_600_000).toISOString(),
      prizes: [{ id: "a", name: "五元券", productId: couponProduct, stock: 20, weight: 1 }], noPrizeWeight: 1, drawsPerDay: 3, shards: 1,
    });
    await new Promise((r) => setTimeout(r, Math.max(0, startsAt - Date.now() + 300)));
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${c.id}`);
    await expect.poll(() => page.locator("#draw").isEnabled(), { timeout: 15_000 }).toBe(true);
    await page.click("#draw");
    await expect.poll(() => page.locator("#gate-form").isVisible(), { timeout: 15_000 }).toBe(true);
    const box = (await page.locator("#gate").boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(390);
    expect(await page.locator("#gate").evaluate((el) => (globalThis as any).getComputedStyle(el).backgroundColor)).toBe("rgb(255, 251, 235)");
    expect(await page.locator("#gate-send").evaluate((el) => (globalThis as any).getComputedStyle(el).minHeight)).toBe("44px");
    await fitsThePhone(page);
    await screenshot(page, "entry-phone-gate-lottery");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("the widget with a brand member token claims as the member; without one it says the campaign is for members", async () => {
    const { baseUrl, keys } = inject("stack");
    const c = await openCampaign("member", "会员专享领券");
    const { secret, audience } = await api("/tenant/member-token-secret", keys.admin!, "POST", { overlapMinutes: 60 });
    const memberId = `VIP-${Date.now()}`;
    const token = memberToken(secret, audience, memberId);
    const withToken = await serveHtml(hostPage(baseUrl, c.id, token));
    const without = await serveHtml(hostPage(baseUrl, c.id));
    servers.push(withToken.server, without.server);
    const tenant = await api("/tenant", keys.admin!);
    await api("/tenant", keys.admin!, "PATCH", { allowedOrigins: [...tenant.allowedOrigins, withToken.origin, without.origin] });

    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${withToken.origin}/`);
    await expect.poll(() => page.evaluate("JSON.stringify(window.__events)"), { timeout: 20_000 }).toContain("ready");
    await page.locator("kaquan-campaign button.go").click();
    await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 15_000 }).toContain("claimed");
    await expect.poll(() => page.locator("kaquan-campaign [role=status]").textContent()).toContain("领取成功");
    await screenshot(page, "entry-widget-member-claimed");
    // The widget's session is the member's buyer: the same token exchanged from here names the same user.
    const stored: any = await page.evaluate(`JSON.parse(localStorage.getItem(${JSON.stringify(`kq:session:${baseUrl}:${c.id}`)}))`);
    const viaServer = await api(`/public/campaigns/${c.id}/session`, null, "POST", { memberToken: token });
    expect(viaServer.memberId).toBe(memberId);
    expect(stored.token.split(".")[0]).toBe(viaServer.userId);
    expect(stored.token).toMatch(/\.m\d+\./);
    // A visitor of a page that passes no member token is told the campaign is for members.
    const other = await context.newPage();
    other.on("pageerror", (e) => errors.push(e.message));
    await other.goto(`${without.origin}/`);
    await expect.poll(() => other.evaluate("JSON.stringify(window.__events)"), { timeout: 20_000 }).toContain("ready");
    await other.locator("kaquan-campaign button.go").click();
    await expect.poll(() => other.locator("kaquan-campaign [role=status]").textContent(), { timeout: 15_000 }).toContain("仅限品牌会员");
    const refused: any = await other.evaluate("window.__events.find(e => e.name === 'error').detail");
    expect(refused.code).toBe("member_required");
    await screenshot(other, "entry-widget-member-required");
    expect(errors).toEqual([]);
    await context.close();
  });
});
