import { describe, expect, inject, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, phonePage, screenshot, signedInPage, useChromium } from "./chromium";
import { admin, api, buyVideoCard, growthRow } from "./stack";

const browser = useChromium();


/** Taps a share button and answers the link it got from POST …/shares (what was copied or shared). */
async function sharedUrl(page: import("playwright-core").Page, button: string) {
  const { baseUrl } = inject("stack");
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().includes("/shares") && r.request().method() === "POST", { timeout: 10_000 }),
    page.click(button),
  ]);
  expect(res.status()).toBe(201);
  return new URL(((await res.json()) as { url: string }).url, baseUrl).href;
}

describe("friend assist (助力) and 邀请有礼 on phones (issue 18)", () => {
  it("a member starts an assist on one phone, three friends help from their own phones, the reward lands in 我的卡券", async () => {
    const { baseUrl, keys } = inject("stack");
    const { products } = await admin("/products");
    const reward = products.find((p: any) => p.kind === "coupon");
    const assist = await admin("/assists", "POST", {
      name: `三人助力领券 ${Date.now() % 1000}`, productId: reward.id, goal: 3, hours: 24,
      startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString(), rules: "奖励券 30 天内有效。",
    });
    await admin("/invites/programmes", "POST", { name: "邀请好友各得券", inviterProductId: reward.id, inviteeProductId: reward.id });

    // The member's phone: start the assist (joins the membership on the way).
    const member = await phonePage(browser());
    await member.page.goto(`${baseUrl}/shop/assist/?t=demo&a=${assist.id}`);
    await expect.poll(() => member.page.isVisible("#start-btn"), { timeout: 10_000 }).toBe(true);
    await member.page.click("#start-btn");
    await expect.poll(() => member.page.isVisible("#assist-share"), { timeout: 10_000 }).toBe(true);
    expect(await member.page.textContent("#goal")).toBe("3");
    expect(await member.page.textContent("#countdown")).toMatch(/剩余 2[34]:\d\d:\d\d/);
    const code = new URL(member.page.url()).searchParams.get("c")!;
    expect(code).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(await member.page.getAttribute("#assist-share", "data-share-subject")).toBe(code);
    await screenshot(member.page, "assist-started");
    await fitsThePhone(member.page);

    // 邀请好友助力: the link the member sends carries their share code.
    const assistBefore = (await growthRow("assist"))?.inviteeSignups ?? 0;
    const assistLink = await sharedUrl(member.page, "#share-btn");
    expect(assistLink).toMatch(new RegExp(`/shop/assist/\\?t=demo&c=${code}&share=[A-Za-z0-9]{12}$`));

    // Three friends, each on their own phone (new visitors), open that link and help.
    let firstFriend: Awaited<ReturnType<typeof phonePage>> | null = null;
    for (let i = 0; i < 3; i++) {
      const friend = await phonePage(browser());
      await friend.page.goto(assistLink);
      await expect.poll(() => friend.page.isVisible("#help-btn"), { timeout: 10_000 }).toBe(true);
      await friend.page.click("#help-btn");
      await expect.poll(() => friend.page.textContent("#state"), { timeout: 10_000 }).toContain("助力成功");
      expect(await friend.page.textContent("#helps")).toBe(String(i + 1));
      if (i === 0) {
        // Helping twice from the same phone is refused with a clear message.
        await friend.page.reload();
        await expect.poll(() => friend.page.textContent("#state"), { timeout: 10_000 }).toContain("助力成功");
        expect(await friend.page.isVisible("#help-btn")).toBe(false);
        // Having helped, the friend is offered an assist of their own (the activity still runs).
        expect(await friend.page.isVisible("#own-link")).toBe(true);
        expect(await friend.page.getAttribute("#own-link", "href")).toBe(`?t=demo&a=${assist.id}`);
        await screenshot(friend.page, "assist-helped");
      }
      expect(friend.errors).toEqual([]);
      if (i === 0) firstFriend = friend;
      else await friend.context.close();
    }

    // A fourth visitor, who never helped, opens the link of the full request: told it is full, not thanked (it read
    // 助力成功！ to them too).
    const late = await phonePage(browser());
    await late.page.goto(assistLink);
    await expect.poll(() => late.page.textContent("#state"), { timeout: 10_000 }).toBe("该助力已集满，无需再助力");
    expect(await late.page.isVisible("#help-btn")).toBe(false);
    await late.context.close();

    // The three friends signed up through the member's share link: invitee sign-ups of 助力 in the growth view.
    await expect.poll(async () => (await growthRow("assist"))?.inviteeSignups ?? 0, { timeout: 60_000, interval: 1_000 }).toBeGreaterThanOrEqual(assistBefore + 3);

    // Another member starts their own request; the first friend, who helped already in this activity, opens it:
    // told they cannot help again (not "助力成功"), no help button, nothing counted.
    const other = await phonePage(browser());
    await other.page.goto(`${baseUrl}/shop/assist/?t=demo&a=${assist.id}`);
    await expect.poll(() => other.page.isVisible("#start-btn"), { timeout: 10_000 }).toBe(true);
    await other.page.click("#start-btn");
    await expect.poll(() => other.page.isVisible("#assist-share"), { timeout: 10_000 }).toBe(true);
    const otherCode = new URL(other.page.url()).searchParams.get("c")!;
    expect(otherCode).not.toBe(code);
    const helper = firstFriend!;
    await helper.page.goto(`${baseUrl}/shop/assist/?t=demo&c=${otherCode}`);
    await expect.poll(() => helper.page.textContent("#state"), { timeout: 10_000 }).toContain("已在本活动中为其他好友助力过");
    expect(await helper.page.textContent("#state")).not.toContain("助力成功");
    expect(await helper.page.isVisible("#help-btn")).toBe(false);
    expect(await helper.page.textContent("#helps")).toBe("0");
    await screenshot(helper.page, "assist-helped-other");
    // …and may start their own instead: the link opens the activity's page with 发起助力.
    await helper.page.click("#own-link");
    await expect.poll(() => helper.page.isVisible("#start-btn"), { timeout: 10_000 }).toBe(true);
    expect([...helper.errors, ...other.errors]).toEqual([]);
    await helper.context.close();
    await other.context.close();

    // The member sees the goal reached and the reward in 我的卡券.
    await member.page.reload();
    await expect.poll(() => member.page.textContent("#state"), { timeout: 10_000 }).toContain("奖励已发放");
    expect(await member.page.locator("#helpers li").count()).toBe(3);
    expect(await member.page.isVisible("#own-link")).toBe(false);
    await screenshot(member.page, "assist-reached");
    await member.page.click("#vouchers-link");
    await member.page.waitForURL(/\/shop\/vouchers\//);
    await expect.poll(() => member.page.textContent("body"), { timeout: 10_000 }).toContain(reward.name);
    await screenshot(member.page, "assist-reward-vouchers");

    // 邀请有礼 in the member centre: the member's invite link (a code, not their id).
    await member.page.goto(`${baseUrl}/shop/member/?t=demo`);
    await expect.poll(() => member.page.isVisible("#invites"), { timeout: 10_000 }).toBe(true);
    expect(await member.page.inputValue("#invite-link")).toMatch(/\/shop\/member\/\?t=demo&invite=[A-Za-z0-9]{10}$/);
    await screenshot(member.page, "member-invite");
    await fitsThePhone(member.page);

    // 复制 gives the share link of the invite; a new friend opens it and joins: an invitee sign-up of 邀请有礼.
    const inviteBefore = (await growthRow("invite"))?.inviteeSignups ?? 0;
    const inviteLink = await sharedUrl(member.page, "#invite-copy");
    expect(inviteLink).toMatch(/\/shop\/member\/\?t=demo&invite=[A-Za-z0-9]{10}&share=[A-Za-z0-9]{12}$/);
    const invitee = await phonePage(browser());
    await invitee.page.goto(inviteLink);
    await expect.poll(() => invitee.page.isVisible("#join-btn"), { timeout: 10_000 }).toBe(true);
    await invitee.page.click("#join-btn");
    // The card replaces the join section; the outcome and what earns the reward stay on screen, not in a hidden line.
    await expect.poll(() => invitee.page.isVisible("#invite-landing"), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => invitee.page.textContent("#invite-offer"), { timeout: 10_000 }).toMatch(/^欢迎加入！完成首笔支付订单后，你将获得「.+」。$/);
    expect(await invitee.page.isVisible("#card .tier")).toBe(true);
    await screenshot(invitee.page, "member-invitee-joined");
    await expect.poll(async () => (await growthRow("invite"))?.inviteeSignups ?? 0, { timeout: 60_000, interval: 1_000 }).toBeGreaterThanOrEqual(inviteBefore + 1);
    // The friend's first order: their own reward is listed as the reward of an invitee, beside counters of inviting.
    await buyVideoCard(invitee.page);
    await invitee.page.goto(`${inject("stack").baseUrl}/shop/member/?t=demo`);
    await expect.poll(async () => { await invitee.page.reload(); return invitee.page.textContent("#invite-rewards"); }, { timeout: 60_000, interval: 2_000 }).toContain("受邀首单奖励");
    expect(await invitee.page.textContent("#invited")).toBe("0");
    await screenshot(invitee.page, "member-invitee-reward");
    expect(invitee.errors).toEqual([]);
    await invitee.context.close();
    expect(member.errors).toEqual([]);
    await member.context.close();

    // The operator watches it.
    const console = await signedInPage(browser(), `${baseUrl}/admin/assists/`, keys.admin!);
    const row = console.locator("#list tr", { hasText: assist.name });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.textContent()).toContain("3 / 24h");
    await screenshot(console, "admin-assists");
    await console.goto(`${baseUrl}/admin/invites/`);
    await expect.poll(() => console.locator("#programmes tr").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await screenshot(console, "admin-invites");
    await console.context().close();
    // The growth view waits on the warehouse (page → worker → outbox → queue → warehouse): more than the default 60 s.
  }, 240_000);

  it("another brand's console links its assist to its own store, and the link opens the assist", { timeout: 60_000 }, async () => {
    const { baseUrl } = inject("stack");
    const platform = new ApiClient(baseUrl, loadDevVars().PLATFORM_ADMIN_TOKEN);
    const slug = `assist-${Date.now().toString(36)}`;
    const brand = await platform.ok<{ id: string }>("POST", "/platform/tenants", { slug, name: "助力品牌" });
    const key = (await platform.ok<{ secret: string }>("POST", `/platform/tenants/${brand.id}/keys`, { name: "admin", scopes: ["admin"] })).secret;
    const own = new ApiClient(baseUrl, key);
    const coupon = await own.ok<{ id: string }>("POST", "/products", {
      kind: "coupon", name: "满50减10券", priceCents: 0, faceValueCents: 1000, validity: { kind: "relative", days: 30 },
      scope: "全场商品", config: { coupon: { thresholdCents: 5000, discountCents: 1000 } },
    });
    await own.ok("POST", `/products/${coupon.id}/status`, { status: "published" });
    const assist = await own.ok<{ id: string }>("POST", "/assists", {
      name: "本店助力", productId: coupon.id, goal: 2, hours: 24,
      startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString(), rules: "奖励券 30 天内有效。",
    });
    const console = await signedInPage(browser(), `${baseUrl}/admin/assists/`, key);
    const link = console.locator("#list tr", { hasText: "本店助力" }).locator("a");
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBe(1);
    expect(await link.getAttribute("href")).toBe(`/shop/assist/?t=${slug}&a=${assist.id}`);
    const visitor = await phonePage(browser());
    await visitor.page.goto(`${baseUrl}${await link.getAttribute("href")}`);
    await expect.poll(() => visitor.page.isVisible("#start-btn"), { timeout: 10_000 }).toBe(true);
    expect(visitor.errors).toEqual([]);
    await Promise.all([console.context().close(), visitor.context.close()]);
  });

  it("an activity the operator closed: its request link offers no 帮 TA 助力, the requester no sharing, the activity page no 发起助力 — each says it ended", { timeout: 90_000 }, async () => {
    const { baseUrl } = inject("stack");
    const { products } = await admin("/products");
    const reward = products.find((p: any) => p.kind === "coupon");
    const assist = await admin("/assists", "POST", {
      name: `关闭测试助力 ${Date.now() % 1000}`, productId: reward.id, goal: 3, hours: 24,
      startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const member = await phonePage(browser());
    await member.page.goto(`${baseUrl}/shop/assist/?t=demo&a=${assist.id}`);
    await expect.poll(() => member.page.isVisible("#start-btn"), { timeout: 10_000 }).toBe(true);
    await member.page.click("#start-btn");
    await expect.poll(() => member.page.isVisible("#assist-share"), { timeout: 10_000 }).toBe(true);
    const requestUrl = member.page.url();
    await admin(`/assists/${assist.id}/status`, "POST", { status: "closed" });

    // A friend opening the link now: nothing to tap that would be refused, and the page says why.
    const friend = await phonePage(browser());
    await friend.page.goto(requestUrl);
    await expect.poll(() => friend.page.textContent("#state"), { timeout: 10_000 }).toBe("活动已结束，无法再助力");
    expect(await friend.page.isVisible("#help-btn")).toBe(false);
    expect(await friend.page.isVisible("#own-link")).toBe(false);
    expect(await friend.page.textContent("#countdown")).toBe("");
    await fitsThePhone(friend.page);
    await screenshot(friend.page, "assist-closed-friend");

    // The requester: no 邀请好友助力 / poster into a closed activity, no countdown.
    await member.page.reload();
    await expect.poll(() => member.page.textContent("#state"), { timeout: 10_000 }).toBe("活动已结束，本次助力未集满，不再计数");
    expect(await member.page.isVisible("#assist-share")).toBe(false);
    expect(await member.page.isVisible("[data-share-poster]")).toBe(false);
    expect(await member.page.textContent("#countdown")).toBe("");

    // Someone else on the activity's own page: told it ended, not offered 发起助力.
    const other = await phonePage(browser());
    await other.page.goto(`${baseUrl}/shop/assist/?t=demo&a=${assist.id}`);
    await expect.poll(() => other.page.textContent("#state"), { timeout: 10_000 }).toBe("活动已结束，无法再发起助力");
    expect(await other.page.isVisible("#start-btn")).toBe(false);
    await screenshot(other.page, "assist-closed-home");
    for (const p of [member, friend, other]) expect(p.errors).toEqual([]);
    await Promise.all([member, friend, other].map((p) => p.context.close()));
  });

  it("an invite link with a forged or cut-off code promises no reward, and 立即加入 still makes the visitor a member", { timeout: 60_000 }, async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/shop/member/?t=demo&invite=FORGED1234`);
    await expect.poll(() => page.textContent("#invite-offer"), { timeout: 10_000 }).toBe("这个邀请链接无效或不完整，不计邀请奖励；你仍可直接加入会员。");
    await fitsThePhone(page);
    await screenshot(page, "invite-forged-code");
    // The member's invites load slowly (as on a busy phone network): the card must not wait for them, nor read
    // 你还不是本店会员 once the join form is gone.
    await page.route("**/member/invites", async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.click("#join-btn");
    await expect.poll(() => page.isVisible("#join"), { timeout: 10_000 }).toBe(false);
    expect(await page.textContent("#card")).toContain("No.");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a new visitor's double tap on 立即加入 makes one guest and one member card", { timeout: 60_000 }, async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    const sent: string[] = [];
    page.on("request", (r) => void (r.method() === "POST" && sent.push(new URL(r.url()).pathname)));
    await page.goto(`${baseUrl}/shop/member/?t=demo`);
    await expect.poll(() => page.isVisible("#join-btn"), { timeout: 10_000 }).toBe(true);
    // Two taps in the same moment (it made two guests and two cards, one of them an orphan member).
    await page.evaluate(() => { const b = (globalThis as any).document.getElementById("join-btn"); b.click(); b.click(); });
    await expect.poll(() => page.isVisible("#join"), { timeout: 10_000 }).toBe(false);
    expect(await page.textContent("#card")).toContain("No.");
    expect(sent.filter((p) => p.endsWith("/guest"))).toHaveLength(1);
    expect(sent.filter((p) => p.endsWith("/member/join"))).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("without an assist id the page shows only the missing-parameter message", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/shop/assist/?t=demo`);
    await expect.poll(() => page.textContent("#state"), { timeout: 10_000 }).toBe("缺少活动参数");
    expect(await page.isVisible("#reward")).toBe(false);
    expect(await page.locator("main").innerText()).not.toContain("加载中");
    await fitsThePhone(page);
    expect(errors).toEqual([]);
    await context.close();
  });
});
