import { readFileSync } from "node:fs";
import { chromium, devices } from "playwright-core";
const { baseUrl, keys } = JSON.parse(readFileSync("/tmp/guard16-stack.json", "utf8"));
const h = { authorization: `Bearer ${keys.admin}`, "content-type": "application/json" };
const { products } = await (await fetch(`${baseUrl}/api/v1/products`, { headers: h })).json() as any;
const productId = products.find((p: any) => p.kind === "coupon" && p.status === "published").id;
const c = await (await fetch(`${baseUrl}/api/v1/campaigns`, { method: "POST", headers: h, body: JSON.stringify({
  kind: "coupon_claim", name: "安全验证测试券", productId, stock: 50, perUserLimit: 2, shards: 1,
  startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString() }) })).json() as any;
console.log("campaign", c.id ?? c);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const { defaultBrowserType: _i, ...iphone } = devices["iPhone 13"]!;
const context = await browser.newContext({ ...iphone, viewport: { width: 390, height: 844 }, locale: "zh-CN",
  userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Mobile Safari/604.1" });
const page = await context.newPage();
page.on("pageerror", (e) => console.log("pageerror", e.message));
page.on("console", (m) => console.log("console", m.text()));
page.on("response", async (r) => { if (r.url().includes("/claims")) console.log("claim", r.status(), await r.text().catch(() => "")); });
const res = await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${c.id}`);
console.log("goto", res?.status(), page.url());
await page.waitForTimeout(3000);
console.log((await page.content()).slice(0, 600));
console.log("go?", await page.$("#go") !== null);
if (await page.$("#go")) {
  await page.click("#go");
  await page.waitForTimeout(5000);
  console.log("result", await page.textContent("#result"));
  await page.screenshot({ path: "/tmp/guard16-dbg.png", fullPage: true });
}
await browser.close();
