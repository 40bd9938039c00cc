import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import qrcode from "qrcode-generator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { buyAsGuest } from "../../scripts/lib/seed-redemption";
import { fitsThePhone, pageErrors, phoneContext, screenshot, useChromium } from "./chromium";

/** A Y4M (YUV 4:2:0) clip of one still frame showing `text` as a QR code, for Chromium's fake camera. */
function qrClip(text: string, path: string) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const [w, h] = [640, 480];
  const n = qr.getModuleCount();
  const size = Math.floor(400 / (n + 8));
  const x0 = Math.floor((w - n * size) / 2);
  const y0 = Math.floor((h - n * size) / 2);
  const y = Buffer.alloc(w * h, 235);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (qr.isDark(r, c)) for (let dy = 0; dy < size; dy++) y.fill(16, (y0 + r * size + dy) * w + x0 + c * size, (y0 + r * size + dy) * w + x0 + (c + 1) * size);
  const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma]);
  writeFileSync(path, Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]));
}

let dir: string;
let code: string;
beforeAll(async () => {
  const { baseUrl, keys } = inject("stack");
  const admin = new ApiClient(baseUrl, keys.admin!);
  const { products } = await admin.ok<{ products: { id: string; kind: string; status: string }[] }>("GET", "/products");
  code = (await buyAsGuest(baseUrl, "demo", products.find((p) => p.kind === "coupon" && p.status === "published")!.id))!;
  dir = mkdtempSync(join(tmpdir(), "kaquan-camera-"));
  qrClip(code, join(dir, "qr.y4m"));
});
// Launched after the clip is written (hooks run in order): the fake camera plays it.
const browser = useChromium(() => ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${join(dir, "qr.y4m")}`]);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe("merchant console without BarcodeDetector (iOS Safari, in-app browsers)", () => {
  it("scans a voucher's QR from the camera with the JS decoder, loaded only then, and today's totals count it", async () => {
    const { baseUrl, keys } = inject("stack");
    expect(code).toMatch(/^vc_/);
    const context = await phoneContext(browser());
    await context.grantPermissions(["camera"], { origin: baseUrl });
    await context.addInitScript(() => delete (globalThis as any).BarcodeDetector);
    const page = await context.newPage();
    const errors = pageErrors(page);
    const scripts: string[] = [];
    page.on("request", (r) => r.resourceType() === "script" && scripts.push(r.url()));
    await page.goto(`${baseUrl}/merchant/`);
    await page.fill("#key", keys.redeemer!);
    await page.click("#save-key");
    await expect.poll(() => page.textContent("#today-count"), { timeout: 10_000 }).toMatch(/^\d+ 张$/);
    const before = parseInt((await page.textContent("#today-count"))!, 10);
    const amountBefore = Number((await page.textContent("#today-amount"))!.replace("¥", ""));
    await screenshot(page, "merchant-today");
    expect(scripts.some((u) => /jsQR/i.test(u)), "the decoder is not part of the page's load").toBe(false);

    await page.fill("#amount", "120"); // the seeded coupon needs a purchase of 100 or more
    await page.click("#scan");
    await expect.poll(() => page.textContent("#result"), { timeout: 30_000 }).toContain("核销成功");
    expect(await page.getAttribute("#video", "data-engine")).toBe("jsqr");
    expect(scripts.some((u) => /jsQR/i.test(u)), "the decoder was fetched for the scan").toBe(true);
    expect(await page.inputValue("#code")).toBe(""); // cleared after a success; the history names the code
    await expect.poll(() => page.textContent("#history"), { timeout: 10_000 }).toContain(code.slice(0, 10));
    await expect.poll(() => page.textContent("#today-count"), { timeout: 10_000 }).toBe(`${before + 1} 张`);
    expect(Number((await page.textContent("#today-amount"))!.replace("¥", ""))).toBeGreaterThan(amountBefore);
    await fitsThePhone(page);
    await screenshot(page, "merchant-scanned");
    expect(errors).toEqual([]);
    await context.close();
  });
});
