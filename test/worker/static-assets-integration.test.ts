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

/** A published card-key product holding one key (`secret`); its id. */
async function publishedCardKey(adminKey: string, name: string, secret: string, images: string[] = []): Promise<string> {
  const made = await api("/products", {
    method: "POST", token: adminKey,
    json: { kind: "card_key", name, priceCents: 1990, faceValueCents: 2000, validity: { kind: "relative", days: 30 }, scope: "全国通用", ...(images.length ? { media: { images } } : {}) },
  });
  expect(made.status).toBe(201);
  const productId = made.body.id as string;
  await api(`/products/${productId}/keys/import`, { method: "POST", token: adminKey, json: { rows: [{ line: 1, secret }] } });
  expect((await api(`/products/${productId}/status`, { method: "POST", token: adminKey, json: { status: "published" } })).status).toBe(200);
  return productId;
}

/** A campaign page (`/campaigns/<path>/?<q>`) as the worker answers it. */
const campaignPage = (path: "flash" | "lottery") => (q: string) =>
  exports.default.fetch(`http://kaquan.test/campaigns/${path}/?${q}`).then(async (r) => ({ status: r.status, html: await r.text(), cc: r.headers.get("cache-control") }));

/** The static page, unchanged: 200, no data written in, still waiting for its script. */
async function expectStaticPage(answer: Promise<{ status: number; html: string }>) {
  const { status, html } = await answer;
  expect(status).toBe(200);
  expect(html).not.toContain("campaign-data");
  expect(html).toContain("加载中");
}

// Issue 15 #4: the flash page's hero image and name are written in by the worker, so its largest element needs no API call.
describe("flash-sale page prerendered at the edge", () => {
  it("writes the campaign's hero, name (escaped) and data into the static page; previews, lotteries and unknown ids are not", async () => {
    const { tenant, adminKey } = await createTenant();
    const image = 'https://img.example.test/a"onerror="alert(1)<b>.png';
    const productId = await publishedCardKey(adminKey, "视频月卡", "K-FLASH-PAGE-1", [image]);
    const now = Date.now();
    const name = `<script>alert(1)</script> 秒杀 "&"`;
    const flash = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "flash_sale", name, productId, priceCents: 990, stock: 1, perUserLimit: 1, startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() },
    });
    expect(flash.status).toBe(201);
    const id = flash.body.id as string;
    const page = campaignPage("flash");

    const shown = await page(`t=${tenant.slug}&id=${id}`);
    expect(shown.status).toBe(200);
    expect(shown.cc).toContain("no-cache");
    expect(shown.html).toContain('data-prerendered="zh"');
    expect(shown.html).toMatch(/<h1 id="name"(?![^>]*data-en=)[^>]*>&lt;script&gt;alert\(1\)&lt;\/script&gt; 秒杀 "&amp;"<\/h1>/);
    expect(shown.html).not.toContain("<script>alert(1)");
    // Inside a quoted attribute only the quote needs escaping.
    expect(shown.html).toMatch(/<img id="hero"[^>]* src="https:\/\/img\.example\.test\/a&quot;onerror=&quot;alert\(1\)<b>\.png">/);
    expect(shown.html).not.toContain('a"onerror="');
    const json = /<script type="application\/json" id="campaign-data">([^<]*)<\/script>/.exec(shown.html)?.[1];
    const data = JSON.parse(json!);
    expect(data).toMatchObject({ id, name, kind: "flash_sale", product: { id: productId, image } });
    expect(data).toEqual((await api(`/public/campaigns/${id}`)).body);
    expect(shown.html).not.toContain("K-FLASH-PAGE-1");

    // The static page, unchanged: a preview link (its token is checked by the API), a lottery, an unknown id.
    expect((await page(`t=${tenant.slug}&id=${id}&preview=x`)).html).not.toContain("campaign-data");
    const lottery = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "抽奖", prizes: [{ id: "a", name: "月卡", productId, stock: 1, weight: 1 }], startsAt: new Date(now + 60_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() },
    });
    expect(lottery.status, JSON.stringify(lottery.body)).toBe(201);
    expect((await page(`t=${tenant.slug}&id=${lottery.body.id}`)).html).not.toContain("campaign-data");
    await expectStaticPage(page(`t=${tenant.slug}&id=cmp_nope`));
  });
});

// Issue 15 #4: the lottery page's name (its largest element) is written in by the worker, with its description,
// seed commitment and data.
describe("lottery page prerendered at the edge", () => {
  it("writes the lottery's name and description (escaped), commitment and data into the static page; previews, flash sales and unknown ids are not", async () => {
    const { tenant, adminKey } = await createTenant();
    const productId = await publishedCardKey(adminKey, "音乐月卡", "K-LOTTERY-PAGE-1");
    const now = Date.now();
    const name = `<script>alert(1)</script> 抽奖 "&"`;
    const description = "<img src=x onerror=alert(1)> 每天三次";
    const lottery = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name, description, prizes: [{ id: "a", name: "月卡", productId, stock: 1, weight: 1 }], startsAt: new Date(now + 60_000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() },
    });
    expect(lottery.status, JSON.stringify(lottery.body)).toBe(201);
    const id = lottery.body.id as string;
    const page = campaignPage("lottery");

    const shown = await page(`t=${tenant.slug}&id=${id}`);
    expect(shown.status).toBe(200);
    expect(shown.cc).toContain("no-cache");
    expect(shown.html).toMatch(/<h1 id="name"(?![^>]*data-en=)[^>]*>&lt;script&gt;alert\(1\)&lt;\/script&gt; 抽奖 "&amp;"<\/h1>/);
    expect(shown.html).toContain(`<p id="desc" class="muted">&lt;img src=x onerror=alert(1)&gt; 每天三次</p>`);
    expect(shown.html).not.toContain("<script>alert(1)");
    expect(shown.html).not.toContain("<img src=x");
    const json = /<script type="application\/json" id="campaign-data">([^<]*)<\/script>/.exec(shown.html)?.[1];
    const data = JSON.parse(json!);
    expect(data).toEqual((await api(`/public/campaigns/${id}`)).body);
    expect(data).toMatchObject({ id, name, description, kind: "lottery" });
    expect(shown.html).toContain(`<code id="commit">${data.seedCommitment}</code>`);
    expect(data.seedCommitment).toMatch(/^[0-9a-f]{64}$/);
    expect(shown.html).not.toContain("K-LOTTERY-PAGE-1");

    // The static page, unchanged: a preview link, a flash sale's id, an unknown id.
    expect((await page(`t=${tenant.slug}&id=${id}&preview=x`)).html).not.toContain("campaign-data");
    const flash = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { kind: "flash_sale", name: "秒杀", productId, priceCents: 990, stock: 1, perUserLimit: 1, startsAt: new Date(now - 1000).toISOString(), endsAt: new Date(now + 3_600_000).toISOString() },
    });
    expect(flash.status).toBe(201);
    expect((await page(`t=${tenant.slug}&id=${flash.body.id}`)).html).not.toContain("campaign-data");
    await expectStaticPage(page(`t=${tenant.slug}&id=cmp_nope`));
  });
});

// Issue 15 #4: the shop's list is written in by the worker, so its first product image needs no API call.
describe("shop list prerendered at the edge", () => {
  it("writes the store's published cards (escaped) and their data into the static page; other stores' and drafts are not; an unknown store gets the static page", async () => {
    const { tenant, adminKey } = await createTenant();
    const other = await createTenant();
    const make = async (token: string, name: string, publish: boolean) => {
      const made = await api("/products", {
        method: "POST", token,
        json: { kind: "card_key", name, priceCents: 990, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "全国通用", media: { images: ["/api/v1/media/img_x"] } },
      });
      expect(made.status).toBe(201);
      if (publish) expect((await api(`/products/${made.body.id}/status`, { method: "POST", token, json: { status: "published" } })).status).toBe(200);
      return made.body.id as string;
    };
    const shown = await make(adminKey, `<img src=x onerror=alert(1)> 月卡`, true);
    await make(adminKey, "草稿商品", false);
    await make(other.adminKey, "别家商品", true);
    const page = (q: string) => exports.default.fetch(`http://kaquan.test/shop/?${q}`).then(async (r) => ({ status: r.status, html: await r.text(), cc: r.headers.get("cache-control") }));

    const list = await page(`t=${tenant.slug}`);
    expect(list.status).toBe(200);
    expect(list.cc).toContain("no-cache");
    expect(list.html).toContain('data-prerendered="zh"');
    expect(list.html).toContain(`<a class="card product" href="/shop/product/?t=${tenant.slug}&amp;id=${shown}">`);
    expect(list.html).toContain("<h2>&lt;img src=x onerror=alert(1)&gt; 月卡</h2>");
    expect(list.html).toContain('fetchpriority="high"');
    expect(list.html).not.toContain("<img src=x");
    expect(list.html).not.toContain("草稿商品");
    expect(list.html).not.toContain("别家商品");
    const json = /<script type="application\/json" id="products-data">([^<]*)<\/script>/.exec(list.html)?.[1];
    expect(JSON.parse(json!)).toEqual((await api(`/shop/${tenant.slug}/products`)).body);

    const unknown = await page("t=no-such-store");
    expect(unknown.status).toBe(200);
    expect(unknown.html).not.toContain("products-data");
    expect(unknown.html).toContain("加载中");
  });
});
