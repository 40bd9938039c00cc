import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";

// Issue 13 #12: product images are uploaded to our own R2 bucket and served from our origin, per brand.
// Minimal files with real headers (PNG IHDR, WebP VP8X: 16×16), the tag byte after the header.
const TAG = 40;
const png = (tag: number, extra = 64, side = 16) => {
  const b = new Uint8Array(TAG + extra);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  b.set(new TextEncoder().encode("IHDR"), 12);
  new DataView(b.buffer).setUint32(16, side);
  new DataView(b.buffer).setUint32(20, side);
  b[TAG] = tag;
  return b;
};
const webp = (tag: number) => {
  const b = new Uint8Array(TAG + 8);
  b.set(new TextEncoder().encode("RIFF"), 0);
  b.set(new TextEncoder().encode("WEBPVP8X"), 8);
  b[24] = 15;
  b[27] = 15;
  b[TAG] = tag;
  return b;
};
const upload = (token: string, path: string, bytes: Uint8Array, type: string, method = "POST") =>
  api(path, { method, token, headers: { "content-type": type }, body: bytes });
const fetchImage = (url: string) => exports.default.fetch(`http://kaquan.test${url}`);

describe("product images", () => {
  it("stores an upload and its widths, serves the right size from our origin, immutable", async () => {
    const { adminKey } = await createTenant();
    const up = await upload(adminKey, "/media/images", png(1), "image/png");
    expect(up.status).toBe(201);
    expect(up.body.url).toMatch(/^\/api\/v1\/media\/[^/]+\/img_[0-9a-f]{32}$/);
    expect((await upload(adminKey, "/media/images", png(1), "image/png")).body.id).toBe(up.body.id);
    for (const w of [320, 640]) {
      const v = await upload(adminKey, `/media/images/${up.body.id}/widths/${w}`, webp(w / 10), "image/webp", "PUT");
      expect(v.status).toBe(200);
    }
    const original = await fetchImage(up.body.url);
    expect(original.status).toBe(200);
    expect(original.headers.get("content-type")).toBe("image/png");
    expect(original.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(new Uint8Array(await original.arrayBuffer())[TAG]).toBe(1);
    const small = await fetchImage(`${up.body.url}?w=300`);
    expect(small.headers.get("content-type")).toBe("image/webp");
    expect(new Uint8Array(await small.arrayBuffer())[TAG]).toBe(32);
    const mid = await fetchImage(`${up.body.url}?w=500`);
    expect(new Uint8Array(await mid.arrayBuffer())[TAG]).toBe(64);
    const big = await fetchImage(`${up.body.url}?w=2000`);
    expect(new Uint8Array(await big.arrayBuffer())[TAG]).toBe(64);

    // A product may point at it (a path on our origin).
    const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "带图商品", priceCents: 100, faceValueCents: 100, media: { images: [up.body.url] } } });
    expect(p.status).toBe(201);
    expect(p.body.media.images).toEqual([up.body.url]);
  });

  it("refuses wrong types, disguised files, oversize bodies, unknown widths and other brands' images", async () => {
    const a = await createTenant();
    const b = await createTenant();
    expect((await upload(a.adminKey, "/media/images", new TextEncoder().encode("<svg onload=alert(1)>"), "image/svg+xml")).status).toBe(415);
    const disguised = await upload(a.adminKey, "/media/images", new TextEncoder().encode("<html>hello</html>"), "image/png");
    expect(disguised.status).toBe(415);
    expect(disguised.body.error.code).toBe("unsupported_image");
    expect((await upload(a.adminKey, "/media/images", png(2), "image/jpeg")).status).toBe(415);
    // A magic number alone, a header cut short, or a declared size no decoder should be asked for: refused.
    for (const bytes of [png(6).subarray(0, 8), new Uint8Array([0xff, 0xd8, 0xff]), webp(6).subarray(0, 12), png(6, 64, 0), png(6, 64, 0xffffffff)]) {
      const sniffed = bytes[0] === 0x89 ? "image/png" : bytes[0] === 0xff ? "image/jpeg" : "image/webp";
      const res = await upload(a.adminKey, "/media/images", bytes, sniffed);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("invalid_image");
    }
    const huge = await upload(a.adminKey, "/media/images", png(3, 5 * 1024 * 1024), "image/png");
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("image_too_large");
    expect((await api("/media/images", { method: "POST", headers: { "content-type": "image/png" }, body: png(4) })).status).toBe(401);

    const up = await upload(a.adminKey, "/media/images", png(5), "image/png");
    expect((await upload(a.adminKey, `/media/images/${up.body.id}/widths/333`, webp(1), "image/webp", "PUT")).status).toBe(400);
    // Brand B can neither add a width to A's image nor read it under its own tenant.
    expect((await upload(b.adminKey, `/media/images/${up.body.id}/widths/320`, webp(9), "image/webp", "PUT")).status).toBe(404);
    expect((await fetchImage(up.body.url.replace(a.tenant.id, b.tenant.id))).status).toBe(404);
    expect((await fetchImage(`${up.body.url}?w=320`)).headers.get("content-type")).toBe("image/png");
  });
});
