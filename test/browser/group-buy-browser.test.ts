import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, pageErrors, phoneContext, phonePage, screenshot, signedInPage, useChromium } from "./chromium";
import { growthRow } from "./stack";

const browser = useChromium();

/** At the sandbox cashier the buyer pays; the gateway returns them to their order page. */
async function payAtCashier(page: Page) {
  await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
  await page.click("#pay");
  await page.waitForURL(/\/shop\/order\//, { timeout: 15_000 });
}

/** A new card-key product with `keys` keys, a two-seat group buy of it (30 min) and a team a guest opened on it. */
async function openTwoSeatTeam(name: string, keys: number): Promise<any> {
  const { baseUrl, keys: apiKeys } = inject("stack");
  const admin = new ApiClient(baseUrl, apiKeys.admin!);
  const product = await admin.ok<{ id: string }>("POST", "/products", {
    kind: "card_key", name: `${name} ${Date.now().toString(36)}`, priceCents: 2990, faceValueCents: 3000, validity: { kind: "relative", days: 30 }, scope: "测试",
  });
  await admin.ok("POST", `/products/${product.id}/keys/import`, { rows: Array.from({ length: keys }, (_, i) => ({ line: i + 1, secret: `TEAM-${product.id}-${i}` })) });
  await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
  const buy = await admin.ok<{ id: string }>("POST", "/group-buys", {
    productId: product.id, name: "两人团", groupPriceCents: 1990, teamSize: 2, teamMinutes: 30, endsAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const guest = await fetch(`${baseUrl}/api/v1/shop/demo/guest`, { method: "POST" });
  const cookie = (guest.headers.get("set-cookie") ?? "").split(";")[0]!;
  return (await fetch(`${baseUrl}/api/v1/shop/demo/group-buys/${buy.id}/teams`, { method: "POST", headers: { cookie } })).json();
}

/** The leader pays; a friend on a phone opens the team's link, taps 参团 and stands at the cashier. */
async function friendAtCashier(opened: any) {
  const { baseUrl } = inject("stack");
  await fetch(`${baseUrl}${opened.mine.checkoutUrl}/pay`, { method: "POST" });
  const { context, page, errors } = await phonePage(browser());
  const teamUrl = `${baseUrl}/shop/group/?t=demo&team=${opened.team.id}`;
  await page.goto(teamUrl);
  await expect.poll(() => page.isVisible("#join"), { timeout: 10_000 }).toBe(true);
  await page.click("#join");
  await page.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
  return { context, page, errors, teamUrl, cashier: page.url() };
}

describe("group buy (拼团) on three phones", () => {
  it("one phone opens a team, two others join through its link, each pays at the cashier, all three see their keys", { timeout: 180_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    // A card-key product of its own with three keys, so the shared stack's other tests take none of them.
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "card_key", name: `三人团测试卡 ${Date.now().toString(36)}`, priceCents: 2990, faceValueCents: 3000, validity: { kind: "relative", days: 30 }, scope: "测试",
    });
    await admin.ok("POST", `/products/${product.id}/keys/import`, { rows: [1, 2, 3].map((n) => ({ line: n, secret: `GROUP-${product.id}-${n}` })) });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    const buy = await admin.ok<{ id: string }>("POST", "/group-buys", {
      productId: product.id, name: "三人团", groupPriceCents: 1990, teamSize: 3, teamMinutes: 30, endsAt: new Date(Date.now() + 86_400_000).toISOString(),
    });

    const phones = await Promise.all([0, 1, 2].map(() => phoneContext(browser())));
    const [leader, a, b] = await Promise.all(phones.map((c) => c.newPage()));
    const errors = [leader, a, b].map((p) => pageErrors(p!));

    // The leader: the product page offers 发起拼团, the group page opens a team and goes to the cashier.
    await leader!.goto(`${baseUrl}/shop/product/?t=demo&id=${product.id}`);
    await expect.poll(() => leader!.isVisible("#group-open"), { timeout: 10_000 }).toBe(true);
    expect(await leader!.textContent("#group-open")).toContain("¥19.90");
    await leader!.click("#group-open");
    await expect.poll(() => leader!.isVisible("#open"), { timeout: 10_000 }).toBe(true);
    expect(await leader!.textContent("#group")).toContain("¥29.90");
    await screenshot(leader!, "group-start");
    await leader!.click("#open");
    await payAtCashier(leader!);
    // The paid seat waits for the team: the order says so, not that delivery is under way.
    await expect.poll(() => leader!.textContent("#order"), { timeout: 10_000 }).toContain("已支付，等待成团");
    // In 我的订单 it waits under 待发货, not 已完成 (it opens on the first tab that has orders).
    const orderUrl = leader!.url();
    await leader!.goto(`${baseUrl}/shop/orders/?t=demo`);
    await expect.poll(() => leader!.getAttribute("[role=tab][aria-selected=true]", "data-tab"), { timeout: 10_000 }).toBe("waiting");
    expect(await leader!.textContent(".order")).toContain("已支付，等待成团");
    expect(await leader!.getAttribute("[role=tab][data-tab=done]", "data-count")).toBe("");
    await leader!.goto(orderUrl);
    await leader!.click("#to-team");
    await expect.poll(() => leader!.textContent("#team"), { timeout: 10_000 }).toContain("还差 2 人");
    expect(await leader!.textContent("#team")).toContain("已支付，等待成团");
    expect(await leader!.isVisible("#group-share")).toBe(true);
    await fitsThePhone(leader!);
    await screenshot(leader!, "group-team-waiting");
    const teamUrl = leader!.url();
    expect(teamUrl).toMatch(/\/shop\/group\/\?t=demo&team=gt_/);
    // The share poster: its QR link is the leader's share link of this team (POST …/shares records share_sent).
    await leader!.click("[data-poster-open]");
    await expect.poll(() => leader!.getAttribute("[data-share-poster]", "data-share-url"), { timeout: 10_000 }).toMatch(/\/shop\/group\/\?t=demo&team=gt_\w+&share=\w+$/);
    expect(await leader!.getAttribute("[data-poster-img]", "src")).toMatch(/^data:image\/png/);
    // A team has no picture of its own: the picture area carries the brand's banner, not an empty grey box.
    const corner = await leader!.evaluate(`(async () => {
      const img = document.querySelector("[data-poster-img]");
      await img.decode();
      const c = document.createElement("canvas");
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      const ctx = c.getContext("2d");
      ctx.drawImage(img, 0, 0);
      return Array.from(ctx.getImageData(10, 100, 1, 1).data.slice(0, 3));
    })()`);
    expect(corner).toEqual([255, 247, 237]);
    await leader!.locator("[data-poster-img]").scrollIntoViewIfNeeded();
    await screenshot(leader!, "group-poster");
    const shared = (await leader!.getAttribute("[data-share-poster]", "data-share-url"))!;
    const groupBefore = (await growthRow("group"))?.inviteeSignups ?? 0;

    // Two friends open the shared link on their own phones, join and pay.
    for (const [friend, name] of [[a!, "a"], [b!, "b"]] as const) {
      await friend.goto(shared);
      await expect.poll(() => friend.isVisible("#join"), { timeout: 10_000 }).toBe(true);
      if (name === "a") await screenshot(friend, "group-join");
      await friend.click("#join");
      await payAtCashier(friend);
    }

    // All three: the team is full and each order shows its key.
    for (const page of [leader!, a!, b!]) {
      await page.goto(teamUrl);
      await expect.poll(() => page.textContent("#team"), { timeout: 15_000 }).toContain("已成团");
      await page.click("#view-order");
      await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
      expect(await page.textContent(".secret")).toContain(`GROUP-${product.id}-`);
      if (page === a) await screenshot(page, "group-member-key");
    }
    await b!.goto(teamUrl);
    await expect.poll(() => b!.locator(".seat:not(.empty)").count(), { timeout: 10_000 }).toBe(3);
    await fitsThePhone(b!);
    await screenshot(b!, "group-team-full");

    // A late friend on the full team is offered a team of their own, not a dead end.
    const late = await (await phoneContext(browser())).newPage();
    await late.goto(teamUrl);
    await expect.poll(() => late.isVisible("#own-team"), { timeout: 10_000 }).toBe(true);
    expect(await late.getAttribute("#own-team", "href")).toContain(`g=${buy.id}`);
    await late.context().close();

    // The two friends were new to the shop and came through the leader's link: the group row's invitee sign-ups.
    await expect.poll(async () => (await growthRow("group"))?.inviteeSignups ?? 0, { timeout: 60_000, interval: 1_000 }).toBeGreaterThanOrEqual(groupBefore + 2);

    const detail = await admin.ok<{ teams: { status: string; members: unknown[] }[] }>("GET", `/group-buys/${buy.id}`);
    expect(detail.teams).toMatchObject([{ status: "completed" }]);
    expect(detail.teams[0]!.members.length).toBe(3);
    for (const e of errors) expect(e).toEqual([]);
    await Promise.all(phones.map((c) => c.close()));
  });

  it("a join refused for want of stock says 已售罄 next to the button, above the tab bar", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    // One key only: the leader's order takes it, so a friend's 参团 is refused (409 sold_out, "Out of stock").
    // The leader opens the team and pays without a browser (a guest session, the sandbox cashier's pay).
    const opened = await openTwoSeatTeam("售罄团测试卡", 1);
    expect(opened.mine.checkoutUrl).toBeTruthy();
    await fetch(`${baseUrl}${opened.mine.checkoutUrl}/pay`, { method: "POST" });

    const context = await phoneContext(browser());
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${baseUrl}/shop/group/?t=demo&team=${opened.team.id}`);
    await expect.poll(() => page.isVisible("#join"), { timeout: 10_000 }).toBe(true);
    await page.click("#join");
    await expect.poll(() => page.textContent("#msg"), { timeout: 10_000 }).toBe("已售罄");
    const msg = (await page.locator("#msg").boundingBox())!;
    const tabbar = (await page.locator(".tabbar").boundingBox())!;
    expect(msg.y).toBeGreaterThanOrEqual(0);
    expect(msg.y + msg.height).toBeLessThanOrEqual(tabbar.y);
    await fitsThePhone(page);
    await screenshot(page, "group-join-sold-out");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a friend still at the cashier when the team fails: the order is closed, the page says nothing was charged, the cashier takes nothing", { timeout: 120_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const opened = await openTwoSeatTeam("未成团测试卡", 2);
    const { context, page, errors, teamUrl, cashier } = await friendAtCashier(opened);
    // The team fails while the friend is at the cashier (the operator ends the group buy: open teams fail, as at a deadline).
    await admin.ok("POST", `/group-buys/${opened.groupBuy.id}/close`);

    await page.goto(teamUrl);
    await expect.poll(() => page.textContent("#team"), { timeout: 10_000 }).toContain("拼团已结束，你的订单已关闭，未扣款");
    expect(await page.textContent("#team")).not.toContain("等待支付");
    expect(await page.isVisible("#pay")).toBe(false);
    await fitsThePhone(page);
    await screenshot(page, "group-failed-unpaid-seat");
    await page.click("#view-order");
    await expect.poll(() => page.textContent("#closed-note"), { timeout: 10_000 }).toContain("拼团未成功，订单已自动关闭，未扣款");
    expect(await page.textContent("#order")).toContain("已取消");
    // Back at the cashier tab: nothing to pay.
    await page.goto(cashier);
    expect(await page.textContent("body")).toContain("订单已取消");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("the leader of a team that failed is refunded, and the page offers a next step: not 查看订单 alone", { timeout: 120_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const opened = await openTwoSeatTeam("失败团团长卡", 2);
    const { context, page, errors } = await phonePage(browser());
    // The leader opens a team of their own on the same group buy in the browser, and pays.
    await page.goto(`${baseUrl}/shop/group/?t=demo&g=${opened.groupBuy.id}`);
    await expect.poll(() => page.isVisible("#open"), { timeout: 10_000 }).toBe(true);
    await page.click("#open");
    await payAtCashier(page);
    await expect.poll(() => page.textContent("#order"), { timeout: 10_000 }).toContain("已支付，等待成团");
    await page.click("#to-team");
    await expect.poll(() => page.textContent("#team"), { timeout: 10_000 }).toContain("已支付，等待成团");
    // The operator ends the group buy: its open teams fail and their paid seats are refunded.
    await admin.ok("POST", `/group-buys/${opened.groupBuy.id}/close`);
    await page.reload();
    await expect.poll(() => page.textContent("#team"), { timeout: 15_000 }).toContain("你的付款已全额退回");
    // The refunded order is still there to read, but it is not the next step: the store's other offers are.
    expect(await page.getAttribute("#view-order", "class")).toContain("ghost");
    expect(await page.isVisible("#own-team")).toBe(false);
    expect(await page.isVisible("#shop-more")).toBe(true);
    expect(await page.getAttribute("#shop-more", "href")).toBe("/shop/?t=demo");
    await fitsThePhone(page);
    await screenshot(page, "group-failed-leader-refunded");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a friend still at the cashier when the team fills: the order is closed, team and order pages say why, no 去支付, the cashier takes nothing", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const opened = await openTwoSeatTeam("满员团测试卡", 3);
    const { context, page, errors, teamUrl, cashier } = await friendAtCashier(opened);
    // Another friend joins and pays first: the team is full.
    const guest = await fetch(`${baseUrl}/api/v1/shop/demo/guest`, { method: "POST" });
    const cookie = (guest.headers.get("set-cookie") ?? "").split(";")[0]!;
    const other = (await (await fetch(`${baseUrl}/api/v1/shop/demo/group-teams/${opened.team.id}/join`, { method: "POST", headers: { cookie } })).json()) as { mine: { checkoutUrl: string } };
    await fetch(`${baseUrl}${other.mine.checkoutUrl}/pay`, { method: "POST" });

    await page.goto(teamUrl);
    await expect.poll(() => page.textContent("#team"), { timeout: 10_000 }).toContain("拼团已满员，你的订单已关闭，未扣款");
    expect(await page.isVisible("#pay")).toBe(false);
    await fitsThePhone(page);
    await screenshot(page, "group-full-unpaid-seat");
    await page.click("#view-order");
    await expect.poll(() => page.textContent("#closed-note"), { timeout: 10_000 }).toContain("拼团已满员，你的订单已关闭，未扣款");
    expect(await page.textContent("#order")).toContain("已取消");
    expect(await page.textContent("#order")).not.toContain("去支付");
    await screenshot(page, "group-full-unpaid-order");
    await page.goto(cashier);
    expect(await page.textContent("body")).toContain("订单已取消");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("at the deadline the page stops offering to join or pay while the team is settled, whatever its re-reads still say", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const opened = await openTwoSeatTeam("截止团测试卡", 2);

    const context = await phoneContext(browser());
    const page = await context.newPage();
    const errors = pageErrors(page);
    // The phone's clock is an hour slow: the countdown runs on the server's time, which each answer carries.
    await page.clock.install({ time: Date.now() - 3_600_000 });
    const reads: number[] = [];
    page.on("response", (r) => {
      if (r.request().method() === "GET" && r.url().includes(`/group-teams/${opened.team.id}`)) reads.push(Date.now());
    });
    await page.goto(`${baseUrl}/shop/group/?t=demo&team=${opened.team.id}`);
    await expect.poll(() => page.isVisible("#join"), { timeout: 10_000 }).toBe(true);
    expect(await page.textContent(".countdown")).toMatch(/剩余 0:(29|30):/);
    expect(await page.isVisible("#group-share")).toBe(true);
    // From here on, anything that offers the team again is recorded (a re-read answering after the deadline did).
    await page.evaluate(`(() => {
      window.__offered = [];
      new MutationObserver(() => {
        const cd = document.querySelector(".countdown")?.textContent ?? "";
        if (!window.__settled) { window.__settled = cd.includes("正在结算"); return; }
        if (document.querySelector("#join, #pay") || !cd.includes("正在结算")) window.__offered.push(cd);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    // The page's clock only: the team's deadline passes on the phone while the server still holds it open.
    await page.clock.fastForward("30:05");
    await expect.poll(() => page.textContent(".countdown"), { timeout: 10_000 }).toBe("已到截止时间，正在结算…");
    // Two more reads of the team (every 5 s; the server still says open, with its own earlier time) change nothing.
    const seen = reads.length;
    await expect.poll(() => reads.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(seen + 2);
    await page.waitForTimeout(200);
    expect(await page.evaluate("window.__offered")).toEqual([]);
    expect(await page.textContent(".countdown")).toBe("已到截止时间，正在结算…");
    expect(await page.isVisible("#join")).toBe(false);
    expect(await page.isVisible("#group-share")).toBe(false);
    await screenshot(page, "group-deadline");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("with several group buys on a product, the product page offers each running one, or says when the next starts; the group page of one not started says when", { timeout: 90_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "card_key", name: `多团测试卡 ${Date.now().toString(36)}`, priceCents: 2990, faceValueCents: 3000, validity: { kind: "relative", days: 30 }, scope: "测试",
    });
    await admin.ok("POST", `/products/${product.id}/keys/import`, { rows: [{ line: 1, secret: `MULTI-${product.id}` }] });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    const day = new Date(Date.now() + 86_400_000).toISOString();
    const buy = (name: string, groupPriceCents: number, teamSize: number, teamMinutes: number, startsAt?: string) =>
      admin.ok<{ id: string }>("POST", "/group-buys", { productId: product.id, name, groupPriceCents, teamSize, teamMinutes, endsAt: day, ...(startsAt ? { startsAt } : {}) });
    // The newest of three has not started yet: the page must not send anyone there.
    const running = await buy("两人团", 1990, 2, 30);
    const later = await buy("明天的三人团", 1590, 3, 60, new Date(Date.now() + 3 * 3_600_000).toISOString());
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${product.id}`);
    await expect.poll(() => page.isVisible("#group-open"), { timeout: 10_000 }).toBe(true);
    expect(await page.locator("a.group-open:visible").count()).toBe(1);
    expect(await page.getAttribute("#group-open", "href")).toContain(`g=${running.id}`);
    expect(await page.isVisible("#group-next")).toBe(false);

    // A second running one (newer, dearer per head but a bigger team): both are offered, each with its team's time.
    const second = await buy("五人团", 1490, 5, 120);
    await page.reload();
    await expect.poll(() => page.locator("a.group-open:visible").count(), { timeout: 10_000 }).toBe(2);
    const links = await page.locator("a.group-open").evaluateAll((as) => as.map((a) => [a.getAttribute("href"), a.textContent]));
    expect(links.map(([href]) => href!.split("g=")[1])).toEqual([second.id, running.id]);
    expect(links.map(([, text]) => text)).toEqual(["发起拼团 ¥14.90 · 5 人团 · 2 小时内成团", "发起拼团 ¥19.90 · 2 人团 · 30 分钟内成团"]);
    await fitsThePhone(page);
    await screenshot(page, "group-product-several");

    // None running: no link, but when the next one starts.
    await admin.ok("POST", `/group-buys/${running.id}/close`);
    await admin.ok("POST", `/group-buys/${second.id}/close`);
    await page.reload();
    await expect.poll(() => page.isVisible("#group-next"), { timeout: 10_000 }).toBe(true);
    expect(await page.textContent("#group-next")).toMatch(/^拼团 (今天|明天) \d\d:\d\d 开始 · ¥15\.90 · 3 人团$/);
    expect(await page.isVisible("#group-open")).toBe(false);
    await screenshot(page, "group-product-next");

    // The group page of the one not started says when it starts, not 已结束, and offers nothing to start yet.
    await page.goto(`${baseUrl}/shop/group/?t=demo&g=${later.id}`);
    await expect.poll(() => page.textContent("#group"), { timeout: 10_000 }).toMatch(/拼团 (今天|明天) \d\d:\d\d 开始，届时可发起/);
    expect(await page.textContent("#group")).not.toContain("已结束");
    expect(await page.isVisible("#open")).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("the console's buyer link of a new group buy names the store and opens the group page", { timeout: 60_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "card_key", name: `链接团测试卡 ${Date.now().toString(36)}`, priceCents: 2990, faceValueCents: 3000, validity: { kind: "relative", days: 30 }, scope: "测试",
    });
    await admin.ok("POST", `/products/${product.id}/keys/import`, { rows: [{ line: 1, secret: `LINK-${product.id}` }] });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    const op = await signedInPage(browser(), `${baseUrl}/admin/groups/`, keys.admin!);
    const errors = pageErrors(op);
    await expect.poll(() => op.locator(`#g-product option[value="${product.id}"]`).count(), { timeout: 10_000 }).toBe(1);
    await op.selectOption("#g-product", product.id);
    await op.fill("#g-name", "链接团");
    await op.fill("#g-price", "19.9");
    await op.fill("#g-size", "2");
    await op.fill("#g-minutes", "30");
    await op.click("#gb-form button[type=submit]");
    await expect.poll(() => op.textContent("#gb-msg"), { timeout: 10_000 }).toMatch(/买家入口：\/shop\/group\/\?t=demo&g=gb_\w+$/);
    const link = /(\/shop\/group\/\S+)$/.exec((await op.textContent("#gb-msg"))!)![1]!;
    const buyer = await (await phoneContext(browser())).newPage();
    await buyer.goto(`${baseUrl}${link}`);
    await expect.poll(() => buyer.isVisible("#open"), { timeout: 10_000 }).toBe(true);
    expect(await buyer.textContent("#group")).toContain("¥29.90");
    // The console shows the same link beside the new group buy's teams, and counts the team the buyer opens.
    expect(await op.textContent("#teams-link")).toBe(link);
    await expect.poll(() => op.locator("#buys tr", { hasText: "链接团" }).textContent(), { timeout: 10_000 }).toContain("0 · 0 · 0");
    await buyer.click("#open");
    await buyer.waitForURL(/checkout/, { timeout: 15_000 });
    await expect.poll(() => op.locator("#buys tr", { hasText: "链接团" }).textContent(), { timeout: 15_000 }).toContain("1 · 0 · 0");
    await expect.poll(() => op.textContent("#teams"), { timeout: 15_000 }).toMatch(/拼团中\s*(29|30):\d\d/);
    await screenshot(op, "group-console-counts");
    expect(errors).toEqual([]);
    await Promise.all([op.context().close(), buyer.context().close()]);
  });

  it("a team opened just before the group buy ends: a friend still joins through its link and pays, and a late visitor is not sent to open a team the group buy no longer takes", { timeout: 120_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "card_key", name: `临近结束团测试卡 ${Date.now().toString(36)}`, priceCents: 2990, faceValueCents: 3000, validity: { kind: "relative", days: 30 }, scope: "测试",
    });
    await admin.ok("POST", `/products/${product.id}/keys/import`, { rows: [1, 2].map((n) => ({ line: n, secret: `LATE-${product.id}-${n}` })) });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    const endsAt = Date.now() + 6_000;
    const buy = await admin.ok<{ id: string }>("POST", "/group-buys", {
      productId: product.id, name: "两人团", groupPriceCents: 1990, teamSize: 2, teamMinutes: 30, endsAt: new Date(endsAt).toISOString(),
    });
    const guest = await fetch(`${baseUrl}/api/v1/shop/demo/guest`, { method: "POST" });
    const cookie = (guest.headers.get("set-cookie") ?? "").split(";")[0]!;
    const opened: any = await (await fetch(`${baseUrl}/api/v1/shop/demo/group-buys/${buy.id}/teams`, { method: "POST", headers: { cookie } })).json();
    await fetch(`${baseUrl}${opened.mine.checkoutUrl}/pay`, { method: "POST" });
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now()) + 500));

    // The group buy is over; the team has ~30 minutes left: its link still takes the friend to the cashier.
    const teamUrl = `${baseUrl}/shop/group/?t=demo&team=${opened.team.id}`;
    const { context, page, errors } = await phonePage(browser());
    await page.goto(teamUrl);
    await expect.poll(() => page.isVisible("#join"), { timeout: 10_000 }).toBe(true);
    await page.click("#join");
    await payAtCashier(page);
    await page.goto(teamUrl);
    await expect.poll(() => page.textContent("#team"), { timeout: 15_000 }).toContain("已成团");

    // Someone arriving now: the team is full and the group buy takes no new team — no 我也要开团 into 拼团活动已结束.
    const late = await phonePage(browser());
    await late.page.goto(teamUrl);
    await expect.poll(() => late.page.textContent("#team"), { timeout: 10_000 }).toContain("已成团");
    expect(await late.page.isVisible("#own-team")).toBe(false);
    expect(await late.page.isVisible("#join")).toBe(false);
    await fitsThePhone(late.page);
    expect([...errors, ...late.errors]).toEqual([]);
    await Promise.all([context.close(), late.context.close()]);
  });
});
