import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, FULL_SCREEN, phoneContext, phonePage, screenshot, signedInPage, useChromium } from "./chromium";
import { admin, serveHtml } from "./stack";

/** Issue 16 item 4 end to end: a suspicious phone meets a challenge on the campaign page, solves it, and claims. */
const browser = useChromium();

const HEADLESS_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Mobile Safari/604.1";

async function couponCampaign(name: string) {
  const { products } = await admin("/products");
  const productId = products.find((p: any) => p.kind === "coupon" && p.status === "published").id;
  return admin("/campaigns", "POST", {
    kind: "coupon_claim", name, productId, stock: 50, perUserLimit: 2, shards: 1,
    startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
}

describe("challenge on suspicion in a real browser", () => {
  it("a headless phone is challenged, the page solves the proof of work and the claim succeeds; the next tap is not challenged", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const c = await couponCampaign("安全验证测试券");

    // An iPhone-sized page whose User-Agent gives it away as headless Chromium (driven by playwright: webdriver too).
    const { context, page, errors } = await phonePage(browser(), { ...FULL_SCREEN, userAgent: HEADLESS_IPHONE });
    const claims: { status: number; code: string | null; challenged: boolean; answered: boolean }[] = [];
    page.on("response", async (r) => {
      if (!r.url().endsWith(`/campaigns/${c.id}/claims`) || r.request().method() !== "POST") return;
      const body = await r.json().catch(() => null);
      claims.push({ status: r.status(), code: body?.error?.code ?? null, challenged: !!body?.error?.challenge, answered: !!r.request().headers()["x-kaquan-challenge"] });
    });

    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${c.id}`);
    await expect.poll(() => page.isEnabled("#go"), { timeout: 15_000 }).toBe(true);
    await page.click("#go");
    await expect.poll(() => page.textContent("#result"), { timeout: 30_000 }).toContain("领取成功");
    await screenshot(page, "risk-challenge-solved");

    expect(claims[0]).toMatchObject({ status: 403, code: "challenge_required", challenged: true, answered: false });
    expect(claims[1]).toMatchObject({ status: 200, answered: true });
    expect(claims).toHaveLength(2);
    expect(await page.evaluate(() => localStorage.getItem("kq-pass"))).toMatch(/^kqp1\./);

    // The pass: the second tap is one request, answered without a challenge.
    await expect.poll(() => page.isEnabled("#go"), { timeout: 15_000 }).toBe(true);
    await page.click("#go");
    await expect.poll(() => claims.length, { timeout: 15_000 }).toBe(3);
    expect(claims[2]).toMatchObject({ status: 200, answered: false, challenged: false });
    expect(errors).toEqual([]);

    // The operator sees the decisions on the campaign.
    const risk = await admin(`/campaigns/${c.id}/risk`);
    expect(risk.decisions.challenged).toBeGreaterThanOrEqual(1);
    const op = await phoneContext(browser(), FULL_SCREEN);
    const ops = await signedInPage(browser(), `${baseUrl}/admin/risk/?campaign=${c.id}`, inject("stack").keys.operator!, "kq-operator-key", op);
    await expect.poll(() => ops.textContent("#reasons"), { timeout: 15_000 }).toContain("无头浏览器");
    await screenshot(ops, "risk-console");
    await fitsThePhone(ops);
    await op.close();
    await context.close();
  });

  it("the widget on a brand's page solves the challenge too and reports the claim", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const c = await couponCampaign("品牌页安全验证券");
    const { origin, server } = await serveHtml(`<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width,initial-scale=1"></head><body>
<script>window.__events=[];for(const n of ["ready","claimed","error"])document.addEventListener("kaquan:"+n,e=>window.__events.push({name:n,detail:e.detail}));</script>
<script src="${baseUrl}/widget.js" data-campaign="${c.id}" async></script></body></html>`);
    try {
      const tenant = await admin("/tenant");
      await admin("/tenant", "PATCH", { allowedOrigins: [...tenant.allowedOrigins, origin] });
      const context = await phoneContext(browser(), { ...FULL_SCREEN, userAgent: HEADLESS_IPHONE });
      const page = await context.newPage();
      const statuses: number[] = [];
      page.on("response", (r) => {
        if (r.url().endsWith(`/campaigns/${c.id}/claims`) && r.request().method() === "POST") statuses.push(r.status());
      });
      await page.goto(`${origin}/`);
      await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 15_000 }).toContain("ready");
      await page.locator("kaquan-campaign button.go").click();
      await expect.poll(() => page.evaluate("window.__events.map(e => e.name)"), { timeout: 30_000 }).toContain("claimed");
      expect(statuses).toEqual([403, 200]);
      await expect.poll(() => page.locator("kaquan-campaign [role=status]").textContent()).toContain("领取成功");
      await screenshot(page, "risk-challenge-widget");
      await context.close();
    } finally {
      server.close();
    }
  });
});