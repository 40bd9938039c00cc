import { describe, expect, inject, it } from "vitest";
import { phonePage, screenshot, signedInPage, useChromium } from "./chromium";

// What a first-time user met on a phone (390×844) that looked broken or said the wrong thing.
const browser = useChromium();

describe("first run on a phone", () => {
  it("the campaign form's eligibility checkboxes sit beside their words, not stretched across the row", async () => {
    const { baseUrl, keys } = inject("stack");
    const page = await signedInPage(browser(), `${baseUrl}/admin/campaigns/`, keys.operator!);
    for (const id of ["c-el-new", "c-el-first", "c-el-bday"]) {
      const box = (await page.locator(`#${id}`).boundingBox())!;
      // A checkbox is ~13-24 px wide; the console's `.card input { width: 100% }` made each a column of its own.
      expect(box.width, id).toBeLessThanOrEqual(32);
    }
    // The words of "仅限首单（尚无已付订单）" fit on one line beside its box.
    const words = (await page.locator("#c-el-first + span").boundingBox())!;
    expect(words.height).toBeLessThan(30);
    // 高级设置 shows that it opens (its summary is a flex row, which loses the browser's own triangle).
    const marker = () => page.evaluate(() => { const w = globalThis as any; return w.getComputedStyle(w.document.querySelector("#advanced summary"), "::before").content as string; });
    expect(await marker()).toBe('"▸"');
    await page.click("#advanced summary");
    expect(await marker()).toBe('"▾"');
    expect(await page.locator("#c-shards").isVisible()).toBe(true);
    await page.locator("#c-el-first").scrollIntoViewIfNeeded();
    await screenshot(page, "firstrun-campaign-eligibility");
    await page.context().close();
  });

  it("我的卡券's switch (我的卡券 · 我的订单 · 会员中心 · 储值卡) keeps each label on one line", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    const tabs = page.locator("nav.seg a");
    expect(await tabs.count()).toBe(4);
    for (const h of await tabs.evaluateAll((as) => as.map((a) => a.getBoundingClientRect().height))) expect(h).toBeLessThan(46);
    expect(errors).toEqual([]);
    await screenshot(page, "firstrun-vouchers-switch");
    // Each label whole (not cut to 我的卡… or My vo…), in both languages, on this phone and on a 320 px one.
    const cut = () => tabs.evaluateAll((as) => as.filter((a) => a.scrollWidth > a.clientWidth).map((a) => a.textContent));
    expect(await cut()).toEqual([]);
    await page.setViewportSize({ width: 320, height: 568 });
    expect(await cut()).toEqual([]);
    await Promise.all([page.waitForEvent("load"), page.click("#lang-toggle")]);
    expect(await tabs.allTextContents()).toEqual(["Vouchers", "Orders", "Member", "Wallet"]);
    expect(await cut()).toEqual([]);
    await page.setViewportSize({ width: 390, height: 664 });
    expect(await cut()).toEqual([]);
    await context.close();
  });

  it("a console page opened before any key is entered asks for one instead of calling it invalid or expired", async () => {
    const { baseUrl } = inject("stack");
    const { context, page } = await phonePage(browser());
    const calls: string[] = [];
    page.on("request", (r) => { if (r.url().includes("/api/v1/orders")) calls.push(r.url()); });
    await page.goto(`${baseUrl}/admin/orders/`);
    await expect.poll(() => page.textContent("#list-msg")).toContain("请先在上方输入 API 密钥");
    expect(await page.textContent("#list-msg")).not.toContain("失效");
    expect(calls).toEqual([]);
    await context.close();
  });

  it("a campaign link without an id, or to no campaign, says so and points to the live campaigns (no dead button and empty countdown)", async () => {
    const { baseUrl } = inject("stack");
    const { context, page } = await phonePage(browser());
    for (const [path, words] of [["/campaigns/flash/?t=demo", "活动链接不完整"], ["/campaigns/lottery/?t=demo&id=cmp_nope", "活动不存在"]] as const) {
      await page.goto(`${baseUrl}${path}`);
      await expect.poll(() => page.locator("#name").textContent()).toBe(words);
      expect(await page.locator(path.includes("flash") ? "#go" : "#draw").isVisible()).toBe(false);
      expect(await page.locator("#clock").isVisible()).toBe(false);
      expect(await page.locator("section.rules").isVisible()).toBe(false);
      const link = page.locator("article a[href^='/campaigns/']");
      expect(await link.getAttribute("href")).toBe("/campaigns/?t=demo");
      await screenshot(page, `firstrun-campaign-missing-${path.includes("flash") ? "flash" : "lottery"}`);
    }
    await page.locator("article a[href^='/campaigns/']").click();
    await expect.poll(() => page.locator("#list li").count()).toBeGreaterThan(0);
    await context.close();
  });
});

