import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phonePage, screenshot, signedInPage, useChromium } from "./chromium";
import { admin } from "./stack";

const browser = useChromium();

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

    // Three friends, each on their own phone, open the link and help.
    for (let i = 0; i < 3; i++) {
      const friend = await phonePage(browser());
      await friend.page.goto(`${baseUrl}/shop/assist/?t=demo&c=${code}`);
      await expect.poll(() => friend.page.isVisible("#help-btn"), { timeout: 10_000 }).toBe(true);
      await friend.page.click("#help-btn");
      await expect.poll(() => friend.page.textContent("#state"), { timeout: 10_000 }).toContain("助力成功");
      expect(await friend.page.textContent("#helps")).toBe(String(i + 1));
      if (i === 0) {
        // Helping twice from the same phone is refused with a clear message.
        await friend.page.reload();
        await expect.poll(() => friend.page.textContent("#state"), { timeout: 10_000 }).toContain("助力成功");
        expect(await friend.page.isVisible("#help-btn")).toBe(false);
        await screenshot(friend.page, "assist-helped");
      }
      expect(friend.errors).toEqual([]);
      await friend.context.close();
    }

    // The member sees the goal reached and the reward in 我的卡券.
    await member.page.reload();
    await expect.poll(() => member.page.textContent("#state"), { timeout: 10_000 }).toContain("奖励已发放");
    expect(await member.page.locator("#helpers li").count()).toBe(3);
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
