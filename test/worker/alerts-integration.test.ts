import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { routeOutbound } from "../../worker/queue/webhooks";
import { phoneHash } from "../../worker/services/buyers";
import { readOutbox } from "../../worker/sms/sandbox";
import { api, createTenant, PLATFORM } from "./helpers";
import { event, testEnv } from "./webhook-fixtures";

const MIN = 60_000;

async function setup(quietMinutes?: number) {
  const { tenant, adminKey } = await createTenant();
  const saved = await api("/alerts/settings", {
    method: "PUT", token: adminKey, json: { emails: ["ops@brand.example"], phones: ["13800138000"], ...(quietMinutes ? { quietMinutes } : {}) },
  });
  expect(saved.status, JSON.stringify(saved.body)).toBe(200);
  const ep = await api("/webhooks/endpoints", { method: "POST", token: adminKey, json: { url: "https://oncall.brand.example/alerts", eventTypes: ["alert"] } });
  expect(ep.status).toBe(201);
  const emails = async () => (await api("/dev/email", { token: adminKey })).body.messages as { to: string; subject: string; body: string }[];
  const sms = async () => readOutbox(env.DB, tenant.id, await phoneHash(env, "13800138000"));
  return { tenant, adminKey, emails, sms, t: testEnv() };
}

describe("alerts reach people", () => {
  it("sends an alert to e-mail, SMS and `alert` webhooks once per kind + subject per quiet period", async () => {
    const { tenant, emails, sms, t } = await setup();
    const now = Date.now();
    const low = (productId: string, at: number) => event(tenant.id, "low_stock", { productId, available: 2, threshold: 5 }, new Date(at));

    const first = low("prd_a", now);
    const ids = await routeOutbound(t.env, [first], now);
    expect(ids).toHaveLength(1);
    const [mail] = await emails();
    expect(mail).toMatchObject({ to: "ops@brand.example", subject: "[kaquan] low_stock: prd_a" });
    expect(await sms()).toHaveLength(1);
    const body = await env.DB.prepare("SELECT body FROM webhook_deliveries WHERE id = ?").bind(ids[0]).first<{ body: string }>();
    expect(JSON.parse(body!.body)).toMatchObject({ type: "alert", data: { kind: "low_stock", subject: "prd_a", sourceType: "low_stock", productId: "prd_a" } });

    // The same batch again (a Queue redelivery): nothing new, and not counted as a repeat.
    expect(await routeOutbound(t.env, [first], now + 1000)).toEqual([]);
    // The same alert 5 and 20 minutes later: held back. Another subject: sent.
    expect(await routeOutbound(t.env, [low("prd_a", now + 5 * MIN)], now + 5 * MIN)).toEqual([]);
    expect(await routeOutbound(t.env, [low("prd_a", now + 20 * MIN)], now + 20 * MIN)).toEqual([]);
    expect(await routeOutbound(t.env, [low("prd_b", now + 20 * MIN)], now + 20 * MIN)).toHaveLength(1);
    // An order_stuck alert for an order is its own kind + subject.
    expect(await routeOutbound(t.env, [event(tenant.id, "alert", { kind: "order_stuck", orderId: "ord_9" })], now + 20 * MIN)).toHaveLength(1);
    expect((await emails()).map((m) => m.subject).sort()).toEqual(["[kaquan] low_stock: prd_a", "[kaquan] low_stock: prd_b", "[kaquan] order_stuck: ord_9"]);
    expect(await sms()).toHaveLength(3);
  });

  it("sends the same alert again once the quiet period is over, saying how many were held back; the period is per tenant", async () => {
    const { tenant, adminKey, emails, t } = await setup();
    const now = Date.now();
    const down = (at: number) => event(tenant.id, "supplier_failed", { supplierId: "sup_1", orderId: `o${at}` }, new Date(at));
    await routeOutbound(t.env, [down(now)], now);
    await routeOutbound(t.env, [down(now + 10 * MIN)], now + 10 * MIN);
    await routeOutbound(t.env, [down(now + 29 * MIN)], now + 29 * MIN);
    expect(await emails()).toHaveLength(1);
    expect(await routeOutbound(t.env, [down(now + 30 * MIN)], now + 30 * MIN)).toHaveLength(1);
    const latest = (await emails())[0]!;
    expect(latest.subject).toBe("[kaquan] supplier_failed: sup_1");
    expect(latest.body).toContain("2 more of the same alert in the last 30 min were held back");

    // A 5-minute quiet period for this tenant: 6 minutes later it goes out again.
    const changed = await api("/alerts/settings", { method: "PUT", token: adminKey, json: { quietMinutes: 5 } });
    expect(changed.body).toEqual({ emails: ["ops@brand.example"], phones: ["13800138000"], quietMinutes: 5 });
    expect(await routeOutbound(t.env, [down(now + 33 * MIN)], now + 33 * MIN)).toEqual([]);
    expect(await routeOutbound(t.env, [down(now + 36 * MIN)], now + 36 * MIN)).toHaveLength(1);
    expect(await emails()).toHaveLength(3);
    // Another tenant keeps the default 30 minutes.
    expect((await api("/alerts/settings", { token: (await createTenant()).adminKey })).body).toEqual({ emails: [], phones: [], quietMinutes: 30 });
  });

  it("refuses bad contacts with field paths", async () => {
    const { adminKey } = await createTenant();
    const bad = await api("/alerts/settings", { method: "PUT", token: adminKey, json: { emails: ["not-an-address"], phones: ["12345"], quietMinutes: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["json.emails.0", "json.phones.0", "json.quietMinutes"]);
  });
});

describe("the console's alert list (GET /alerts)", () => {
  const operatorKey = async (tenantId: string) =>
    (await api(`/platform/tenants/${tenantId}/keys`, { method: "POST", token: PLATFORM, json: { name: "ops", scopes: ["operator"] } })).body.secret as string;

  it("lists a tenant's alerts newest first even with no contacts set, with repeats held back and what to act on; never another tenant's", async () => {
    const a = await createTenant("A");
    const b = await createTenant("B");
    const [keyA, keyB] = [await operatorKey(a.tenant.id), await operatorKey(b.tenant.id)];
    const t = testEnv();
    const now = Date.now();
    // Tenant A set no e-mail, SMS or webhook: before this list nobody saw these.
    await routeOutbound(t.env, [event(a.tenant.id, "low_stock", { productId: "prd_a", available: 0, threshold: 5 })], now);
    const stuck = (at: number) =>
      event(a.tenant.id, "alert", { kind: "order_stuck", orderId: "ord_9", status: "paid", deliveryAttempts: 3, buyerPhone: "13800138000", cardKeySecret: "SECRET-1" }, new Date(at));
    await routeOutbound(t.env, [stuck(now + MIN)], now + MIN);
    await routeOutbound(t.env, [stuck(now + 2 * MIN)], now + 2 * MIN); // held back (quiet period)
    await routeOutbound(t.env, [stuck(now + 3 * MIN)], now + 3 * MIN); // held back
    await routeOutbound(t.env, [event(b.tenant.id, "supplier_failed", { supplierId: "sup_b", orderId: "ord_b" })], now);

    const listA = await api("/alerts", { token: keyA });
    expect(listA.status, JSON.stringify(listA.body)).toBe(200);
    expect(listA.body.alerts).toHaveLength(2);
    const [first, second] = listA.body.alerts;
    expect(first).toMatchObject({
      kind: "order_stuck", subject: "ord_9", sourceType: "alert", heldBack: 2, orderId: "ord_9", productId: null,
      lastRaisedAt: new Date(now + 3 * MIN).toISOString(), lastSentAt: new Date(now + MIN).toISOString(),
      details: { kind: "order_stuck", orderId: "ord_9", status: "paid", deliveryAttempts: 3 },
    });
    // No phone numbers, no card-key secrets kept or shown.
    expect(JSON.stringify(listA.body)).not.toMatch(/13800138000|SECRET-1|buyerPhone|cardKeySecret/);
    const stored = await env.DB.prepare("SELECT payload FROM alert_notices WHERE tenant_id = ?").bind(a.tenant.id).all<{ payload: string }>();
    expect(JSON.stringify(stored.results)).not.toMatch(/13800138000|SECRET-1/);
    expect(second).toMatchObject({ kind: "low_stock", subject: "prd_a", sourceType: "low_stock", heldBack: 0, productId: "prd_a", orderId: null, details: { available: 0, threshold: 5 } });

    // Tenant B's key sees only tenant B's alert; a fresh tenant sees none; no key, no list.
    const listB = await api("/alerts", { token: keyB });
    expect(listB.body.alerts.map((x: { kind: string; subject: string }) => `${x.kind}|${x.subject}`)).toEqual(["supplier_failed|sup_b"]);
    expect(JSON.stringify(listB.body)).not.toContain("ord_9");
    expect((await api("/alerts", { token: (await createTenant()).adminKey })).body).toEqual({ alerts: [] });
    expect((await api("/alerts")).status).toBe(401);
  });
});
