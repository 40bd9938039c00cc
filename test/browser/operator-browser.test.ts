import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, screenshot, signedInPage, useChromium } from "./chromium";

const browser = useChromium();

async function signedIn(path: string, as: "operator" | "admin" = "operator"): Promise<Page> {
  const { baseUrl, keys } = inject("stack");
  return signedInPage(browser(), `${baseUrl}${path}`, keys[as]!);
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
    // Every prize names what it delivers.
    await expect.poll(() => page.locator("#prize-rows select option").count(), { timeout: 10_000 }).toBeGreaterThan(2);
    for (const select of await page.locator("#prize-rows select").all()) await select.selectOption({ label: "满100减20券" });
    // Without an organiser the lottery is refused, naming the fields.
    await page.click("#new-campaign button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg")).toContain("主办方联系方式：必须填写");
    await page.fill("#c-org-name", "测试品牌");
    await page.fill("#c-org-contact", "400-000-0000");
    await page.click("#new-campaign button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg")).toContain("已创建");
    const row = page.locator("#campaigns tr", { hasText: name });
    await expect.poll(() => row.textContent()).toContain("未中奖");
    expect(await row.textContent()).toContain("widget.js");
    await screenshot(page, "operator-campaigns");
    await page.context().close();
  });

  it("shows a change made with the operator key in the admin's audit log, before and after", async () => {
    const { baseUrl, keys } = inject("stack");
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${baseUrl}/api/v1${path}`, { method, headers: { authorization: `Bearer ${keys.operator}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined }).then((r) => r.json() as any);
    const made = await call("POST", "/products", { kind: "card_key", name: `审计测试卡 ${Date.now()}`, priceCents: 990, faceValueCents: 1500, validity: { kind: "relative", days: 30 }, scope: "测试" });
    await call("PATCH", `/products/${made.id}`, { priceCents: 1290 });
    const page = await signedIn("/admin/audit/", "admin");
    const row = page.locator("#entries tr", { hasText: `修改 商品 ${made.id}` });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.textContent()).toContain("priceCents: 990 → 1290");
    // Its creation lists the fields it was made with, one per line, not a JSON blob.
    const created = page.locator("#entries tr", { hasText: `新建 商品 ${made.id}` });
    expect(await created.textContent()).toContain(`name: 审计测试卡`);
    expect(await row.textContent()).toContain("operator");
    await fitsThePhone(page);
    await screenshot(page, "operator-audit");
    await page.context().close();
    // The operator key itself cannot read it.
    const refused = await signedIn("/admin/audit/");
    await expect.poll(() => refused.textContent("#audit-msg"), { timeout: 10_000 }).toContain("只有管理员密钥");
    await refused.context().close();
  });
});
