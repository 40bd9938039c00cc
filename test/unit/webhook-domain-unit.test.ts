import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { buildEvent, type EventInput } from "../../worker/queue/emit";
import { newWebhookSecret, webhookHeaders } from "../../worker/domain/standard-webhooks";
import { alertOf, matches } from "../../worker/domain/webhook-match";
import { RETRY_CAP_SECONDS, RETRY_WINDOW_MS, webhookRetryDelay } from "../../worker/domain/webhook-retry";
import { targetProblem } from "../../worker/domain/webhook-target";

describe("Standard Webhooks signing", () => {
  it("is accepted by the reference package, with one secret or two", async () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ type: "order_paid", timestamp: "2026-11-29T00:00:00.000Z", data: { eventId: "ev_1" } });
    const ts = Math.floor(Date.now() / 1000);
    const headers = await webhookHeaders([a, b], "msg_1", ts, body);
    expect(headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    expect(new Webhook(a).verify(body, headers)).toMatchObject({ type: "order_paid" });
    expect(new Webhook(b).verify(body, headers)).toMatchObject({ type: "order_paid" });
    expect(new Webhook(a).sign("msg_1", new Date(ts * 1000), body)).toBe(headers["webhook-signature"]!.split(" ")[0]);
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });
});

describe("retry schedule", () => {
  it("grows with jitter, never waits more than 12 h, and stops within 3 days", () => {
    for (const random of [() => 0, () => 0.5, () => 0.999]) {
      const first = 1_000_000;
      let now = first;
      let n = 0;
      let d: number | null;
      const delays: number[] = [];
      while ((d = webhookRetryDelay(++n, first, now, random)) !== null) {
        delays.push(d);
        now += d * 1000;
      }
      expect(Math.max(...delays)).toBeLessThanOrEqual(RETRY_CAP_SECONDS);
      expect(now - first).toBeLessThanOrEqual(RETRY_WINDOW_MS);
      expect(now - first).toBeGreaterThan(RETRY_WINDOW_MS - RETRY_CAP_SECONDS * 1000);
      expect(delays.slice(0, 5)).toEqual([...delays.slice(0, 5)].sort((x, y) => x - y));
    }
    expect(webhookRetryDelay(1, 0, 0, () => 0)).toBe(15);
    expect(webhookRetryDelay(1, 0, 0, () => 1)).toBe(30);
  });
});

describe("SSRF guard", () => {
  it("refuses private, loopback and non-https targets in production", () => {
    for (const url of [
      "http://hooks.brand.example/x", "https://127.0.0.1/x", "https://localhost/x", "https://10.1.2.3/", "https://172.20.0.1/",
      "https://192.168.1.1/", "https://169.254.169.254/", "https://100.64.0.1/", "https://[::1]/", "https://[fd12::1]/",
      "https://[fe80::1]/", "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/", "https://2130706433/", "https://intranet/",
      "https://db.internal/", "https://user:pw@hooks.brand.example/", "not a url",
      // The root's trailing dot, IPv6 forms carrying an IPv4, and wildcard DNS names that spell a private address.
      "https://localhost./hook", "https://foo.localhost./", "https://metadata.google.internal./computeMetadata/v1/",
      "https://[::7f00:1]/", "https://[::127.0.0.1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a9fe:a9fe::1]/", "https://[2001:0:4136::1]/",
      "https://[ff02::1]/", "https://169.254.169.254.nip.io/", "https://10-0-0-5.sslip.io/", "https://app.127.0.0.1.nip.io./",
      "file:///etc/passwd",
    ]) expect(targetProblem(url, false), url).not.toBeNull();
    expect(targetProblem("https://8.8.8.8.nip.io/", false)).toBeNull();
    expect(targetProblem("https://[2606:4700::1111]/", false)).toBeNull();
    expect(targetProblem("https://hooks.brand.example./kaquan", false)).toBeNull();
    expect(targetProblem("https://hooks.brand.example/kaquan", false)).toBeNull();
    expect(targetProblem("https://8.8.8.8/x", false)).toBeNull();
  });

  it("lets development reach a receiver on localhost, nothing else private", () => {
    expect(targetProblem("http://localhost:4000/hooks", true)).toBeNull();
    expect(targetProblem("http://127.0.0.1:4000/hooks", true)).toBeNull();
    expect(targetProblem("http://10.0.0.2/hooks", true)).not.toBeNull();
    expect(targetProblem("http://hooks.brand.example/", true)).not.toBeNull();
  });
});

describe("matching and alerts", () => {
  const ev = (type: Parameters<typeof buildEvent>[0]["type"], payload: Record<string, string | number>) => buildEvent({ tenantId: "t", type, payload } as EventInput);
  it("matches type and filter fields by equality", () => {
    const rule = { id: "e", eventTypes: ["order_paid" as const], filter: { productId: "p1" } };
    expect(matches(rule, "order_paid", ev("order_paid", { productId: "p1" }))).toBe(true);
    expect(matches(rule, "order_paid", ev("order_paid", { productId: "p2" }))).toBe(false);
    expect(matches(rule, "order_created", ev("order_created", { productId: "p1" }))).toBe(false);
  });
  it("names each alert by kind and subject", () => {
    expect(alertOf(ev("low_stock", { productId: "p1", available: 1 }))).toEqual({ kind: "low_stock", subject: "p1" });
    expect(alertOf(ev("alert", { kind: "order_stuck", orderId: "o1" }))).toEqual({ kind: "order_stuck", subject: "o1" });
    expect(alertOf(ev("alert", { kind: "webhook_endpoint_disabled", endpointId: "whe_1", url: "https://x" }))).toEqual({ kind: "webhook_endpoint_disabled", subject: "whe_1" });
    expect(alertOf(ev("risk_flagged", { kind: "redeem_burst", subject: "store_1" }))).toEqual({ kind: "redeem_burst", subject: "store_1" });
    expect(alertOf(ev("supplier_failed", { supplierId: "s1", orderId: "o" }))).toEqual({ kind: "supplier_failed", subject: "s1" });
    expect(alertOf(ev("payment_callback_refused", { paymentId: "pay_1", reason: "gateway_unconfirmed", provider: "wechatpay", accountId: "pac_1" }))).toEqual({ kind: "payment_callback_refused", subject: "wechatpay" });
    expect(alertOf(ev("order_paid", { orderId: "o" }))).toBeNull();
  });
});
