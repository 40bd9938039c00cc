import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { fitsThePhone, phoneContext, screenshot, signedInPage, useChromium } from "./chromium";
import { admin } from "./stack";

const browser = useChromium();

async function signedIn(path: string, scope = "operator"): Promise<Page> {
  const { baseUrl, keys } = inject("stack");
  const context = await phoneContext(browser());
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  return signedInPage(browser(), `${baseUrl}${path}`, keys[scope]!, "kq-operator-key", context);
}

// A real PNG (1×1) for the image upload.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

describe("operator console on a phone", () => {
  it("without a key the overview asks for one and shows no store and no sign-out", async () => {
    const { baseUrl } = inject("stack");
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/admin/`);
    await expect.poll(() => page.locator("#key-gate").isVisible()).toBe(true);
    expect(await page.locator("#who-card").isVisible()).toBe(false);
    expect(await page.locator("#forget").isVisible()).toBe(false);
    await context.close();
  });

  it("every admin page fits 390 px without horizontal scrolling", { timeout: 120_000 }, async () => {
    const filled: Record<string, string> = { "/admin/": "#stock tr", "/admin/products/": "#products tr", "/admin/campaigns/": "#campaigns tr", "/admin/trust/": "#stores tr" };
    for (const path of Object.keys(filled)) {
      // The trust page (ledger, stores) is for admin keys.
      const page = await signedIn(path, path === "/admin/trust/" ? "admin" : "operator");
      // Measured once the lists are drawn (the widest content is in them).
      await expect.poll(() => page.locator(filled[path]!).count(), { timeout: 20_000 }).toBeGreaterThan(0);
      await fitsThePhone(page);
      // The console's 22 links are one row that scrolls sideways (wrapped, they filled the first screen), with this
      // page's own link in view.
      const nav = (await page.locator(".console-nav").boundingBox())!;
      expect(nav.height).toBeLessThan(60);
      const here = (await page.locator(".console-nav [aria-current=page]").boundingBox())!;
      expect(here.x).toBeGreaterThanOrEqual(0);
      expect(here.x + here.width).toBeLessThanOrEqual(390);
      if (path === "/admin/") {
        // Statuses in words, not the API's published / draft.
        expect(await page.textContent("#stock")).toContain("已上架");
        expect(await page.textContent("#stock")).not.toMatch(/\b(published|draft)\b/);
      }
      if (path === "/admin/products/") {
        await expect.poll(() => page.locator("#products tr").count()).toBeGreaterThan(0);
        // A row is a card: the header row is hidden and each cell shows its column name.
        expect(await page.locator("#products td").first().getAttribute("data-label")).toBe("名称");
        await fitsThePhone(page);
      }
      await screenshot(page, `console-fit-${path.split("/").filter(Boolean).join("-")}`);
      await page.context().close();
    }
  });

  it("a stored-value plan withdrawn or offered again shows its new state at once (the list refreshes after the click)", async () => {
    const page = await signedIn("/admin/cards/");
    const name = `充${Date.now() % 1000}送1`;
    await page.fill("#p-name", name);
    await page.fill("#p-pay", "100");
    await page.fill("#p-bonus", "1");
    await page.click("#plan-form button[type=submit]");
    const row = page.locator("#plans tr", { hasText: name });
    await expect.poll(() => row.textContent()).toContain("销售中");
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // Before, the refresh called the plans list itself ("plans is not a function"): withdrawn on the server, 销售中 and
    // 下架 on the page until a reload.
    await row.getByRole("button", { name: "下架" }).click();
    await expect.poll(() => row.textContent()).toContain("已下架");
    await row.getByRole("button", { name: "上架" }).click();
    await expect.poll(() => row.textContent()).toContain("销售中");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("imports card keys pasted into the page, with the file's rules: a repeated key and a bad line are refused by line", async () => {
    const { baseUrl, keys } = inject("stack");
    const made = await fetch(`${baseUrl}/api/v1/products`, {
      method: "POST", headers: { authorization: `Bearer ${keys.operator}`, "content-type": "application/json" },
      body: JSON.stringify({ kind: "card_key", name: `粘贴导入 ${Date.now()}`, priceCents: 990, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "全场" }),
    });
    const product = (await made.json()) as { id: string };
    const page = await signedIn("/admin/products/");
    await expect.poll(() => page.locator(`#i-product option[value="${product.id}"]`).count(), { timeout: 15_000 }).toBe(1);
    await page.selectOption("#i-product", product.id);
    const stamp = Date.now();
    // What an operator copies out of a supplier's mail: keys one per line, one repeated, one cut short, a blank line.
    await page.fill("#i-paste", [`PST-${stamp}-0001`, `PST-${stamp}-0002`, "", `PST-${stamp}-0001`, "ab", `PST-${stamp}-0003`].join("\n"));
    await page.click("#import-form button[type=submit]");
    await expect.poll(() => page.textContent("#i-msg"), { timeout: 30_000 }).toContain("导入 3 条，拒绝 2 条");
    const refused = await page.locator("#i-errors tbody tr").allTextContents();
    expect(refused.map((r) => r.replace(/\s+/g, " ").trim())).toEqual([expect.stringMatching(/^4.*重复/), expect.stringMatching(/^5.*4–512/)]);
    await expect.poll(() => page.locator("#products tr", { hasText: "粘贴导入" }).last().textContent()).toContain("3/3");
    await page.context().close();
  });

  /** Creates a ¥10 draft card-key product named `name` through the form. */
  async function newDraft(page: Page, name: string) {
    await page.fill("#p-name", name);
    await page.fill("#p-price", "10");
    await page.fill("#p-face", "20");
    await page.fill("#p-scope", "全部门店");
    await page.click("#new-product button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg")).toContain("已创建草稿");
  }

  it("a draft whose copy holds a banned absolute claim is saved, and the operator is told at once what to change before 上架", async () => {
    const page = await signedIn("/admin/products/");
    const name = `全网最低价礼品卡 ${Date.now()}`;
    await newDraft(page, name);
    await expect.poll(() => page.textContent("#new-lint")).toContain("名称：含广告法禁用的绝对化用语“全网最低”");
    await page.locator("#products tr", { hasText: name }).getByRole("button", { name: "编辑" }).click();
    expect(await page.textContent("#edit-lint")).toBe("");
    await page.fill("#e-name", `超值礼品卡 ${Date.now()}`);
    await page.click("#edit-product button[type=submit]");
    await expect.poll(() => page.textContent("#edit-msg")).toContain("已保存");
    expect(await page.textContent("#edit-lint")).toBe("");
    await page.context().close();
  });

  it("creates a product, then edits its name, price, description, scope and image", async () => {
    const page = await signedIn("/admin/products/");
    const name = `礼品卡 ${Date.now()}`;
    await newDraft(page, name);

    await page.locator("#products tr", { hasText: name }).getByRole("button", { name: "编辑" }).click();
    await expect.poll(() => page.inputValue("#e-name")).toBe(name);
    expect(await page.inputValue("#e-price")).toBe("10.00");
    await page.fill("#e-name", `${name} 改`);
    await page.fill("#e-price", "12.5");
    await page.fill("#e-desc", "节日礼品卡，可转赠");
    await page.fill("#e-scope", "全国门店通用");
    await page.setInputFiles("#e-image", { name: "card.png", mimeType: "image/png", buffer: PNG });
    await page.click("#edit-product button[type=submit]");
    await expect.poll(() => page.textContent("#edit-msg"), { timeout: 20_000 }).toContain(`已保存：${name} 改`);
    const row = page.locator("#products tr", { hasText: `${name} 改` });
    await expect.poll(() => row.textContent()).toContain("¥12.50");

    const { baseUrl, keys } = inject("stack");
    const list: any = await (await fetch(`${baseUrl}/api/v1/products`, { headers: { authorization: `Bearer ${keys.operator}` } })).json();
    const saved = list.products.find((p: any) => p.name === `${name} 改`);
    expect(saved).toMatchObject({ priceCents: 1250, description: "节日礼品卡，可转赠", scope: "全国门店通用" });
    expect(saved.media.images[0]).toMatch(/^\/api\/v1\/media\//);
    const img = await fetch(`${baseUrl}${saved.media.images[0]}`);
    expect(img.status).toBe(200);

    // Renamed again with no new image: the edit sends no media, and the saved image stays.
    await page.locator("#products tr", { hasText: `${name} 改` }).getByRole("button", { name: "编辑" }).click();
    await expect.poll(() => page.inputValue("#e-name")).toBe(`${name} 改`);
    await page.fill("#e-name", `${name} 再改`);
    await page.click("#edit-product button[type=submit]");
    await expect.poll(() => page.textContent("#edit-msg"), { timeout: 20_000 }).toContain(`已保存：${name} 再改`);
    const again: any = await (await fetch(`${baseUrl}/api/v1/products`, { headers: { authorization: `Bearer ${keys.operator}` } })).json();
    expect(again.products.find((p: any) => p.name === `${name} 再改`)).toMatchObject({ priceCents: 1250, description: "节日礼品卡，可转赠", media: saved.media });
    await fitsThePhone(page);
    await screenshot(page, "console-product-edit");
    await page.context().close();
  });

  it("warns when a flash sale offers more units than the product's keys in stock", async () => {
    const page = await signedIn("/admin/campaigns/");
    await expect.poll(() => page.locator("#c-product option").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.selectOption("#c-kind", "flash_sale");
    await page.selectOption("#c-product", { label: "视频会员月卡" });
    const name = `超卖提醒 ${Date.now()}`;
    await page.fill("#c-name", name);
    // A flash sale's price has no default: left at ¥0 on a paid product, the operator is asked first (it read 0 and
    // went out free with no word). Declined: nothing is created.
    expect(await page.inputValue("#c-price")).toBe("");
    await page.fill("#c-price", "0");
    await page.fill("#c-stock", "5000");
    const asked: string[] = [];
    page.once("dialog", (d) => void (asked.push(d.message()), d.dismiss()));
    await page.click("#new-campaign button[type=submit]");
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toMatch(/秒杀价为 ¥0：抢到的买家不付款即得「视频会员月卡」/);
    expect((await admin("/campaigns")).campaigns.some((c: any) => c.name === name)).toBe(false);
    // A coupon claim has no price to set.
    await page.selectOption("#c-kind", "coupon_claim");
    expect(await page.isVisible("#c-price")).toBe(false);
    await page.selectOption("#c-kind", "flash_sale");
    await page.selectOption("#c-product", { label: "视频会员月卡" });
    await page.fill("#c-price", "9.9");
    await page.fill("#c-stock", "5000");
    await page.click("#new-campaign button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg")).toContain("已创建");
    expect(await page.textContent("#new-warn")).toMatch(/「视频会员月卡」可用库存 \d+，少于本活动投放的 5000/);
    await page.context().close();
  });

  it("creates a campaign, previews it, pauses it (claims refused), resumes, duplicates it and copies the embed code", async () => {
    const { baseUrl } = inject("stack");
    const page = await signedIn("/admin/campaigns/");
    await expect.poll(() => page.locator("#c-product option").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const name = `领券节 ${Date.now()}`;
    await page.selectOption("#c-kind", "coupon_claim");
    await page.selectOption("#c-product", { label: "满100减20券" });
    await page.fill("#c-name", name);
    await page.fill("#c-stock", "2500");
    // Shards: an advanced setting, proposed from the stock (one per 1,000 units).
    expect(await page.locator("#advanced").getAttribute("open")).toBeNull();
    expect(await page.inputValue("#c-shards")).toBe("3");
    // Starts in a few seconds so that the claim below can be tried while paused and after resuming.
    const soon = new Date(Date.now() + 8_000);
    const local = new Date(soon.getTime() - soon.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    await page.fill("#c-start", local);
    await page.click("#new-campaign button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg")).toContain("已创建");
    const row = page.locator("#campaigns tr", { hasText: name }).first();
    await expect.poll(() => row.textContent()).toContain("未开始");
    await fitsThePhone(page);
    await screenshot(page, "console-campaign-created");

    // Preview: a signed link to the public page; the campaign reads as live there, claims from it are refused.
    const popup = page.context().waitForEvent("page");
    await row.getByRole("button", { name: "预览" }).click();
    const preview = await popup;
    await preview.waitForLoadState("domcontentloaded");
    const previewUrl = new URL(preview.url());
    expect(previewUrl.pathname).toBe("/campaigns/flash/");
    const token = previewUrl.searchParams.get("preview")!;
    const campaignId = previewUrl.searchParams.get("id")!;
    const read: any = await (await fetch(`${baseUrl}/api/v1/public/campaigns/${campaignId}?preview=${token}`)).json();
    expect(read).toMatchObject({ preview: true, phase: "live", name });
    const fromPreview = await preview.evaluate(async (id) => {
      const session: any = await (await fetch(`/api/v1/public/campaigns/${id}/session`, { method: "POST" })).json();
      const r = await fetch(`/api/v1/public/campaigns/${id}/claims`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${session.token}` }, body: "{}" });
      return { status: r.status, code: ((await r.json()) as any).error?.code };
    }, campaignId);
    expect(fromPreview).toEqual({ status: 409, code: "preview_only" });
    // The page itself reads the campaign with the token: it shows the live page under a preview banner.
    await preview.waitForSelector("#preview-banner", { timeout: 15_000 });
    expect(await preview.textContent("#preview-banner")).toContain("预览模式");
    await screenshot(preview, "console-campaign-preview");
    await preview.close();

    // Pause, wait for the start: a claim is refused with campaign_paused.
    await row.getByRole("button", { name: "暂停" }).click();
    await expect.poll(() => page.textContent("#list-msg")).toContain("已暂停");
    await expect.poll(() => row.textContent()).toContain("已暂停");
    // One visitor (one session) asking until the pause has reached the claim path: a new session per try would be a
    // device cycling through accounts, which risk control rightly challenges after four.
    const visitor = await page.evaluate(async (id) => ((await (await fetch(`/api/v1/public/campaigns/${id}/session`, { method: "POST" })).json()) as any).token as string, campaignId);
    const claimOnce = () => page.evaluate(async ([id, t]) => {
      const r = await fetch(`/api/v1/public/campaigns/${id}/claims`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t}` }, body: "{}" });
      return { status: r.status, code: r.ok ? null : ((await r.json()) as any).error?.code };
    }, [campaignId, visitor] as const);
    await expect.poll(claimOnce, { timeout: 20_000, interval: 1000 }).toEqual({ status: 409, code: "campaign_paused" });
    // The buyer's page says so before any tap (it offered 立即领取 and refused it only when tapped).
    const buyerPage = await page.context().newPage();
    await buyerPage.goto(`${baseUrl}/campaigns/flash/?id=${campaignId}`);
    await expect.poll(() => buyerPage.textContent("#go"), { timeout: 15_000 }).toBe("活动暂停中，请稍后再来");
    expect(await buyerPage.isEnabled("#go")).toBe(false);
    expect(await buyerPage.textContent("#clock-label")).toBe("活动已暂停");
    await screenshot(buyerPage, "campaign-paused");

    // Edit after the start: only the name and description are open.
    await page.reload();
    const liveRow = page.locator("#campaigns tr", { hasText: name }).filter({ hasNotText: "副本" });
    await liveRow.getByRole("button", { name: "编辑" }).click();
    expect(await page.locator("#e-start").isDisabled()).toBe(true);
    expect(await page.locator("#e-name").isDisabled()).toBe(false);
    await page.fill("#e-desc", "每人限领 1 张，先到先得");
    await page.click("#edit-campaign button[type=submit]");
    await expect.poll(() => page.textContent("#edit-msg")).toContain("已保存");

    await liveRow.getByRole("button", { name: "恢复" }).click();
    // The open buyer page follows the resume (its live poll carries the flag): the button comes back.
    await expect.poll(() => buyerPage.isEnabled("#go"), { timeout: 15_000 }).toBe(true);
    await buyerPage.close();
    await expect.poll(() => page.textContent("#list-msg")).toContain("已恢复");
    await expect.poll(claimOnce, { timeout: 20_000, interval: 1000 }).toEqual({ status: 200, code: null });
    // The list shows what is left of the stock (from the campaign's live state), not only what was set.
    // (The live count is a few seconds behind a claim: read again until it shows.)
    await expect.poll(async () => {
      await page.reload();
      await page.waitForTimeout(1500);
      return liveRow.textContent();
    }, { timeout: 30_000, interval: 2000 }).toContain("剩余 2499 / 2500");

    await liveRow.getByRole("button", { name: "复制活动" }).click();
    await expect.poll(() => page.textContent("#list-msg")).toContain(`${name}（副本）`);
    const copyRow = page.locator("#campaigns tr", { hasText: `${name}（副本）` });
    await expect.poll(() => copyRow.textContent()).toContain("未开始（已暂停）");

    await liveRow.getByRole("button", { name: "复制嵌入代码" }).click();
    await expect.poll(() => liveRow.locator(".copied").textContent()).toBe("已复制");
    const clip = await page.evaluate<string>("navigator.clipboard.readText()");
    // data-name names the widget's plain link where the card cannot load (an origin the brand did not allow).
    expect(clip).toBe(`<script src="${baseUrl}/widget.js" data-campaign="${campaignId}" data-name="${name}" async></script>`);
    await fitsThePhone(page);
    await screenshot(page, "console-campaign-actions");
    await page.context().close();
  });
});
