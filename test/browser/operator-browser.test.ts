import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, phoneContext, screenshot } from "./chromium";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function signedIn(path: string): Promise<Page> {
  const { baseUrl, keys } = inject("stack");
  const context = await phoneContext(browser);
  await context.addInitScript(`localStorage.setItem("kq-operator-key", ${JSON.stringify(keys.operator)})`);
  const page = await context.newPage();
  await page.goto(`${baseUrl}${path}`);
  return page;
}

describe("operator area", () => {
  it("creates a card-key product, refuses banned copy on publish, imports keys with a per-row report", async () => {
    const page = await signedIn("/admin/products/");
    const name = `视频会员月卡 ${Date.now()}`;
    await page.fill("#p-name", `${name} 全网最低`);
    await page.fill("#p-price", "15");
    await page.fill("#p-face", "25");
    await page.fill("#p-scope", "仅限视频平台移动端使用");
    await page.fill("#p-tutorial", "打开 App → 我的 → 兑换 → 输入卡密");
    await page.click("#new-product button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg")).toContain("已创建草稿");

    const row = page.locator("#products tr", { hasText: name });
    await row.getByRole("button", { name: "上架" }).click();
    await expect.poll(() => page.textContent("#list-msg")).toContain("最");

    const dir = mkdtempSync(join(tmpdir(), "kq-csv-"));
    const csv = join(dir, "keys.csv");
    const stamp = Date.now().toString(36);
    writeFileSync(csv, `secret\nKEY-${stamp}-0001\nKEY-${stamp}-0002\nKEY-${stamp}-0001\nKEY-${stamp}-0003\n`);
    await page.selectOption("#i-product", { label: `${name} 全网最低` });
    await page.setInputFiles("#i-file", csv);
    await page.click("#import-form button[type=submit]");
    await expect.poll(() => page.textContent("#i-msg")).toContain("导入 3 条，拒绝 1 条");
    expect(await page.textContent("#i-errors tbody")).toContain("4");
    await screenshot(page, "operator-products");
    await page.context().close();
  });

  it("creates a lottery campaign with published odds and an embed snippet", async () => {
    const page = await signedIn("/admin/campaigns/");
    await page.selectOption("#c-kind", "lottery");
    const name = `周末抽奖 ${Date.now()}`;
    await page.fill("#c-name", name);
    await page.fill("#c-org-name", "测试品牌");
    await page.fill("#c-org-contact", "400-000-0000");
    // Every prize names what it delivers.
    await expect.poll(() => page.locator("#prize-rows select option").count(), { timeout: 10_000 }).toBeGreaterThan(2);
    for (const select of await page.locator("#prize-rows select").all()) await select.selectOption({ label: "满100减20券" });
    await page.click("#new-campaign button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg")).toContain("已创建");
    const row = page.locator("#campaigns tr", { hasText: name });
    await expect.poll(() => row.textContent()).toContain("未中奖");
    expect(await row.textContent()).toContain("widget.js");
    await screenshot(page, "operator-campaigns");
    await page.context().close();
  });
});
