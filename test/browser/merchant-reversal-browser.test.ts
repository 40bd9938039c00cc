import { describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { buyAsGuest } from "../../scripts/lib/seed-redemption";
import { fitsThePhone, merchantPage, phoneContext, screenshot, useChromium } from "./chromium";

const browser = useChromium();

describe("撤销核销 in the merchant console on a phone", () => {
  it("redeems, undoes it with a reason after a confirmation, shows 已撤销, and redeems the voucher again", async () => {
    const { baseUrl, keys } = inject("stack");
    const admin = new ApiClient(baseUrl, keys.admin!);
    const { products } = await admin.ok<{ products: { id: string; kind: string; status: string }[] }>("GET", "/products");
    const coupon = products.find((p) => p.kind === "coupon" && p.status === "published")!;
    const code = (await buyAsGuest(baseUrl, "demo", coupon.id))!;

    const context = await phoneContext(browser());
    const { page, errors } = await merchantPage(context, baseUrl, keys.redeemer!, "南京西路旗舰店");
    const redeem = async () => {
      await page.fill("#code", code);
      await page.fill("#amount", "120");
      await page.click("#form button[type=submit]");
      await expect.poll(() => page.textContent("#result"), { timeout: 10_000 }).toContain("核销成功");
    };
    await redeem();

    // The result offers 撤销核销: a reason, then a confirmation.
    await page.click("#result button.reverse");
    await page.fill("#result .reverse-form input[name=reason]", "扫错券，顾客未消费");
    await screenshot(page, "merchant-reversal-reason");
    let asked = "";
    page.once("dialog", (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.click("#result .reverse-form button[type=submit]");
    await expect.poll(() => page.textContent("#result"), { timeout: 10_000 }).toContain("已撤销核销");
    expect(asked).toContain("确定撤销");
    expect(await page.textContent("#result")).toContain("可再次核销");
    // This voucher's line (the history lists the key's recent redemptions: other journeys on the shared stack undo theirs too).
    const undone = page.locator("#history li.reversed", { hasText: code.slice(0, 10) }).first();
    await expect.poll(() => undone.textContent(), { timeout: 10_000 }).toContain("已撤销");
    expect(await undone.textContent()).toContain("扫错券，顾客未消费");
    expect(await undone.locator("button.reverse").count()).toBe(0);
    await fitsThePhone(page);
    await screenshot(page, "merchant-reversed");

    // The voucher is usable again.
    await redeem();
    await expect.poll(() => page.locator("#history li.ok", { hasText: code.slice(0, 10) }).first().textContent(), { timeout: 10_000 }).toContain("核销成功");
    await screenshot(page, "merchant-redeemed-again");

    // The public proof shows both steps and still verifies.
    const verify = await context.newPage();
    await verify.goto(`${baseUrl}/verify/?code=${code}`);
    await expect.poll(() => verify.textContent("body"), { timeout: 15_000 }).toContain("撤销核销");
    await screenshot(verify, "verify-after-reversal");
    expect(await verify.textContent("body")).not.toContain("存证不一致");
    expect(errors).toEqual([]);
    await context.close();
  });
});
