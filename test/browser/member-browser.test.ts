import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, signedInPage, signInWithPhone, useChromium } from "./chromium";
import { admin, serveHtml, buyVideoCard } from "./stack";
import { signMemberToken } from "../../worker/domain/member-token";
import { DEMO_TIERS } from "../../scripts/lib/seed-tiers";

const browser = useChromium();

describe("member centre on a phone (issue 17)", () => {
  it("sign in → join → card → the operator lowers a tier's threshold → pay an order → the card shows the new tier", async () => {
    const { baseUrl, keys } = inject("stack");
    const existing: { name: string; rank: number }[] = (await admin("/members/tiers")).tiers;
    const rank = Math.max(-1, ...existing.map((t) => t.rank));
    const goldName = `金卡${Date.now() % 1000}`;
    await admin("/members/tiers", "POST", { name: goldName, rank: Math.max(1, rank + 1), growthThreshold: 1_000_000, privileges: { percentOff: 5 } });

    const { context, page, errors } = await phonePage(browser());
    // Sign in with the phone (the SMS sandbox shows the code in development).
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    const phone = `136${String(Date.now()).slice(-8)}`;
    await signInWithPhone(page, phone);

    // 会员中心 from the 我的 switch: not a member yet → join.
    await page.click("#to-member");
    await page.waitForURL(/\/shop\/member\/\?t=demo/);
    await expect.poll(() => page.isVisible("#join-btn"), { timeout: 10_000 }).toBe(true);
    await screenshot(page, "member-join");
    await page.click("#join-btn");
    await expect.poll(() => page.textContent("#card"), { timeout: 10_000 }).toMatch(/No\. \d{4} \d{4} \d{4}/);
    // The demo brand's own ladder (scripts/lib/seed-tiers.ts): a new member holds its entry tier, on the way to the next.
    expect(await page.textContent(".mhead .tier")).toBe(DEMO_TIERS[0]!.name);
    expect(await page.textContent("#card .next")).toBe(`距「${DEMO_TIERS[1]!.name}」还差 ${DEMO_TIERS[1]!.growthThreshold} 成长值`);
    // …and what that next tier gives (the entry tier gives nothing extra).
    await expect.poll(() => page.textContent("#next-privileges")).toBe(`升级到「${DEMO_TIERS[1]!.name}」可享：商城会员价 ${(100 - DEMO_TIERS[1]!.percentOff) / 10} 折、抽奖每场多 ${DEMO_TIERS[1]!.extraLotteryChances} 次机会`);
    // The entry tier (no growth needed) is never reviewed away, so the card names no date for it.
    expect(await page.locator("#card .review").count()).toBe(0);
    expect(await page.isVisible("#join")).toBe(false);
    await screenshot(page, "member-card");
    await fitsThePhone(page);

    // The operator lowers the gold threshold to 10 growth in /admin/members/.
    const console = await signedInPage(browser(), `${baseUrl}/admin/members/`, keys.admin!);
    const row = console.locator("#tiers tr", { hasText: goldName });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    await row.getByRole("button").click();
    await console.fill("#tier-threshold", "10");
    await console.click("#tier-save");
    await expect.poll(() => console.textContent("#tier-msg"), { timeout: 10_000 }).toContain(goldName);
    await console.fill("#search-q", phone.slice(-4));
    await console.click("#search-form button[type=submit]");
    await expect.poll(() => console.locator("#members tr").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    // The search is in the address: the same link opened elsewhere lists the same members.
    expect(new URL(console.url()).searchParams.get("q")).toBe(phone.slice(-4));
    const linked = await signedInPage(browser(), console.url(), keys.admin!);
    expect(await linked.inputValue("#search-q")).toBe(phone.slice(-4));
    await expect.poll(async () => (await linked.locator("#members tr").allTextContents()).join("|"), { timeout: 10_000 })
      .toBe((await console.locator("#members tr").allTextContents()).join("|"));
    for (const text of await linked.locator("#members tr").allTextContents()) expect(text).toContain(phone.slice(-4));
    await linked.context().close();
    await console.locator("#members tr").first().getByRole("button").click();
    await expect.poll(() => console.isVisible("#member"), { timeout: 10_000 }).toBe(true);
    await screenshot(console, "admin-members");
    expect(await console.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);

    // Buy and pay: the growth of the order lifts the member to gold at once.
    await buyVideoCard(page);
    await page.goto(`${baseUrl}/shop/member/?t=demo`);
    await expect.poll(() => page.textContent(".mhead .tier"), { timeout: 10_000 }).toBe(goldName);
    expect(await page.textContent("#privilege-list")).toContain("9.5 折");
    // Until when the earned tier holds: a year after joining, then reviewed on the last 12 months' growth.
    const inAYear = new Date(Date.now() + 365 * 86_400_000);
    expect(await page.textContent("#card .review")).toMatch(new RegExp(`${goldName}有效期至 ${inAYear.getFullYear()}/${inAYear.getMonth() + 1}/`));
    expect(await page.textContent("#history-list")).toContain("等级变更");
    await screenshot(page, "member-upgraded");
    await fitsThePhone(page);
    expect(errors).toEqual([]);
    await console.context().close();

    // The widget on the brand's own page, with the brand's member token: the member card, joined in place.
    const now = Date.now();
    const { products } = await admin("/products");
    const flash = await admin("/campaigns", "POST", {
      kind: "flash_sale", name: "会员页秒杀", productId: products.find((p: any) => p.name === "视频会员月卡").id, priceCents: 990, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(),
    });
    const { secret, audience } = await admin("/tenant/member-token-secret", "POST", { overlapMinutes: 60 });
    const token = await signMemberToken(secret, audience, `crm-${now}`, Math.floor(now / 1000) + 3600);
    const host = await serveHtml(`<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><h3>品牌会员中心</h3><script src="${baseUrl}/widget.js" data-campaign="${flash.id}" data-member-token="${token}" async></script></body></html>`);
    try {
      const tenant = await admin("/tenant");
      await admin("/tenant", "PATCH", { allowedOrigins: [...tenant.allowedOrigins, host.origin] });
      const brand = await context.newPage();
      await brand.goto(`${host.origin}/`);
      await expect.poll(() => brand.locator("kaquan-campaign button.join").count(), { timeout: 15_000 }).toBe(1);
      await brand.locator("kaquan-campaign button.join").click();
      await expect.poll(() => brand.locator("kaquan-campaign .m").textContent(), { timeout: 10_000 }).toMatch(/会员卡 · .*No\. \d{12}/);
      await screenshot(brand, "member-widget");
      const joined = await admin(`/members?q=${encodeURIComponent((/No\. (\d{12})/.exec((await brand.locator("kaquan-campaign .m").textContent())!) ?? [])[1] ?? "")}`);
      expect(joined.members).toHaveLength(1);
    } finally {
      host.server.close();
    }
    await context.close();
  });

  it("a brand with no tiers: a new member's card shows no tier bar and never 已是最高等级 at 0 成长值", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    // The card as a brand with no tiers answers it (the demo brand's ladder may have tiers other tests added).
    await page.route(/\/api\/v1\/shop\/demo\/member$/, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      if (body.member) Object.assign(body.member, { tier: null, earnedTierId: null, nextTier: null, tierReviewAt: null });
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await signInWithPhone(page, `135${String(Date.now()).slice(-8)}`);
    await page.goto(`${baseUrl}/shop/member/?t=demo`);
    await expect.poll(() => page.isVisible("#join-btn"), { timeout: 10_000 }).toBe(true);
    await page.click("#join-btn");
    await expect.poll(() => page.textContent("#card"), { timeout: 10_000 }).toMatch(/No\. \d{4} \d{4} \d{4}/);
    expect(await page.textContent("#card")).not.toContain("最高等级");
    expect(await page.locator("#card progress").count()).toBe(0);
    expect(await page.textContent("#growth")).toBe("0");
    await screenshot(page, "member-card-no-tiers");
    await fitsThePhone(page);
    expect(errors).toEqual([]);
    await context.close();
  });

  // Issue 15 #4: the page's largest text is in the built page, so it paints before /me and /member answer.
  it("shows what membership gives while the card's API calls are still held, and nothing moves when they answer", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    const held: (() => Promise<void>)[] = [];
    await page.route(/\/api\/v1\/shop\/demo\/(me|member)$/, (route) => void held.push(() => route.continue()));
    await page.goto(`${baseUrl}/shop/member/?t=demo`);
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(2);
    const lead = page.locator("main > p.lead");
    expect(await lead.textContent()).toContain("成长值");
    const before = (await lead.boundingBox())!;
    const card = (await page.locator("#card").boundingBox())!;
    expect(card.height).toBeGreaterThanOrEqual(200);
    expect(await page.isVisible("#join")).toBe(false);
    await screenshot(page, "member-before-api");

    await Promise.all(held.map((go) => go()));
    await expect.poll(() => page.isVisible("#join-btn"), { timeout: 10_000 }).toBe(true);
    expect((await lead.boundingBox())!.y).toBe(before.y);
    expect((await page.locator("#card").boundingBox())!.height).toBe(card.height);
    expect(errors).toEqual([]);
    await context.close();
  });
});
