import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { ApiClient } from "../../scripts/lib/http";
import { fitsThePhone, phoneContext, screenshot, useChromium } from "./chromium";

/**
 * Session 67: the dashboard's cards at phone width on a brand with little data (members, no paid cards) and on the
 * demo brand: what an empty card says, what a card shows after the phone is turned, the chart legends at rest and
 * the axis labels (read from what the page draws on its canvases).
 */
const browser = useChromium();

/** The dashboard with a key; every text drawn on a chart's canvas is recorded per card (window.__drawn). */
async function dashboard(key: string, path: string): Promise<Page> {
  const { baseUrl } = inject("stack");
  const context = await phoneContext(browser());
  await context.addInitScript(`localStorage.setItem("kq-analyst-key", ${JSON.stringify(key)})`);
  // A string, run in the page (the test's tsconfig has no DOM types).
  await context.addInitScript(`
    const drawn = (globalThis.__drawn = []);
    const fill = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
      drawn.push({ view: this.canvas.closest?.(".view")?.id ?? "", text: String(text) });
      return fill.call(this, text, ...rest);
    };
  `);
  const page = await context.newPage();
  await page.goto(`${baseUrl}${path}`);
  return page;
}

const drawnIn = (page: Page, view: string) => page.evaluate((v) => (globalThis as any).__drawn.filter((d: { view: string }) => d.view === v).map((d: { text: string }) => d.text) as string[], `view-${view}`);
const stateOf = (page: Page, view: string) => page.getAttribute(`#view-${view}`, "data-state");

/** The demo brand over 90 days, pressing 90天 again until the seeded history of `view` has reached the warehouse. */
async function demo90(view: string): Promise<Page> {
  const page = await dashboard(inject("stack").keys.analyst!, "/dashboard/");
  await page.getByRole("button", { name: "90天" }).click();
  await expect.poll(async () => {
    if ((await stateOf(page, view)) === "empty") await page.getByRole("button", { name: "90天" }).click();
    return stateOf(page, view);
  }, { timeout: 60_000, interval: 2000 }).toBe("ok");
  return page;
}

describe("dashboard cards at phone width", () => {
  it("a brand with members but no paid cards: each empty card says what is missing; a card of young cohorts says why it has no line", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const platform = new ApiClient(baseUrl, loadDevVars().PLATFORM_ADMIN_TOKEN);
    const slug = `dash-${Date.now().toString(36)}`;
    const made = await platform.ok<{ id: string }>("POST", "/platform/tenants", { slug, name: "小品牌" });
    const key = (await platform.ok<{ secret: string }>("POST", `/platform/tenants/${made.id}/keys`, { name: "analyst", scopes: ["analyst"] })).secret;
    // Two visitors join the membership on the shop, one checks in; no paid card, no campaign, no targeted issuance.
    for (let i = 0; i < 2; i++) {
      const context = await phoneContext(browser());
      const shop = await context.newPage();
      await shop.goto(`${baseUrl}/shop/?t=${slug}`);
      const statuses = await shop.evaluate(async ({ s, i }) => [
        (await fetch(`/api/v1/shop/${s}/guest`, { method: "POST" })).status,
        (await fetch(`/api/v1/shop/${s}/member/join`, { method: "POST" })).status,
        i === 0 ? (await fetch(`/api/v1/shop/${s}/member/check-in`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status : 200,
      ], { s: slug, i });
      expect(statuses.every((s) => s < 300)).toBe(true);
      await context.close();
    }
    const page = await dashboard(key, "/dashboard/");
    // The joins reach the warehouse through the queue.
    await expect.poll(async () => {
      if ((await stateOf(page, "members_by_tier")) === "empty") await page.getByRole("button", { name: "30天" }).click();
      return stateOf(page, "members_by_tier");
    }, { timeout: 60_000, interval: 2000 }).toBe("ok");
    await expect.poll(() => page.locator('.view[data-state="loading"]').count(), { timeout: 30_000 }).toBe(0);
    expect(await stateOf(page, "paid_card_renewal")).toBe("empty");
    const status = (v: string) => page.textContent(`#view-${v} .status`);
    // Members exist: the renewal card says what it lacks (paid cards due in the range), not "no membership data".
    expect(await status("paid_card_renewal")).toContain("付费会员卡");
    expect(await status("paid_card_renewal")).not.toContain("暂无会员数据");
    // The targeting cards are not about campaigns starting.
    expect(await status("targeting_uplift")).toContain("定向发券");
    expect(await status("win_back_reactivation")).toContain("召回");
    expect(await status("reminder_conversion")).toContain("到期提醒");
    const messages = await page.locator('.view[data-state="empty"] .status').allTextContents();
    expect(messages.every((m) => !m.includes("暂无会员数据"))).toBe(true);
    // Members without a tier are named so, not "(无)".
    expect(await page.textContent("#view-members_by_tier .table")).toContain("未分等级");
    // Today's cohort is too young for any retention rate: a sentence, not an empty grid of axes.
    await expect.poll(() => stateOf(page, "retention")).toBe("ok");
    expect(await page.locator("#view-retention .chart canvas").count()).toBe(0);
    expect(await page.textContent("#view-retention .chart")).toContain("尚未满期");
    // One member's streak: the count axis has whole members (0, 1), not 0.25 of one.
    await expect.poll(() => stateOf(page, "checkin_streaks"), { timeout: 30_000 }).toBe("ok");
    const counts = await drawnIn(page, "checkin_streaks");
    expect(counts).toContain("1");
    expect(counts.filter((l) => /^\d+\.\d+$/.test(l))).toEqual([]);
    await fitsThePhone(page);
    await screenshot(page, "dashboard-small-brand");
    await page.context().close();
  });

  it("turning the phone does not draw a table of zeros under an empty card's message", { timeout: 60_000 }, async () => {
    const page = await dashboard(inject("stack").keys.analyst!, "/dashboard/?from=2021-01-01&to=2021-01-07");
    // The streak bands and the funnel's steps are listed even when nobody has one: all zeros, shown as empty.
    await expect.poll(() => stateOf(page, "checkin_streaks"), { timeout: 30_000 }).toBe("empty");
    await expect.poll(() => stateOf(page, "funnel"), { timeout: 30_000 }).toBe("empty");
    await page.setViewportSize({ width: 844, height: 390 });
    await page.waitForTimeout(600);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(600);
    for (const v of ["checkin_streaks", "funnel", "points"]) {
      expect(await page.locator(`#view-${v} .table table`).count(), v).toBe(0);
      expect(await page.locator(`#view-${v} .chart canvas`).count(), v).toBe(0);
    }
    await page.context().close();
  });

  it("legends at rest show the series, values only under the finger; date axes read 11/28 and fit", { timeout: 120_000 }, async () => {
    const page = await demo90("retention");
    const legend = page.locator("#view-retention .u-legend");
    // At rest: no "类别: –  次日: –" readout of nothing (what is shown: innerText). The chart is drawn a moment after the
    // card reads ok; on a loaded CI machine that moment passed expect.poll's default second once.
    await expect.poll(() => legend.innerText(), { timeout: 15_000 }).toContain("次日");
    expect(await legend.innerText()).not.toContain("–");
    expect(await legend.innerText()).not.toMatch(/类别|日期/);
    // A finger on the chart: the cohort under it and its rates. (Located taps: Playwright scrolls and waits for the
    // chart to hold still first; a tap at coordinates measured earlier missed it when the cards above it grew.)
    const over = page.locator("#view-retention .u-over");
    const box = (await over.boundingBox())!;
    await over.tap({ position: { x: 4, y: box.height / 2 } });
    await expect.poll(() => legend.innerText(), { timeout: 10_000 }).toMatch(/日期[\s\S]*\d{4}-\d{2}-\d{2}/);
    expect(await legend.innerText()).toMatch(/次日[\s\S]*\d+\.\d%/);
    // A tap elsewhere (the card's heading): back to the series names only.
    await page.locator("#h-retention").tap();
    await expect.poll(() => legend.innerText(), { timeout: 10_000 }).not.toContain("日期");
    // Cohort weeks on the x axis as month/day, whole (not "2026-10…").
    const labels = await drawnIn(page, "retention");
    expect(labels.some((l) => /^\d{1,2}\/\d{1,2}$/.test(l))).toBe(true);
    expect(labels.filter((l) => l.includes("…"))).toEqual([]);
    // The member cards' date buckets too.
    await expect.poll(() => stateOf(page, "points"), { timeout: 30_000 }).toBe("ok");
    expect((await drawnIn(page, "points")).some((l) => /^\d{1,2}\/\d{1,2}$/.test(l))).toBe(true);
    // New users per campaign: the axis names what tells the bars apart (自然 / 分享), not "(无) · (…"; the table too.
    await expect.poll(() => stateOf(page, "acquisition"), { timeout: 30_000 }).toBe("ok");
    const sources = await drawnIn(page, "acquisition");
    expect(sources.some((l) => l.includes("自然"))).toBe(true);
    // (A long campaign name may still be cut with "…": other tests' campaigns share this stack.)
    expect(sources.filter((l) => l.includes("(无)"))).toEqual([]);
    expect(await page.textContent("#view-acquisition .table")).not.toContain("(无)");
    // The funnel's five steps are all named on the axis (领券/抽奖 on two lines), not every other one.
    await expect.poll(() => stateOf(page, "funnel"), { timeout: 30_000 }).toBe("ok");
    const steps = (await drawnIn(page, "funnel")).join("|");
    for (const step of ["浏览", "领券/", "抽奖", "下单", "支付", "到店", "核销"]) expect(steps).toContain(step);
    // Win-back: the last 30 days' messages are still in their window, and the card says their rate is not final.
    await expect.poll(() => stateOf(page, "win_back_reactivation"), { timeout: 30_000 }).toBe("ok");
    expect(await page.textContent("#view-win_back_reactivation .table")).toContain("观察期");
    await fitsThePhone(page);
    await page.locator("#view-retention").screenshot({ path: "test-results/screenshots/dashboard-retention-phone.png" });
    await page.context().close();
  });
});
