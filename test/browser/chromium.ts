import { mkdirSync } from "node:fs";
import { chromium, devices, type Browser, type BrowserContext, type Page } from "playwright-core";

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

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** A phone-sized context (iPhone 13 viewport and UA, touch) with Chinese as the preferred language. */
export function phoneContext(browser: Browser): Promise<BrowserContext> {
  const { defaultBrowserType: _ignored, ...iphone } = devices["iPhone 13"]!;
  return browser.newContext({ ...iphone, locale: "zh-CN" });
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
}
