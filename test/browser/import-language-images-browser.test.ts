import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { SIM_PAID_TIER, SIM_TIERS } from "../../scripts/lib/sim-members";
import { describe, expect, inject, it } from "vitest";
import { FULL_SCREEN, phoneContext, screenshot, useChromium } from "./chromium";

// Issue 13: journeys that broke where pieces meet, walked end to end at phone size (390×844) on the real stack.
const browser = useChromium();

const CJK = /[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]/;

async function call(method: string, path: string, key: string, body?: unknown) {
  const { baseUrl } = inject("stack");
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function fullScreenPage(init?: string): Promise<Page> {
  // The phone of the report: iPhone 13 (UA, touch, scale) with its full 390×844 screen as the viewport.
  const context = await phoneContext(browser(), FULL_SCREEN);
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  expect(page.viewportSize()).toEqual({ width: 390, height: 844 });
  return page;
}

describe("web key import (issue 13 #3)", () => {
  it("imports the good rows of a CSV with a short row, lists the bad line, offers the error file, keeps the product", async () => {
    const { baseUrl, keys } = inject("stack");
    const stamp = Date.now().toString(36);
    const mk = (name: string) => call("POST", "/products", keys.operator!, {
      kind: "card_key", name, priceCents: 990, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "test",
    });
    await mk(`A 导入测试 ${stamp}`);
    const chosen = (await mk(`B 导入测试 ${stamp}`)).body;
    const lines = ["key,reusable"];
    for (let i = 1; i <= 2500; i++) lines.push(i === 1500 ? "abc" : `IMP-${stamp}-${String(i).padStart(5, "0")}`);
    const dir = mkdtempSync(join(tmpdir(), "kq-import-"));
    const csv = join(dir, "keys.csv");
    writeFileSync(csv, `${lines.join("\n")}\n`);
    const badLine = 1501; // header is line 1

    const page = await fullScreenPage(`localStorage.setItem("kq-operator-key", ${JSON.stringify(keys.operator)})`);
    await page.goto(`${baseUrl}/admin/products/`);
    await expect.poll(() => page.locator("#i-product option").count(), { timeout: 15_000 }).toBeGreaterThan(1);
    await page.selectOption("#i-product", chosen.id);
    await page.setInputFiles("#i-file", csv);
    await page.click("#import-form button[type=submit]");
    await expect.poll(() => page.textContent("#i-msg"), { timeout: 60_000 }).toContain("导入 2499 条，拒绝 1 条");
    const errorRows = await page.locator("#i-errors tbody tr").allTextContents();
    expect(errorRows).toHaveLength(1);
    expect(errorRows[0]).toContain(String(badLine));
    expect(errorRows[0]).toContain("4–512");
    expect(await page.inputValue("#i-product")).toBe(chosen.id);
    expect(await page.evaluate("document.getElementById('i-progress').position")).toBe(1);

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#i-download")]);
    expect(download.suggestedFilename()).toBe("keys.csv.errors.csv");
    const saved = join(dir, "errors.csv");
    await download.saveAs(saved);
    expect(readFileSync(saved, "utf8")).toBe(`line,code,message\n${badLine},invalid,a key must be 4-512 characters\n`);
    await screenshot(page, "journey-key-import");

    const stock = await call("GET", `/products/${chosen.id}/stock`, keys.operator!);
    expect(stock.body.available).toBe(2499);
    await page.context().close();
  });
});

describe("direct recharge account (issue 13 #4)", () => {
  it("refuses a bad mobile number on the page before ordering; the API answers 422 with the field", async () => {
    const { baseUrl } = inject("stack");
    const products = await (await fetch(`${baseUrl}/api/v1/shop/demo/products`)).json() as any;
    const phoneProduct = products.products.find((p: any) => p.kind === "direct_recharge");
    const page = await fullScreenPage();
    const posted: string[] = [];
    page.on("request", (r) => r.method() === "POST" && r.url().includes("/orders") && posted.push(r.url()));
    await page.goto(`${baseUrl}/shop/product/?t=demo&id=${phoneProduct.id}`);
    await expect.poll(() => page.isEnabled("#buy-btn"), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#acct-label")).toBe("手机号");
    for (const bad of ["1380013", "abc"]) {
      await page.fill("#acct", bad);
      await page.click("#buy-btn");
      await expect.poll(() => page.textContent("#buy-msg")).toContain("11 位中国大陆手机号");
      expect(await page.getAttribute("#acct", "aria-invalid")).toBe("true");
    }
    expect(posted).toEqual([]);
    expect(page.url()).toContain("/shop/product/");
    await screenshot(page, "journey-recharge-account");

    // The API on its own refuses the same input (a client that skips the page's check).
    const api = await page.evaluate(async (id) => {
      const r = await fetch("/api/v1/shop/demo/orders", {
        method: "POST", headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
        body: JSON.stringify({ productId: id, rechargeAccount: "1380013" }),
      });
      return { status: r.status, body: (await r.json()) as any };
    }, phoneProduct.id);
    expect(api.status).toBe(422);
    expect(api.body.error.code).toBe("invalid_recharge_account");
    expect(api.body.error.issues[0].path).toBe("json.rechargeAccount");

    await page.fill("#acct", "13800138000");
    await page.click("#buy-btn");
    await page.waitForURL(/checkout/, { timeout: 15_000 });
    await page.context().close();
  });
});

describe("English switch on every storefront page (issue 13 #7)", () => {
  it("leaves no Chinese in titles, counters, results, tasks or dashboard headers", async () => {
    const { baseUrl, keys } = inject("stack");
    const now = Date.now();
    const product = await call("POST", "/products", keys.operator!, {
      kind: "card_key", name: "Video pass", subtitle: "Monthly", priceCents: 1990, faceValueCents: 2500,
      validity: { kind: "relative", days: 30 }, scope: "Video app",
    });
    const flash = await call("POST", "/campaigns", keys.operator!, {
      kind: "flash_sale", name: "Noon flash sale", description: "One per person", productId: product.body.id, priceCents: 990,
      stock: 50, perUserLimit: 1, startsAt: new Date(now + 3_600_000).toISOString(), endsAt: new Date(now + 7_200_000).toISOString(),
    });
    expect(flash.status).toBe(201);
    const lottery = await call("POST", "/campaigns", keys.operator!, {
      kind: "lottery", organiser: { name: "Test Brand", contact: "400-000-0000" }, name: "Weekend draw", description: "Try your luck", startsAt: new Date(now + 2_500).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(), prizes: [{ id: "p5", name: "Five off", productId: product.body.id, stock: 5, weight: 1 }],
      noPrizeWeight: 1_000_000, drawsPerDay: 1, tasks: [{ id: "share", name: "Share", extraChances: 1 }],
    });
    expect(lottery.status).toBe(201);
    await new Promise((r) => setTimeout(r, Math.max(0, now + 3_000 - Date.now())));

    const page = await fullScreenPage(`localStorage.setItem("kq-analyst-key", ${JSON.stringify(keys.analyst)})`);
    const switchToEnglish = async (path: string, ready: () => Promise<unknown>) => {
      await page.goto(`${baseUrl}${path}`);
      await ready();
      expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
      await Promise.all([page.waitForEvent("load"), page.click("#lang-toggle")]);
      expect(await page.getAttribute("html", "lang")).toBe("en");
      await ready();
    };
    const text = (sel: string) => page.locator(sel).innerText();

    // Lottery: title, counter, a result and the tasks, all in English after the switch (no reload by hand).
    await switchToEnglish(`/campaigns/lottery/?t=demo&id=${lottery.body.id}`, () =>
      expect.poll(() => page.textContent("#chances"), { timeout: 15_000 }).not.toBe(""));
    expect(await text("#name")).toBe("Weekend draw");
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 15_000 }).toBe(true);
    await page.click("#draw");
    await expect.poll(() => page.textContent("#result"), { timeout: 15_000 }).not.toBe("");
    await expect.poll(() => text("#chances")).not.toMatch(CJK);
    for (const sel of ["#name", "#result", "#chances", "#tasks", "#odds", "#clock-label", "main"]) expect(await text(sel), sel).not.toMatch(CJK);
    await screenshot(page, "journey-english-lottery");

    // Flash sale: title, countdown and stock counters.
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${flash.body.id}`);
    await expect.poll(() => page.textContent("#stock"), { timeout: 15_000 }).not.toBe("");
    expect(await text("#name")).toBe("Noon flash sale");
    for (const sel of ["#name", "#stock", "#limits", "#clock-label", "main"]) expect(await text(sel), sel).not.toMatch(CJK);

    // Back to Chinese and forth again on the home page: the title follows both ways.
    await page.goto(`${baseUrl}/`);
    expect(await text("h1")).toBe("Digital rights, delivered once");
    await Promise.all([page.waitForEvent("load"), page.click("#lang-toggle")]);
    expect(await text("h1")).toBe("数字权益，一次交付");
    await Promise.all([page.waitForEvent("load"), page.click("#lang-toggle")]);
    expect(await text("h1")).toBe("Digital rights, delivered once");

    // Pages whose data is Chinese (seeded products, campaigns): the page's own words are English.
    const products = (await (await fetch(`${baseUrl}/api/v1/shop/demo/products`)).json() as any).products;
    const dataStrings = (v: unknown): string[] =>
      typeof v === "string" ? [v] : Array.isArray(v) ? v.flatMap(dataStrings) : v && typeof v === "object" ? Object.values(v).flatMap(dataStrings) : [];
    const withoutData = (s: string, data: string[]) => data.filter((d) => d.length > 0).sort((a, b) => b.length - a.length).reduce((acc, d) => acc.split(d).join(""), s);
    const pages: [string, string][] = [
      ["/shop/?t=demo", "main a"],
      [`/shop/product/?t=demo&id=${products[0].id}`, "#buy-btn:not([disabled])"],
      ["/shop/vouchers/?t=demo", "#who p"],
      ["/campaigns/?t=demo", "main li, main a"],
      ["/verify/", "main"],
    ];
    const campaigns = await (await fetch(`${baseUrl}/api/v1/public/tenants/demo/campaigns`).catch(() => null))?.json().catch(() => null);
    for (const [path, ready] of pages) {
      await page.goto(`${baseUrl}${path}`);
      await page.waitForSelector(ready, { timeout: 15_000 });
      await page.waitForTimeout(500);
      expect(await page.getAttribute("html", "lang")).toBe("en");
      const left = withoutData(await text("main"), [...dataStrings(products), ...dataStrings(campaigns)]);
      expect(left, path).not.toMatch(CJK);
    }

    // Dashboard: headers of every view.
    await page.goto(`${baseUrl}/dashboard/`);
    await expect.poll(() => page.locator("th").count(), { timeout: 30_000 }).toBeGreaterThan(3);
    await page.waitForTimeout(1000);
    const headers = await page.locator("th, h1, h2, label, .status").allInnerTexts();
    // The members-by-tier table is headed by the brand's tiers (data, like product names): its own, and the demo
    // history's simulated ones.
    const tiers = (await call("GET", "/members/tiers", keys.operator!)).body.tiers as { name: string }[];
    const tierNames = [...tiers.map((t) => t.name), ...SIM_TIERS.map((t) => t.id), SIM_PAID_TIER];
    expect(withoutData(headers.join(" | "), tierNames)).not.toMatch(CJK);
    await screenshot(page, "journey-english-dashboard");
    await page.context().close();
  });
});

describe("API errors in the page's language (issue 13 #8)", () => {
  it("shows a wrong OTP and a publish lint refusal in Chinese in the Chinese UI", async () => {
    const { baseUrl, keys } = inject("stack");
    const page = await fullScreenPage();
    await page.goto(`${baseUrl}/shop/vouchers/?t=demo`);
    await page.waitForSelector("#login:not([hidden])", { timeout: 15_000 });
    await page.fill("#phone", "13800138123");
    await page.click("#send");
    await expect.poll(() => page.textContent("#login-msg"), { timeout: 15_000 }).toBe("验证码已发送");
    await page.fill("#code", "000000");
    await page.check("#consent");
    await page.click("#verify");
    await expect.poll(() => page.textContent("#login-msg"), { timeout: 15_000 }).toBe("验证码错误或已过期，请重新获取");
    await page.fill("#phone", "12");
    await page.click("#send");
    await expect.poll(() => page.textContent("#login-msg"), { timeout: 15_000 }).toContain("手机号");
    expect(await page.textContent("#login-msg")).not.toMatch(/[A-Za-z]{3,}/);
    await screenshot(page, "journey-otp-error-zh");
    await page.context().close();

    const admin = await fullScreenPage(`localStorage.setItem("kq-operator-key", ${JSON.stringify(keys.operator)})`);
    const name = `最佳会员卡 ${Date.now()}`;
    expect((await call("POST", "/products", keys.operator!, { kind: "card_key", name, priceCents: 100, faceValueCents: 100 })).status).toBe(201);
    await admin.goto(`${baseUrl}/admin/products/`);
    const row = admin.locator("#products tr", { hasText: name });
    await row.getByRole("button", { name: "上架" }).click();
    await expect.poll(() => admin.textContent("#list-msg"), { timeout: 15_000 }).toContain("暂不能上架");
    const lint = (await admin.textContent("#list-msg"))!;
    expect(lint).toContain("上架需填写有效期");
    expect(lint).toContain("上架需填写适用范围");
    expect(lint).toContain("“最佳”");
    expect(lint).not.toMatch(/[A-Za-z]{4,}/);
    await admin.context().close();
  });
});

describe("product images from our own origin (issue 13 #12)", () => {
  it("shows the demo's own images and an operator's upload, resized, with no outside request", async () => {
    const { baseUrl, keys } = inject("stack");
    const outside: string[] = [];
    const page = await fullScreenPage(`localStorage.setItem("kq-operator-key", ${JSON.stringify(keys.operator)})`);
    page.on("request", (r) => !r.url().startsWith(baseUrl) && !r.url().startsWith("data:") && !r.url().startsWith("blob:") && outside.push(r.url()));
    await page.goto(`${baseUrl}/shop/?t=demo`);
    await page.waitForSelector("main img", { timeout: 15_000 });
    // Lazy images below the fold load on scroll: scroll through, then every card shows its picture.
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
    await expect.poll(() => page.evaluate("[...document.querySelectorAll('main img')].every((i) => i.complete && i.naturalWidth > 0)"), { timeout: 15_000 }).toBe(true);
    const srcs = (await page.evaluate("[...document.querySelectorAll('main img')].map((i) => i.currentSrc)")) as string[];
    for (const src of srcs) expect(src.startsWith(`${baseUrl}/`), src).toBe(true);

    // An operator uploads a 400×200 PNG with a new product; the page makes the phone sizes in the browser.
    const { deflateSync, crc32 } = await import("node:zlib");
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])) >>> 0);
      return Buffer.concat([len, Buffer.from(type), data, crc]);
    };
    const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(400, 0); ihdr.writeUInt32BE(200, 4); ihdr.set([8, 2, 0, 0, 0], 8);
    const rows = Buffer.concat(Array.from({ length: 200 }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(1200, 0x80)])));
    const pngBytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
    await page.goto(`${baseUrl}/admin/products/`);
    const name = `带图卡 ${Date.now()}`;
    await page.fill("#p-name", name);
    await page.fill("#p-price", "1");
    await page.fill("#p-face", "1");
    await page.setInputFiles("#p-image", { name: "card.png", mimeType: "image/png", buffer: pngBytes });
    await page.click("#new-product button[type=submit]");
    await expect.poll(() => page.textContent("#new-msg"), { timeout: 30_000 }).toContain("已创建草稿");
    const list = await call("GET", "/products", keys.operator!);
    const created = list.body.products.find((p: any) => p.name === name);
    const url: string = created.media.images[0];
    expect(url).toMatch(/^\/api\/v1\/media\//);
    const small = await fetch(`${baseUrl}${url}?w=320`);
    expect(small.headers.get("content-type")).toBe("image/webp");
    expect(small.headers.get("cache-control")).toContain("immutable");
    expect((await fetch(`${baseUrl}${url}`)).headers.get("content-type")).toBe("image/png");
    expect(outside).toEqual([]);
    await page.context().close();
  });

  it("each demo coupon's picture states that coupon's own amount and rule", async () => {
    const { baseUrl, keys } = inject("stack");
    const { products } = (await call("GET", "/products", keys.operator!)).body as { products: any[] };
    const coupons = products.filter((p) => p.kind === "coupon" && p.media?.images?.[0]?.startsWith("/demo/"));
    expect(coupons.length).toBeGreaterThanOrEqual(5);
    for (const c of coupons) {
      const { thresholdCents, discountCents } = c.config.coupon;
      const label = /aria-label="([^"]+)"/.exec(await (await fetch(`${baseUrl}${c.media.images[0]}`)).text())?.[1] ?? "";
      expect(label, c.name).toContain(`${discountCents / 100}`);
      expect(label, c.name).toContain(thresholdCents ? `满${thresholdCents / 100}` : "无门槛");
    }
  });
});
