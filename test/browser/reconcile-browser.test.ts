import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { downloadText, fitsThePhone, pageErrors, screenshot, signedInPage, useChromium } from "./chromium";

const browser = useChromium();

describe("reconciliation page", () => {
  it("uploads a gateway statement, shows the run's totals and items, resolves one with a note, downloads the CSV", { timeout: 90_000 }, async () => {
    const { baseUrl, keys } = inject("stack");
    // A quiet day of its own: our books are empty, so the uploaded line is exactly one difference.
    const day = new Date(Date.UTC(2002, 0, 1) + Math.floor(Math.random() * 3000) * 86_400_000).toISOString().slice(0, 10);
    const page = await signedInPage(browser(), `${baseUrl}/admin/reconciliation/`, keys.admin!);
    const errors = pageErrors(page);
    await page.fill("#r-day", day);
    const dir = mkdtempSync(join(tmpdir(), "kq-recon-"));
    const file = join(dir, "statement.csv");
    writeFileSync(file, `gateway_ref,merchant_ref,kind,amount_cents,fee_cents,booked_at\r\nsbx_stray_1,pay_unknown_${day},payment,1990,12,${day}T03:00:00.000Z\r\n`);
    await page.click("details summary");
    await page.setInputFiles("#u-file", file);
    await page.click("#upload-form button[type=submit]");
    await expect.poll(() => page.textContent("#run-h"), { timeout: 15_000 }).toContain(`${day} · 支付 · 沙箱支付`);
    expect(await page.textContent("#totals")).toContain("-¥19.90");
    const item = page.locator("#items tr", { hasText: `pay_unknown_${day}` });
    expect(await item.textContent()).toContain("我方缺失");
    await fitsThePhone(page);
    await screenshot(page, "recon-run");

    await item.locator("input").fill("渠道多收一笔，已申请退款");
    await item.getByRole("button", { name: "标记已处理" }).click();
    await expect.poll(() => page.locator("#items tr", { hasText: `pay_unknown_${day}` }).textContent(), { timeout: 10_000 }).toContain("✓ 渠道多收一笔，已申请退款");
    // Sources by name, not by their API form (payment:sandbox).
    expect(await page.locator("#runs tr", { hasText: day }).textContent()).toContain("支付 · 沙箱支付");

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
    const csv = await downloadText(download);
    expect(csv).toContain("missing_ours");
    expect(csv).toContain("渠道多收一笔，已申请退款");
    await screenshot(page, "recon-resolved");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
