import { DatabaseSync } from "node:sqlite";
import { describe, expect, inject, it } from "vitest";
import { downloadText, fitsThePhone, phonePage, screenshot, useChromium } from "./chromium";
import { d1File, buyVideoCard } from "./stack";

const browser = useChromium();

describe("privacy on a phone (PIPL): sign in with consent, download my data, erase the account", () => {
  it("我的卡券: consent with its version → buy → download JSON → withdraw marketing → erase; the cron scrubs D1", async () => {
    const { baseUrl, stateDir } = inject("stack");
    const { context, page, errors } = await phonePage(browser());

    // Buy a card key as a guest, so there is something of value to download.
    await buyVideoCard(page);
    await expect.poll(() => page.locator(".secret").count(), { timeout: 15_000 }).toBe(1);
    const key = (await page.textContent(".secret"))!.trim();

    // Sign in: the consent text and its version are on the form; without ticking it nothing is sent.
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await expect.poll(() => page.textContent("#consent-version"), { timeout: 10_000 }).toMatch(/版本 \d{4}-\d{2}-v\d+/);
    expect(await page.textContent("#consent-text")).toContain("个人信息处理规则");
    const phone = `137${String(Date.now()).slice(-8)}`;
    await page.fill("#phone", phone);
    await page.click("#send");
    await expect.poll(() => page.textContent("#dev"), { timeout: 10_000 }).toMatch(/\d{6}/);
    await page.fill("#code", /(\d{6})/.exec((await page.textContent("#dev"))!)![1]!);
    await page.click("#verify");
    await expect.poll(() => page.textContent("#login-msg"), { timeout: 5_000 }).toContain("请先阅读并同意");
    await page.check("#consent");
    await page.check("#marketing");
    await screenshot(page, "privacy-sign-in-consent");
    await page.click("#verify");
    await expect.poll(() => page.textContent("#who"), { timeout: 10_000 }).toContain(phone.slice(-4));
    await expect.poll(() => page.isVisible("#privacy"), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => page.isChecked("#marketing-now"), { timeout: 10_000 }).toBe(true);
    await page.locator("#privacy").scrollIntoViewIfNeeded();
    await screenshot(page, "privacy-signed-in");

    // Download my data: one JSON file with the masked phone, both consents, the order and the buyer's own key.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    expect(download.suggestedFilename()).toBe("kaquan-demo-my-data.json");
    const data = JSON.parse(await downloadText(download));
    expect(data.profile).toMatchObject({ kind: "phone", phoneMasked: `${phone.slice(0, 3)}****${phone.slice(-4)}` });
    expect(data.consents.map((c: { purpose: string }) => c.purpose).sort()).toEqual(["marketing", "phone_sign_in"]);
    expect(data.orders).toHaveLength(1);
    expect(data.vouchers.map((v: { secret?: string }) => v.secret)).toEqual([key]);
    expect(JSON.stringify(data)).not.toContain(phone);
    await expect.poll(() => page.textContent("#privacy-msg"), { timeout: 5_000 }).toContain("数据已下载");

    // Withdraw marketing consent.
    await page.uncheck("#marketing-now");
    await expect.poll(() => page.textContent("#privacy-msg"), { timeout: 10_000 }).toContain("已撤回");

    // Erase: a dialog that says what happens, typed confirmation, then signed out at once.
    await page.click("#erase");
    await expect.poll(() => page.isVisible("#erase-dialog"), { timeout: 5_000 }).toBe(true);
    await page.fill("#erase-confirm", "ERASE");
    await screenshot(page, "privacy-erase-dialog");
    const buyerId = data.profile.id as string;
    await page.click("#erase-go");
    await expect.poll(() => page.textContent("#who"), { timeout: 10_000 }).toContain("尚未登录");
    expect(await page.textContent("#login-msg")).toContain("注销申请已提交");
    expect(await page.locator(".voucher").count()).toBe(0);
    await screenshot(page, "privacy-erased");
    await fitsThePhone(page);

    // The cron (the dev ticker, fired here at once) pseudonymises D1: the account row and its phone are gone.
    const db = new DatabaseSync(d1File(stateDir), { readOnly: true, timeout: 5_000 });
    try {
      const status = () => (db.prepare("SELECT status FROM erasure_requests WHERE buyer_id = ? OR subject_ids LIKE ?").get(buyerId, `%${buyerId}%`) as { status: string } | undefined)?.status;
      expect(status()).toBeDefined();
      await expect.poll(async () => {
        await fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.body?.cancel());
        return status();
      }, { timeout: 30_000, interval: 1_000 }).toBe("scrubbed");
      expect(db.prepare("SELECT COUNT(*) AS n FROM buyers WHERE id = ?").get(buyerId)).toEqual({ n: 0 });
      expect(db.prepare("SELECT COUNT(*) AS n FROM orders WHERE buyer_id = ?").get(buyerId)).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
