import { mkdirSync } from "node:fs";
import { chromium, devices, type Browser, type BrowserContext, type BrowserContextOptions, type Download, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject } from "vitest";

/** Debian's Chromium (CI installs it), driven by playwright-core; never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const SCREENSHOT_DIR = "test-results/screenshots";
/** The phone's full screen as the viewport (the iPhone 13 preset's viewport leaves out the browser's bars). */
export const FULL_SCREEN = { viewport: { width: 390, height: 844 } };

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * The browser for a test file's tests: a connection to the one Chromium the browser project's global setup launched
 * (test/browser/global-setup.ts), or, when the file needs its own flags (`args`, a function: a hook may make the files
 * they name), a Chromium of its own. Returns a getter, since the browser exists only once the hook has run. Closing a
 * connection closes the contexts it made, so files share the process and nothing else; a launch cost ~2 s of CPU.
 */
export function useChromium(args?: () => string[]): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    const shared = args ? undefined : inject("chromiumWs");
    browser = shared ? await chromium.connect(shared) : await launchChromium(args?.());
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("Chromium is not running: useChromium() must be called at the top of the file");
    return browser;
  };
}

/** A phone-sized context (iPhone 13 viewport and UA, touch) with Chinese as the preferred language. */
export function phoneContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const { defaultBrowserType: _ignored, ...iphone } = devices["iPhone 13"]!;
  return browser.newContext({ ...iphone, locale: "zh-CN", ...options });
}

/** Collects the page's uncaught script errors, for `expect(errors).toEqual([])`. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/** A fresh phone context with one page, and the page's script errors. */
export async function phonePage(browser: Browser, options: BrowserContextOptions = {}) {
  const context = await phoneContext(browser, options);
  const page = await context.newPage();
  return { context, page, errors: pageErrors(page) };
}

/** A page of the console with a key already in localStorage (as the sign-in form leaves it). */
/** /merchant/ in a new page of `context`, signed in with a redeemer key: the page and its errors, once it names the key's store. */
export async function merchantPage(context: BrowserContext, baseUrl: string, redeemerKey: string, store: string) {
  const page = await context.newPage();
  const errors = pageErrors(page);
  await page.goto(`${baseUrl}/merchant/`);
  await page.fill("#key", redeemerKey);
  await page.click("#save-key");
  await expect.poll(() => page.textContent("#who"), { timeout: 10_000 }).toContain(store);
  return { page, errors };
}

export async function signedInPage(browser: Browser, url: string, key: string, storageKey = "kq-operator-key", context?: BrowserContext) {
  const ctx = context ?? (await phoneContext(browser));
  await ctx.addInitScript(`localStorage.setItem(${JSON.stringify(storageKey)}, ${JSON.stringify(key)})`);
  const page = await ctx.newPage();
  await page.goto(url);
  return page;
}

/** The whole page at CSS size (390 px wide): encoding the phone's 3× pixels cost ~1 s a shot, a third of a page visit. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true, scale: "css" });
}

/** A download's content as text, read through the browser connection (a shared Chromium has no local path for it). */
export async function downloadText(download: Download): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** No horizontal scrolling at 390 px. */
export async function fitsThePhone(page: Page) {
  expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
}

/**
 * Signs in with a phone on a page showing 我的卡券's login form (the development SMS sandbox shows the code on the
 * page), consenting to the processing notice, and waits for the account to name the phone.
 */
export async function signInWithPhone(page: Page, phone: string) {
  await page.fill("#phone", phone);
  await page.click("#send");
  await expect.poll(() => page.textContent("#dev"), { timeout: 10_000 }).toMatch(/\d{6}/);
  await page.fill("#code", /(\d{6})/.exec((await page.textContent("#dev"))!)![1]!);
  await page.check("#consent");
  await page.click("#verify");
  await expect.poll(() => page.textContent("#who"), { timeout: 10_000 }).toContain(phone.slice(-4));
}
