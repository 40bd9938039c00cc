import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";

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

// Issue 15 #4: the product page's article is prerendered by the worker, so its largest element needs no API call.
describe("product page prerendered at the edge", () => {
  it("writes the product (escaped) and its data into the static page; unknown, draft or other-store products are not", async () => {
    const { tenant, adminKey } = await createTenant();
    const name = `<img src=x onerror=alert(1)> 月卡 "&"`;
    const made = await api("/products", {
      method: "POST", token: adminKey,
      json: { kind: "card_key", name, subtitle: "</script><b>x</b>", priceCents: 990, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "全国通用" },
    });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    const page = (q: string) => exports.default.fetch(`http://kaquan.test/shop/product/?${q}`).then(async (r) => ({ status: r.status, html: await r.text(), cc: r.headers.get("cache-control") }));

    const draft = await page(`t=${tenant.slug}&id=${id}`);
    expect(draft.status).toBe(200);
    expect(draft.html).not.toContain("product-data");
    expect(draft.html).toContain("加载中");

    await api(`/products/${id}/keys/import`, { method: "POST", token: adminKey, json: { rows: [{ line: 1, secret: "K-PAGE-1" }] } });
    expect((await api(`/products/${id}/status`, { method: "POST", token: adminKey, json: { status: "published" } })).status).toBe(200);
    const shown = await page(`t=${tenant.slug}&id=${id}`);
    expect(shown.status).toBe(200);
    expect(shown.cc).toContain("no-cache");
    expect(shown.html).toContain('data-prerendered="zh"');
    expect(shown.html).toContain("<h1>&lt;img src=x onerror=alert(1)&gt; 月卡 &quot;&amp;&quot;</h1>");
    expect(shown.html).toContain(`<title>&lt;img src=x onerror=alert(1)&gt; 月卡 "&amp;" · kaquan</title>`);
    expect(shown.html).not.toContain("<img src=x");
    expect(shown.html).not.toContain("</script><b>");
    const json = /<script type="application\/json" id="product-data">([^<]*)<\/script>/.exec(shown.html)?.[1];
    const data = JSON.parse(json!);
    expect(data).toMatchObject({ id, name, stock: { available: 1 } });
    expect(data.tenantId).toBeUndefined();
    expect(shown.html).not.toContain("K-PAGE-1");

    const other = await createTenant();
    expect((await page(`t=${other.tenant.slug}&id=${id}`)).html).not.toContain("product-data");
    expect((await page(`t=${tenant.slug}&id=prd_nope`)).html).not.toContain("product-data");
    expect((await page(`t=no-such-store&id=${id}`)).status).toBe(200);
  });
});
