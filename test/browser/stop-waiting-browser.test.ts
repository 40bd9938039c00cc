import { DatabaseSync } from "node:sqlite";
import { describe, expect, inject, it } from "vitest";
import { loadDevVars } from "../../scripts/lib/dev-vars";
import { ApiClient } from "../../scripts/lib/http";
import { signBody } from "../../worker/domain/signature";
import { fitsThePhone, screenshot, signedInPage, useChromium } from "./chromium";
import { d1File } from "./stack";

const browser = useChromium();

describe("console on a phone: a recharge a supplier keeps processing", () => {
  it("the order page says it waits for the supplier and offers no refund; after 10 minutes 不再等待 has the supplier cancel it, then refunds it", { timeout: 90_000 }, async () => {
    const { baseUrl, keys, stateDir } = inject("stack");
    const vars = loadDevVars();
    const platform = new ApiClient(baseUrl, vars.PLATFORM_ADMIN_TOKEN!);
    const slug = `wait-${Date.now().toString(36)}`;
    const brand = await platform.ok<{ id: string }>("POST", "/platform/tenants", { slug, name: "直充品牌" });
    const adminKey = (await platform.ok<{ secret: string }>("POST", `/platform/tenants/${brand.id}/keys`, { name: "owner", scopes: ["admin"] })).secret;
    const admin = new ApiClient(baseUrl, adminKey);

    // The stack's supplier sandbox (where the demo's suppliers live): a supplier of our own that accepts and never answers.
    const demoSupplier = (await new ApiClient(baseUrl, keys.admin!).ok<{ suppliers: { baseUrl: string }[] }>("GET", "/suppliers")).suppliers[0]!;
    const sandboxRoot = demoSupplier.baseUrl.replace(/\/[^/]+$/, "");
    const name = `slowco-${Date.now().toString(36)}`;
    const profile = JSON.stringify({ delivery: "async", callbackDelayMs: null });
    const set = await fetch(`${sandboxRoot}/${name}/admin/profile`, { method: "POST", headers: { "x-supplier-signature": await signBody(vars.SUPPLIER_SANDBOX_SECRET!, profile) }, body: profile });
    expect(set.status).toBe(200);
    const product = await admin.ok<{ id: string }>("POST", "/products", {
      kind: "direct_recharge", name: "话费直充 30 元", priceCents: 2980, faceValueCents: 3000, validity: { kind: "relative", days: 1 }, scope: "大陆手机号", stockTotal: 100,
    });
    await admin.ok("POST", `/products/${product.id}/status`, { status: "published" });
    const supplier = await admin.ok<{ id: string }>("POST", "/suppliers", { name, baseUrl: `${sandboxRoot}/${name}`, products: [{ productId: product.id, sku: "PHONE-30", costCents: 2900 }] });

    // A guest buys and pays; the supplier accepts the recharge as processing.
    const guest = await fetch(`${baseUrl}/api/v1/shop/${slug}/guest`, { method: "POST" });
    const cookie = guest.headers.get("set-cookie")!.split(";")[0]!;
    const placed = await fetch(`${baseUrl}/api/v1/shop/${slug}/orders`, {
      method: "POST", headers: { cookie, "content-type": "application/json", "idempotency-key": `wait-${Date.now()}` },
      body: JSON.stringify({ productId: product.id, rechargeAccount: "13800138000" }),
    });
    expect(placed.status).toBe(201);
    const order = (await placed.json()) as { id: string; checkoutUrl: string };
    expect((await fetch(`${baseUrl}${order.checkoutUrl}/pay`, { method: "POST" })).status).toBe(200);
    const db = new DatabaseSync(d1File(stateDir), { timeout: 5_000 });
    const pending = () => (db.prepare("SELECT count(*) AS n FROM supplier_orders WHERE order_id = ? AND status = 'pending'").get(order.id) as { n: number }).n;
    await expect.poll(pending, { timeout: 20_000 }).toBe(1);

    const page = await signedInPage(browser(), `${baseUrl}/admin/orders/?o=${order.id}`, adminKey);
    await expect.poll(() => page.locator("#waiting").isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#waiting-lines")).toContain(`${name} 于`);
    expect(await page.textContent("#refundable")).toContain("上游供应商仍在处理");
    expect(await page.locator("#refund-fields").isVisible()).toBe(false);
    expect(await page.locator("#stop-btn").isDisabled()).toBe(true);
    // …and looks it: not the accent of a button that can be pressed.
    expect(await page.locator("#stop-btn").evaluate((b) => (globalThis as any).getComputedStyle(b).backgroundColor)).not.toBe("rgb(194, 65, 12)");
    expect(await page.textContent("#stop-msg")).toContain("10 分钟");
    await fitsThePhone(page);
    await screenshot(page, "stop-waiting-early");

    // Eleven minutes on (the line's acceptance moved back): the operator stops waiting. The supplier is asked to
    // cancel first; while it does not answer, nothing changes and the page says so.
    db.prepare("UPDATE supplier_orders SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-11 minutes') WHERE order_id = ?").run(order.id);
    db.close();
    const faults = async (f: Record<string, unknown>) => {
      const body = JSON.stringify(f);
      expect((await fetch(`${sandboxRoot}/${name}/admin/faults`, { method: "POST", headers: { "x-supplier-signature": await signBody(vars.SUPPLIER_SANDBOX_SECRET!, body) }, body })).status).toBe(200);
    };
    await faults({ errorRate: 1 });
    await page.reload();
    await expect.poll(() => page.locator("#stop-btn").isEnabled(), { timeout: 15_000 }).toBe(true);
    await page.fill("#s-reason", "供应商确认该笔无法充值");
    await page.click("#stop-btn");
    await expect.poll(() => page.textContent("#stop-msg"), { timeout: 20_000 }).toContain("供应商未确认撤单，请稍后再试");
    expect(await page.locator("#waiting").isVisible()).toBe(true);
    expect(await page.textContent("#summary")).toContain("已支付");
    // The way out when a supplier confirms the cancel only by phone or ticket: offered, never ticked by default.
    expect(await page.textContent("#stop-msg")).toContain("可勾选确认");
    expect(await page.locator("#s-confirmed").isVisible()).toBe(true);
    expect(await page.locator("#s-confirmed").isChecked()).toBe(false);
    // The supplier's answer is kept on the line: shown at once, and after a reload (to any operator) with when and who.
    expect(await page.textContent("#waiting-lines")).toMatch(/最近一次撤单请求：[\d/: ]+ 由 owner 申请，供应商未答复（出错；撤单可能已在对方生效/);
    await page.reload();
    await expect.poll(() => page.locator("#waiting").isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#waiting-lines")).toMatch(/最近一次撤单请求：[\d/: ]+ 由 owner 申请，供应商未答复（出错/);
    await page.fill("#s-reason", "供应商确认该笔无法充值");
    await fitsThePhone(page);
    await screenshot(page, "stop-waiting-unanswered");
    // Asked again once it answers: it cancels (撤单), and with no other supplier the buyer is refunded.
    await faults({ errorRate: 0 });
    // Pressed again at once, as an operator would: the supplier gets this ask too (kaquan_v1 has no nonce, so an
    // identical ask within the same second used to be refused as a replay, and read as "not confirmed").
    await page.evaluate(() => ((globalThis as any).document.getElementById("stop-msg").textContent = ""));
    await page.click("#stop-btn");
    await expect.poll(() => page.textContent("#stop-msg"), { timeout: 20_000 }).toBe("供应商已撤单：没有其他供应商，订单已退款");
    await expect.poll(() => page.textContent("#summary")).toContain("已退款");
    expect(await page.locator("#waiting").isVisible()).toBe(false);
    expect(await page.locator("#stop-msg").isVisible()).toBe(true);
    // The delivery record in words: the line accepted, then failed because the supplier cancelled it at our request.
    expect(await page.textContent("#deliveries")).toContain(`${name}：已受理`);
    // Recorded by whichever lands first: our cancel's answer, or the callback the supplier sends as it cancels (on a
    // busy machine the callback can win; test/worker/suppliers-integration covers that race).
    expect(await page.textContent("#deliveries")).toMatch(new RegExp(`${name}：充值失败（(运营不再等待|供应商回调)：供应商已撤单）`));
    expect(await page.textContent("#deliveries")).not.toMatch(/operator|failed/);
    expect(await page.textContent("#payments")).toContain("所有供应商均未能充值，自动退款");
    await fitsThePhone(page);
    await screenshot(page, "stop-waiting-refunded");
    expect((await admin.ok<{ entries: { route: string }[] }>("GET", "/audit-log")).entries.some((e) => e.route.endsWith("/stop-waiting"))).toBe(true);
    expect(supplier.id).toMatch(/^sup_/);
    await page.context().close();
  });
});
