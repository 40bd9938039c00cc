import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, pageErrors, phonePage, screenshot, signedInPage, useChromium } from "./chromium";
import { admin, buyVideoCard } from "./stack";

const browser = useChromium();

describe("after-sale on a phone: buyer opens a ticket → operator replies and refunds part → buyer sees it", () => {
  it("卡密无效 ticket from the order page, handled in the console, resolved on the buyer's order page", { timeout: 120_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    const buyer = await phonePage(browser());
    const { page } = buyer;
    await buyVideoCard(page);
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    const orderId = new URL(page.url()).searchParams.get("o")!;

    // The buyer reports the key from the order page.
    await expect.poll(() => page.locator("#ticket-form").isVisible(), { timeout: 10_000 }).toBe(true);
    await page.selectOption("#t-reason", "key_invalid");
    await page.fill("#t-body", "卡密无效，兑换时提示已被使用");
    await page.fill("#t-contact", "wx:buyer01");
    await page.click("#ticket-form button[type=submit]");
    await expect.poll(() => page.textContent("#my-tickets"), { timeout: 10_000 }).toContain("处理中");
    expect(await page.textContent("#my-tickets")).toContain("卡密无效");
    expect(await page.locator("#ticket-form").isVisible()).toBe(false);
    // A full-page shot draws the fixed tab bar where the viewport is: scrolled to the end, it sits at the bottom.
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
    await screenshot(page, "aftersale-buyer-ticket");

    // The operator sees it in the console list (open, newest first), opens it, replies and refunds ¥10 of ¥19.90.
    const detail = await admin(`/orders/${orderId}/detail`);
    const ticketId = detail.tickets[0].id as string;
    const op = await signedInPage(browser(), `${baseUrl}/admin/tickets/`, keys.admin!);
    const opErrors = pageErrors(op);
    await expect.poll(() => op.locator(`#tickets a:text("${ticketId}")`).count(), { timeout: 10_000 }).toBe(1);
    await screenshot(op, "aftersale-console-tickets");
    await op.click(`#tickets a:text("${ticketId}")`);
    await expect.poll(() => op.textContent("#thread"), { timeout: 10_000 }).toContain("卡密无效，兑换时提示已被使用");
    expect(await op.textContent("#head")).toContain("wx:buyer01");
    await op.fill("#reply", "您好，已核实该卡密异常，为您退款 10 元");
    await op.click("#reply-btn");
    await expect.poll(() => op.locator("#thread li.operator").count(), { timeout: 10_000 }).toBe(1);
    await op.selectOption("#action", "refund");
    await op.fill("#amount", "10.00");
    await op.fill("#note", "卡密异常，部分退款");
    await op.click("#resolve-btn");
    await expect.poll(() => op.textContent("#detail-msg"), { timeout: 15_000 }).toContain("已处理");
    expect(await op.textContent("#head")).toContain("已解决");
    await screenshot(op, "aftersale-console-resolved");

    // The order in the console: the product as sold, the charge and the refund, the ticket.
    await op.goto(`${baseUrl}/admin/orders/?o=${orderId}`);
    await expect.poll(() => op.textContent("#payments"), { timeout: 10_000 }).toContain("¥10.00");
    expect(await op.textContent("#snapshot")).toContain("视频会员月卡");
    expect(await op.textContent("#snapshot")).toContain("卡密");
    expect(await op.textContent("#snapshot")).not.toContain("card_key");
    expect(await op.textContent("#payments")).toContain("卡密异常，部分退款");
    expect(await op.textContent("#refundable")).toContain("¥9.90");
    await op.fill("#f-q", orderId);
    await op.click("#filter button[type=submit]");
    await expect.poll(() => op.locator("#orders tr").count(), { timeout: 10_000 }).toBe(1);
    expect(await op.textContent("#orders")).toContain("已退");
    await screenshot(op, "aftersale-console-order");
    // By a piece of the product name: the order is on the first page; a name no product has finds nothing.
    await op.fill("#f-q", "视频会员");
    await op.click("#filter button[type=submit]");
    await expect.poll(() => op.textContent("#orders"), { timeout: 10_000 }).toContain(orderId);
    await op.fill("#f-q", "没有这个商品的名字");
    await op.click("#filter button[type=submit]");
    await expect.poll(() => op.textContent("#orders"), { timeout: 10_000 }).toContain("没有符合条件的订单");
    await screenshot(op, "aftersale-console-order-search-none");
    await fitsThePhone(op);
    expect(opErrors).toEqual([]);

    // The buyer's order page: the reply, the refund and the ticket resolved.
    await page.reload();
    await expect.poll(() => page.textContent("#refunds"), { timeout: 10_000 }).toContain("¥10.00");
    const tickets = await page.textContent("#my-tickets");
    expect(tickets).toContain("已解决");
    expect(tickets).toContain("已核实该卡密异常");
    expect(tickets).toContain("已退款");
    expect(await page.locator("#ticket-form").isVisible()).toBe(true);
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
    await screenshot(page, "aftersale-buyer-resolved");
    await fitsThePhone(page);
    expect(buyer.errors).toEqual([]);
    await op.context().close();
    await buyer.context.close();
  });
});
