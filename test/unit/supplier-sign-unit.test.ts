import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { md5Hex } from "../../worker/domain/md5";
import { summariseAttempts, percentile } from "../../worker/domain/supplier-health";
import { headerSign, signRequest, sortedSign, sortedSignString, verifyRequest, type SupplierCredentials } from "../../worker/domain/supplier-sign";

// WeChat Pay v2's published signing example: the sorted-params form many 直充 platforms copy.
const WX = { appid: "wxd930ea5d5a258f4f", mch_id: "10000100", device_info: "1000", body: "test", nonce_str: "ibuaiVcKdpRxkhJA" };
const WX_KEY = "192006250b4c09247ec02edce69f6a2d";

const incoming = (method: string, path: string, headers: Record<string, string>, body = "") =>
  ({ method, path, header: (n: string) => headers[n.toLowerCase()] ?? null, body });

describe("supplier sign schemes", () => {
  it("MD5 matches Node's on RFC 1321 vectors, block edges and UTF-8", () => {
    expect(md5Hex("")).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(md5Hex("abc")).toBe("900150983cd24fb0d6963f7d28e17f72");
    for (const s of ["a".repeat(55), "a".repeat(56), "a".repeat(64), "话费直充".repeat(33)]) expect(md5Hex(s)).toBe(createHash("md5").update(s).digest("hex"));
  });

  it("sorted params: the published example's string, MD5 and HMAC-SHA256 signs; empty values and sign left out", async () => {
    expect(sortedSignString({ ...WX, empty: "", sign: "X" }, WX_KEY)).toBe(
      "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d");
    expect(await sortedSign(WX, WX_KEY, "MD5")).toBe("9A0A8659F005D6984697E2CA0A9CF3B7");
    expect(await sortedSign(WX, WX_KEY, "HMAC-SHA256")).toBe("6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6");
  });

  it("HMAC header: base64 HMAC-SHA256 over method, path, timestamp, nonce and the body's SHA-256", async () => {
    const body = '{"orderRef":"o1"}';
    const expected = createHmac("sha256", "k").update(["POST", "/v1/recharge", "1700000000", "n1", createHash("sha256").update(body).digest("hex")].join("\n")).digest("base64");
    expect(await headerSign("k", "post", "/v1/recharge", "1700000000", "n1", body)).toBe(expected);
  });

  const schemes: SupplierCredentials[] = [
    { scheme: "sorted_md5", appId: "a1", secret: "s-md5-key" },
    { scheme: "sorted_hmac_sha256", appId: "a1", secret: "s-hmac-key" },
    { scheme: "hmac_header", appId: "a1", secret: "h-key" },
    { scheme: "kaquan_v1", appId: null, secret: "kq-key" },
  ];
  for (const creds of schemes) {
    it(`${creds.scheme}: a signed request verifies; forged, tampered and old ones do not`, async () => {
      const now = 1_760_000_000;
      const params = { orderRef: "ord_1:prd_1", quantity: 2, account: "13800138000" };
      const post = await signRequest(creds, "POST", "/sup/v1/recharge", params, now, "nonce-1");
      const req = (r: typeof post, body = r.body ?? "") => incoming("POST", r.path, r.headers, body);
      const ok = await verifyRequest(creds, req(post), now + 10);
      expect(ok).toMatchObject({ ok: true, params: { orderRef: "ord_1:prd_1", account: "13800138000" } });
      expect(ok.ok && String(ok.params.quantity)).toBe("2");
      expect(ok.ok && ok.nonce).toBeTruthy();
      expect(await verifyRequest({ ...creds, secret: "wrong" }, req(post), now)).toEqual({ ok: false, reason: "mismatch" });
      expect(await verifyRequest(creds, req(post, post.body!.replace("13800138000", "13900139000")), now)).toEqual({ ok: false, reason: "mismatch" });
      expect(await verifyRequest(creds, req(post), now + 301)).toEqual({ ok: false, reason: "expired" });
      const get = await signRequest(creds, "GET", "/sup/v1/orders/ord_1", null, now, "nonce-2");
      const g = await verifyRequest(creds, incoming("GET", get.path, get.headers), now);
      expect(g.ok).toBe(true);
      // A body-less kaquan_v1 request has no one-time value (timestamp only); every other scheme carries one.
      expect(g.ok && g.nonce).toBe(creds.scheme === "kaquan_v1" ? null : "nonce-2");
      // Only hmac_header binds the path itself; the others sign their parameters (or body) alone.
      expect((await verifyRequest(creds, incoming("GET", get.path.replace("ord_1", "ord_2"), get.headers), now)).ok).toBe(creds.scheme !== "hmac_header");
      // A GET's parameters (the statement's day) go in its query string; the schemes that sign parameters or the
      // path bind them (kaquan_v1 signs a body, which a GET has not).
      const day = await signRequest(creds, "GET", "/sup/v1/statement", { day: "2026-12-04" }, now, "nonce-3");
      expect(new URL(day.path, "http://x").searchParams.get("day")).toBe("2026-12-04");
      const d = await verifyRequest(creds, incoming("GET", day.path, day.headers), now);
      expect(d.ok).toBe(true);
      if (creds.scheme !== "kaquan_v1") expect(d.ok && d.params.day).toBe(creds.scheme === "hmac_header" ? undefined : "2026-12-04");
      expect((await verifyRequest(creds, incoming("GET", day.path.replace("2026-12-04", "2026-12-03"), day.headers), now)).ok).toBe(creds.scheme === "kaquan_v1");
    });
  }

  it("health: final outcomes only, nearest-rank percentiles, newest failures first", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
    const a = (outcome: string, latency_ms: number, at: string) => ({ order_id: `o${at}`, outcome, latency_ms, detail: null, created_at: at });
    const h = summariseAttempts([a("timeout", 2000, "5"), a("accepted", 5, "4"), a("ok", 100, "3"), a("out_of_stock", 3, "2"), a("ok", 300, "1")]);
    expect(h).toMatchObject({ attempts: 3, succeeded: 2, failed: 1, outOfStock: 1, successRate: 0.667, p50Ms: 300, p95Ms: 2000 });
    expect(h.lastFailures.map((f) => f.outcome)).toEqual(["timeout", "out_of_stock"]);
  });
});
