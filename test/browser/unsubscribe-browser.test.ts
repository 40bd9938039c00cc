import { describe, expect, inject, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { unsubscribeToken } from "../../worker/domain/outreach";
import { fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";

const browser = useChromium();

describe("the unsubscribe link of a marketing SMS, on a phone", () => {
  it("asks once, one tap stops that flow, 全部 stops every message; a tampered link is refused", async () => {
    const { baseUrl, tenantId } = inject("stack");
    // The link the SMS carries: signed with the stack's secret for this brand, a buyer and the win-back flow.
    const token = await unsubscribeToken(loadDevVars().BUYER_SESSION_SECRET!, tenantId, `b_ui${Date.now().toString(36)}`, "win_back");
    const { context, page, errors } = await phonePage(browser());

    await page.goto(`${baseUrl}/shop/unsubscribe/?t=demo&k=${token}`);
    await expect.poll(() => page.isVisible("#one"), { timeout: 10_000 }).toBe(true);
    expect(await page.textContent("#what")).toContain("回归优惠");
    await fitsThePhone(page);
    await screenshot(page, "unsubscribe-ask");
    await page.click("#one");
    await expect.poll(() => page.textContent("#done"), { timeout: 10_000 }).toContain("已退订");
    expect(await page.isVisible("#one")).toBe(false);
    await screenshot(page, "unsubscribe-done");

    // Opening the link again says so; the bigger step is still there.
    await page.reload();
    await expect.poll(() => page.textContent("#done"), { timeout: 10_000 }).toContain("回归优惠");
    await page.click("#all");
    await expect.poll(() => page.textContent("#done"), { timeout: 10_000 }).toContain("全部营销消息");

    await page.goto(`${baseUrl}/shop/unsubscribe/?t=demo&k=${token.slice(0, -1)}${token.endsWith("0") ? "1" : "0"}`);
    await expect.poll(() => page.textContent("#what"), { timeout: 10_000 }).toContain("链接无效");
    expect(await page.isVisible("#one")).toBe(false);
    await screenshot(page, "unsubscribe-invalid");
    expect(errors).toEqual([]);
    await context.close();
  });
});
