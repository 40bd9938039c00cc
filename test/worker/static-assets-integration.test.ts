import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// Issue 13 #14: content-hashed assets are immutable for a year; pages stay revalidated. Needs the built site
// (npm test builds it first; alone: npm run build:site). SELF.fetch skips the assets router, so go through ASSETS.
describe("static asset caching", () => {
  it("serves /_astro/* as immutable for a year and pages as revalidated", async () => {
    const page = await env.ASSETS.fetch("http://kaquan.test/");
    expect(page.status).toBe(200);
    const html = await page.text();
    const asset = /\/_astro\/[^"'\s)]+\.js/.exec(html)?.[0];
    expect(asset, "the home page references a hashed script").toBeTruthy();
    const res = await env.ASSETS.fetch(`http://kaquan.test${asset}`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const cc = res.headers.get("cache-control") ?? "";
    expect(cc).toContain("max-age=31536000");
    expect(cc).toContain("immutable");
    expect(page.headers.get("cache-control") ?? "").not.toContain("immutable");
    const rules = await env.ASSETS.fetch("http://kaquan.test/_headers");
    expect(await rules.text()).not.toContain("Cache-Control");
  });
});
