import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { signBody } from "../../worker/domain/signature";
import { api, createTenant, recordedEvents, recordedOfType } from "./helpers";
import { pay, rechargeShop, shop } from "./commerce-helpers";
import { pollSupplierOrders, stopWaitingForSupplier } from "../../worker/services/supplier-callbacks";
import { defaultFactory, type ClientFactory } from "../../worker/suppliers/factory";
import type { SupplierCallResult, SupplierClient, SupplierOrderState } from "../../worker/suppliers/client";

const SECRET = "test-supplier-sandbox-secret";

async function faults(name: string, f: Record<string, unknown>) {
  const body = JSON.stringify(f);
  const res = await fetch(`${inject("supplierUrl")}/${name}/admin/faults`, { method: "POST", headers: { "x-supplier-signature": await signBody(SECRET, body) }, body });
  expect(res.status).toBe(200);
}

/** A sandbox control call (admin endpoints are signed kaquan_v1 with the shared secret). */
async function sandbox(name: string, path: string, body: unknown) {
  const raw = JSON.stringify(body);
  const res = await fetch(`${inject("supplierUrl")}/${name}/admin/${path}`, { method: "POST", headers: { "x-supplier-signature": await signBody(SECRET, raw) }, body: raw });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

async function buyAndPay(slug: string, productId: string, until = ["delivered", "refunded", "failed"]) {
  const o = await shop(slug, "/orders", { method: "POST", idem: `rc-${crypto.randomUUID()}`, json: { productId, rechargeAccount: "13800138000" } });
  expect(o.status).toBe(201);
  expect((await pay(o.body.checkoutUrl)).status).toBe(200);
  for (let i = 0; i < 100; i++) {
    const v = await shop(slug, `/orders/${o.body.id}`, { cookie: o.cookie });
    if (until.includes(v.body.order.status)) return v.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("order never settled");
}

const orderStatus = async (orderId: string) => (await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(orderId).first<{ status: string }>())?.status;

const pendingAt = async (orderId: string) => (await env.DB.prepare("SELECT COUNT(*) AS n FROM supplier_orders WHERE order_id = ? AND status = 'pending'").bind(orderId).first<{ n: number }>())!.n;

const attempts = (orderId: string) =>
  env.DB.prepare("SELECT s.name, a.outcome FROM supplier_attempts a JOIN suppliers s ON s.id = a.supplier_id WHERE a.order_id = ? ORDER BY a.created_at")
    .bind(orderId).all<{ name: string; outcome: string }>().then((r) => r.results);

describe("supplier routing", { timeout: 60_000 }, () => {
  it("refuses a supplier or payment gateway URL that points inside the network, with nothing saved", async () => {
    const { adminKey } = await createTenant("Outbound URLs");
    for (const baseUrl of ["http://169.254.169.254/latest/", "http://10.0.0.5/", "file:///etc/passwd", "https://[64:ff9b::a9fe:a9fe]/"]) {
      const res = await api("/suppliers", { method: "POST", token: adminKey, json: { name: "evil", baseUrl, products: [] } });
      expect(res.status, baseUrl).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_supplier_url", issues: [expect.objectContaining({ path: "json.baseUrl" })] });
    }
    expect((await api("/suppliers", { token: adminKey })).body.suppliers).toEqual([]);
    // A mapping to a product the brand does not have is refused with its place, and nothing is saved.
    const typo = await api("/suppliers", { method: "POST", token: adminKey, json: { name: "typo", baseUrl: "https://api.supplier.example/", products: [{ productId: "prd_nonexistent", sku: "X", costCents: 1 }] } });
    expect(typo.status).toBe(422);
    expect(typo.body.error).toMatchObject({ code: "supplier_unknown_product", issues: [expect.objectContaining({ path: "json.products.0.productId" })] });
    expect((await api("/suppliers", { token: adminKey })).body.suppliers).toEqual([]);
    const merchant = (await (await fetch(`${inject("wechatpayUrl")}/sandbox/merchants`, { method: "POST", body: JSON.stringify({}) })).json()) as Record<string, unknown>;
    for (const gatewayUrl of ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/"]) {
      const res = await api("/payment-accounts", { method: "PUT", token: adminKey, json: { provider: "wechatpay", config: { ...merchant, gatewayUrl } } });
      expect(res.status, gatewayUrl).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_gateway_url", issues: [expect.objectContaining({ path: "json.config.gatewayUrl" })] });
    }
    expect((await api("/payment-accounts", { method: "PUT", token: adminKey, json: { provider: "wechatpay", config: merchant } })).status).toBe(200);
  });

  it("cheapest first; on failure falls back to the next; the voucher names the supplier, not the account", async () => {
    const s = await rechargeShop();
    const ok = await buyAndPay(s.tenant.slug, s.productId);
    expect(ok.order.status).toBe("delivered");
    expect((await attempts(ok.order.id)).map((a) => a.name)).toEqual([s.cheap]);
    expect(ok.vouchers[0].meta.account).toBe("13****00");

    await faults(s.cheap, { errorRate: 1 });
    const fallback = await buyAndPay(s.tenant.slug, s.productId);
    expect(fallback.order.status).toBe("delivered");
    expect(await attempts(fallback.order.id)).toEqual([{ name: s.cheap, outcome: "error" }, { name: s.dear, outcome: "ok" }]);

    // The suppliers dashboard counts deliveries by the supplier on order_delivered: each names the one that delivered.
    const ids = Object.fromEntries((await env.DB.prepare("SELECT name, id FROM suppliers WHERE tenant_id = ?").bind(s.tenantId).all<{ name: string; id: string }>()).results.map((r) => [r.name, r.id]));
    const delivered = (await recordedEvents(s.tenantId)).filter((e) => e.type === "order_delivered");
    expect(delivered.map((e) => [(e.payload as { orderId: string }).orderId, (e.payload as { supplierId?: string }).supplierId]))
      .toEqual([[ok.order.id, ids[s.cheap]], [fallback.order.id, ids[s.dear]]]);
    // Delivered after the callback answered, and its events sent then too: none waits in the outbox for the cron.
    await expect.poll(async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM event_outbox WHERE tenant_id = ? AND sent_at IS NULL").bind(s.tenantId).first<{ n: number }>())!.n, { timeout: 5_000 }).toBe(0);
  });

  it("a supplier failing 3 times in a row is skipped while its circuit is open", async () => {
    const s = await rechargeShop();
    await faults(s.cheap, { errorRate: 1 });
    for (let i = 0; i < 3; i++) await buyAndPay(s.tenant.slug, s.productId);
    const next = await buyAndPay(s.tenant.slug, s.productId);
    expect(next.order.status).toBe("delivered");
    expect((await attempts(next.order.id)).map((a) => a.name)).toEqual([s.dear]);
    const list = await api("/suppliers", { token: s.adminKey });
    const cheap = list.body.suppliers.find((x: any) => x.name === s.cheap);
    expect(cheap.consecutiveFailures).toBe(3);
    expect(Date.parse(cheap.openUntil)).toBeGreaterThan(Date.now());
  });

  it("when every route fails (out of stock, errors) the buyer is refunded automatically and stock released", async () => {
    const s = await rechargeShop();
    await faults(s.cheap, { outOfStock: true });
    await faults(s.dear, { errorRate: 1 });
    const failed = await buyAndPay(s.tenant.slug, s.productId);
    expect(failed.order.status).toBe("refunded");
    expect(failed.order.failureReason).toBe("all_suppliers_failed");
    const pays = await env.DB.prepare("SELECT kind, status FROM payments WHERE order_id = ? ORDER BY kind").bind(failed.order.id).all();
    expect(pays.results).toEqual([{ kind: "charge", status: "succeeded" }, { kind: "refund", status: "succeeded" }]);
    // stock given back: the counter hold was released
    expect((await api(`/products/${s.productId}/stock`, { token: s.adminKey })).body).toMatchObject({ reserved: 0, delivered: 0 });
  });

  it("a timed-out call that went through upstream is found by a status query: no second recharge elsewhere", async () => {
    const s = await rechargeShop();
    await faults(s.cheap, { timeoutRate: 1, hangCompletesRate: 1, hangMs: 2_600 });
    const done = await buyAndPay(s.tenant.slug, s.productId);
    expect(done.order.status).toBe("delivered");
    expect(await attempts(done.order.id)).toEqual([{ name: s.cheap, outcome: "ok" }]);
    // A call that never completes upstream: the line waits at that supplier (it might still arrive) and goes to the
    // next one only once the supplier still does not know it two minutes later.
    await faults(s.cheap, { hangCompletesRate: 0 });
    const lost = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    await expect.poll(() => attempts(lost.order.id), { timeout: 10_000 }).toEqual([{ name: s.cheap, outcome: "timeout" }]);
    await expect.poll(() => pendingAt(lost.order.id), { timeout: 5_000 }).toBe(1);
    expect(await orderStatus(lost.order.id)).toBe("paid");
    await pollSupplierOrders(env, new Date(Date.now() + 61_000), s.tenantId);
    expect(await attempts(lost.order.id)).toEqual([{ name: s.cheap, outcome: "timeout" }]);
    // Two minutes on it is asked to cancel (撤单): while that call hangs too, nothing moves — the order might still
    // arrive there; once the supplier confirms the cancel (it will refuse the order should it come), the line moves on.
    expect(await pollSupplierOrders(env, new Date(Date.now() + 121_000), s.tenantId)).toMatchObject({ settled: 0 });
    expect(await attempts(lost.order.id)).toEqual([{ name: s.cheap, outcome: "timeout" }]);
    await faults(s.cheap, { timeoutRate: 0 });
    expect(await pollSupplierOrders(env, new Date(Date.now() + 182_000), s.tenantId)).toMatchObject({ settled: 1 });
    expect(await attempts(lost.order.id)).toEqual([{ name: s.cheap, outcome: "timeout" }, { name: s.cheap, outcome: "failed" }, { name: s.dear, outcome: "ok" }]);
    expect(await orderStatus(lost.order.id)).toBe("delivered");
  });

  it("a supplier answering 502 after it recharged is asked before the next one: the phone is recharged once", async () => {
    const s = await rechargeShop();
    await faults(s.cheap, { errorRate: 1, errorCompletesRate: 1 });
    const done = await buyAndPay(s.tenant.slug, s.productId);
    const orderRef = `${done.order.id}:${s.productId}`;
    const upstream = async (name: string) => (await (await fetch(`${inject("supplierUrl")}/${name}/admin/orders`, { headers: { "x-supplier-signature": await signBody(SECRET, "") } })).json<{ orders: { orderRef: string }[] }>()).orders.filter((o) => o.orderRef === orderRef).length;
    expect(done.order.status).toBe("delivered");
    expect([await upstream(s.cheap), await upstream(s.dear)]).toEqual([1, 0]);
    expect(await attempts(done.order.id)).toEqual([{ name: s.cheap, outcome: "ok" }]);
    // A 502 from a supplier that did not take the order still moves the line on.
    await faults(s.cheap, { errorCompletesRate: 0 });
    const next = await buyAndPay(s.tenant.slug, s.productId);
    expect(next.order.status).toBe("delivered");
    expect(await attempts(next.order.id)).toEqual([{ name: s.cheap, outcome: "error" }, { name: s.dear, outcome: "ok" }]);
  });

  it("a slow supplier that answers after our timeout is waited for: the phone is recharged once, by that supplier", async () => {
    const s = await rechargeShop();
    // Well past our 2 s timeout, so that the status query right after it (slow itself on a loaded machine) still finds
    // the order unfinished: the case where the routing used to move on.
    await faults(s.cheap, { latencyMs: [5_000, 5_200] });
    const slow = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    const orderRef = `${slow.order.id}:${s.productId}`;
    await expect.poll(() => attempts(slow.order.id), { timeout: 10_000 }).toEqual([{ name: s.cheap, outcome: "timeout" }]);
    await expect.poll(() => pendingAt(slow.order.id), { timeout: 5_000 }).toBe(1);
    expect(await orderStatus(slow.order.id)).toBe("paid");
    const upstream = async (name: string) => (await (await fetch(`${inject("supplierUrl")}/${name}/admin/orders`, { headers: { "x-supplier-signature": await signBody(SECRET, "") } })).json<{ orders: { orderRef: string }[] }>()).orders.filter((o) => o.orderRef === orderRef).length;
    await expect.poll(() => upstream(s.cheap), { timeout: 10_000 }).toBe(1);
    expect(await pollSupplierOrders(env, new Date(Date.now() + 61_000), s.tenantId)).toMatchObject({ settled: 1 });
    expect(await orderStatus(slow.order.id)).toBe("delivered");
    expect(await attempts(slow.order.id)).toEqual([{ name: s.cheap, outcome: "timeout" }, { name: s.cheap, outcome: "ok" }]);
    expect(await upstream(s.dear)).toBe(0);
  });

  it("an order a supplier accepted and then lost goes to the next supplier after 30 min of `unknown`, with an alert; its late success changes nothing", async () => {
    const s = await rechargeShop();
    await sandbox(s.cheap, "profile", { delivery: "async", callbackDelayMs: null });
    const o = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    await expect.poll(() => pendingAt(o.order.id), { timeout: 5_000 }).toBe(1);
    const orderRef = `${o.order.id}:${s.productId}`;
    const row = await env.DB.prepare("SELECT supplier_ref FROM supplier_orders WHERE order_ref = ?").bind(orderRef).first<{ supplier_ref: string | null }>();
    expect(row!.supplier_ref).toMatch(/^cheap-/);
    // The supplier recharged it (its success callback never reached us), then lost the order: it answers `unknown`.
    const lateSuccess = (await sandbox(s.cheap, "settle", { orderRef, outcome: "succeeded" })).callback;
    await sandbox(s.cheap, "forget", { orderRef });
    const t0 = Date.now();
    // Not given up early: a supplier may answer `unknown` for a while (a failover) and still have it.
    for (const m of [1.1, 10, 25]) {
      expect(await pollSupplierOrders(env, new Date(t0 + m * 60_000), s.tenantId)).toMatchObject({ polled: 1, settled: 0 });
      expect(await orderStatus(o.order.id)).toBe("paid");
    }
    // Unknown at every poll for 30 minutes: lost. The line goes to the next supplier, and the operator is told.
    expect(await pollSupplierOrders(env, new Date(t0 + 32 * 60_000), s.tenantId)).toMatchObject({ settled: 1 });
    expect(await orderStatus(o.order.id)).toBe("delivered");
    expect(await attempts(o.order.id)).toEqual([{ name: s.cheap, outcome: "accepted" }, { name: s.cheap, outcome: "failed" }, { name: s.dear, outcome: "ok" }]);
    expect(await env.DB.prepare("SELECT status, detail FROM supplier_orders WHERE order_ref = ? AND supplier_id = (SELECT id FROM suppliers WHERE name = ?)").bind(orderRef, s.cheap).first())
      .toEqual({ status: "failed", detail: "disowned" });
    const alerts = async (kind: string) => (await recordedOfType(s.tenantId, "alert")).filter((e) => (e.payload as { kind: string }).kind === kind);
    await expect.poll(async () => (await alerts("supplier_disowned_order")).length).toBe(1);
    expect((await alerts("supplier_disowned_order"))[0]!.payload).toMatchObject({ orderId: o.order.id, supplierRef: row!.supplier_ref });
    // The lost order's success arriving after all: acknowledged, nothing delivered twice, the operator told (a possible
    // second recharge of the phone to settle with the supplier).
    const res = await exports.default.fetch(lateSuccess.url, { method: lateSuccess.method, headers: lateSuccess.headers, body: lateSuccess.body });
    expect(await res.json()).toMatchObject({ applied: false, status: "failed", orderStatus: "delivered" });
    await expect.poll(async () => (await alerts("supplier_success_after_failure")).length).toBe(1);
    const vouchers = await env.DB.prepare("SELECT COUNT(*) AS n FROM vouchers WHERE order_id = ?").bind(o.order.id).first<{ n: number }>();
    expect(vouchers!.n).toBe(1);
    expect(await attempts(o.order.id)).toHaveLength(3);
  });

  it("only `unknown` at every answer for 30 minutes gives an accepted order up: `processing` restarts the count, no answer does not", async () => {
    const s = await rechargeShop();
    await sandbox(s.cheap, "profile", { delivery: "async", callbackDelayMs: null });
    const o = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    await expect.poll(() => pendingAt(o.order.id), { timeout: 5_000 }).toBe(1);
    // The supplier's status answers, one per poll (the order is then routed through the real sandbox).
    let answer: SupplierCallResult<SupplierOrderState> = { ok: true, value: { status: "unknown", supplierRef: null } };
    const scripted: ClientFactory = async (route, e) => ({ ...(await defaultFactory(route, e)), status: async () => answer });
    const say = (status: SupplierOrderState["status"]) => (answer = { ok: true, value: { status, supplierRef: null } });
    const t0 = Date.now();
    const pollAt = (minutes: number) => pollSupplierOrders(env, new Date(t0 + minutes * 60_000), s.tenantId, scripted);
    say("unknown");
    for (const m of [1, 20]) expect(await pollAt(m)).toMatchObject({ polled: 1, settled: 0 });
    say("processing"); // it knows the order after all: the count starts again at its next `unknown`
    expect(await pollAt(25)).toMatchObject({ polled: 1, settled: 0 });
    say("unknown");
    expect(await pollAt(40)).toMatchObject({ polled: 1, settled: 0 });
    answer = { ok: false, outcome: "timeout", detail: "timeout" }; // no answer: neither restarts nor counts against it
    expect(await pollAt(45)).toMatchObject({ polled: 1, settled: 0 });
    say("unknown");
    expect(await pollAt(69)).toMatchObject({ polled: 1, settled: 0 });
    expect(await orderStatus(o.order.id)).toBe("paid");
    expect(await pollAt(71)).toMatchObject({ polled: 1, settled: 1 });
    expect(await orderStatus(o.order.id)).toBe("delivered");
    expect(await attempts(o.order.id)).toEqual([{ name: s.cheap, outcome: "accepted" }, { name: s.cheap, outcome: "failed" }, { name: s.dear, outcome: "ok" }]);
  });

  it("a disowned order moves on only once the supplier confirms the cancel (撤单): `unknown` is no promise; a refusal or no answer keeps it waiting", async () => {
    const s = await rechargeShop();
    await sandbox(s.cheap, "profile", { delivery: "async", callbackDelayMs: null });
    const o = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    await expect.poll(() => pendingAt(o.order.id), { timeout: 5_000 }).toBe(1);
    const orderRef = `${o.order.id}:${s.productId}`;
    // The supplier says it does not know the order at every poll, and answers cancel requests as scripted.
    let cancelAnswer: Awaited<ReturnType<SupplierClient["cancel"]>> = { ok: true, value: { orderRef, status: "refused", supplierRef: null, reason: "in_progress" } };
    const asked: string[] = [];
    const scripted: ClientFactory = async (route, e) => ({
      ...(await defaultFactory(route, e)),
      status: async () => ({ ok: true, value: { status: "unknown", supplierRef: null } }),
      cancel: async (ref) => (asked.push(ref), cancelAnswer),
    });
    const t0 = Date.now();
    const pollAt = (minutes: number) => pollSupplierOrders(env, new Date(t0 + minutes * 60_000), s.tenantId, scripted);
    expect(await pollAt(1)).toMatchObject({ settled: 0 });
    expect(asked).toEqual([]); // not asked before 30 minutes
    expect(await pollAt(31)).toMatchObject({ settled: 0 }); // it refuses: it has the order after all
    cancelAnswer = { ok: false, outcome: "timeout", detail: "TimeoutError" };
    expect(await pollAt(33)).toMatchObject({ settled: 0 });
    cancelAnswer = { ok: true, value: { orderRef: "someone-else:p", status: "cancelled", supplierRef: null } }; // not about this order
    expect(await pollAt(35)).toMatchObject({ settled: 0 });
    expect(asked).toEqual([orderRef, orderRef, orderRef]);
    expect(await orderStatus(o.order.id)).toBe("paid");
    expect(await attempts(o.order.id)).toEqual([{ name: s.cheap, outcome: "accepted" }]);
    const alerts = async () => (await recordedOfType(s.tenantId, "alert")).filter((e) => (e.payload as { kind: string }).kind === "supplier_disowned_order");
    expect(await alerts()).toEqual([]);
    // Its confirmed cancel (it will refuse the order from now on) lets the line go to the next supplier.
    cancelAnswer = { ok: true, value: { orderRef, status: "cancelled", supplierRef: null, reason: "not_found" } };
    expect(await pollAt(37)).toMatchObject({ settled: 1 });
    expect(await orderStatus(o.order.id)).toBe("delivered");
    expect(await attempts(o.order.id)).toEqual([{ name: s.cheap, outcome: "accepted" }, { name: s.cheap, outcome: "failed" }, { name: s.dear, outcome: "ok" }]);
    await expect.poll(async () => (await alerts()).length).toBe(1);
  });

  it("a lost or never-received line whose cancel the supplier keeps refusing or not answering raises supplier_cancel_not_confirmed once, saying what it answered; the ask is kept on the line", async () => {
    const s = await rechargeShop();
    await sandbox(s.cheap, "profile", { delivery: "async", callbackDelayMs: null });
    const lost = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    const never = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    for (const o of [lost, never]) await expect.poll(() => pendingAt(o.order.id), { timeout: 5_000 }).toBe(1);
    // The second's recharge call timed out before the supplier gave a reference: it may never have arrived.
    await env.DB.prepare("UPDATE supplier_orders SET supplier_ref = NULL WHERE order_id = ?").bind(never.order.id).run();
    let cancelAnswer: Awaited<ReturnType<SupplierClient["cancel"]>> = { ok: true, value: { orderRef: "", status: "refused", supplierRef: null, reason: "in_progress" } };
    const scripted: ClientFactory = async (route, e) => ({
      ...(await defaultFactory(route, e)),
      status: async () => ({ ok: true, value: { status: "unknown", supplierRef: null } }),
      cancel: async (ref) => (cancelAnswer.ok ? { ok: true, value: { ...cancelAnswer.value, orderRef: ref } } : cancelAnswer),
    });
    const t0 = Date.now();
    const pollAt = (minutes: number) => pollSupplierOrders(env, new Date(t0 + minutes * 60_000), s.tenantId, scripted);
    const notConfirmed = async () => (await recordedOfType(s.tenantId, "alert")).filter((e) => (e.payload as { kind: string }).kind === "supplier_cancel_not_confirmed");
    const lastAsk = async (orderId: string) => (await api(`/orders/${orderId}/detail`, { token: s.adminKey })).body.waitingOnSuppliers[0].lastCancelAsk;

    // Never received: asked to cancel from 2 minutes on, refused at every poll. Not an alert for a blip…
    expect(await pollAt(1)).toMatchObject({ polled: 2, settled: 0 });
    expect(await pollAt(3)).toMatchObject({ settled: 0 });
    expect(await lastAsk(never.order.id)).toEqual({ supplierId: expect.any(String), at: new Date(t0 + 3 * 60_000).toISOString(), by: "poll", byName: null, answer: "refused", reason: "in_progress" });
    expect(await lastAsk(lost.order.id)).toBeNull(); // lost only after 30 minutes of `unknown`
    expect(await pollAt(11)).toMatchObject({ settled: 0 });
    expect(await notConfirmed()).toEqual([]);
    // …but once the poll has asked for 10 minutes without a confirmed cancel: the operator is told, once.
    expect(await pollAt(12.5)).toMatchObject({ settled: 0 });
    await expect.poll(async () => (await notConfirmed()).length).toBe(1);
    expect((await notConfirmed())[0]!.payload).toMatchObject({ orderId: never.order.id, why: "not_received", answer: "refused", answerDetail: "in_progress" });
    // The lost line: asked from 31 minutes on (30 minutes of `unknown` since the first poll), not answered.
    cancelAnswer = { ok: false, outcome: "timeout", detail: "TimeoutError" };
    for (const m of [14, 31, 35, 40]) expect(await pollAt(m)).toMatchObject({ settled: 0 });
    expect(await lastAsk(lost.order.id)).toMatchObject({ by: "poll", answer: "unanswered", reason: "timeout" });
    expect(await notConfirmed()).toHaveLength(1);
    expect(await pollAt(41.5)).toMatchObject({ settled: 0 });
    await expect.poll(async () => (await notConfirmed()).length).toBe(2);
    expect((await notConfirmed()).map((e) => e.payload)).toContainEqual(expect.objectContaining({ orderId: lost.order.id, why: "disowned", answer: "unanswered", answerDetail: "timeout" }));
    // Asked again at every poll after: never raised again for either line.
    for (const m of [43, 45]) expect(await pollAt(m)).toMatchObject({ settled: 0 });
    expect(await notConfirmed()).toHaveLength(2);
    expect(await orderStatus(lost.order.id)).toBe("paid");
    // The supplier confirms at last: both move on, and the alert said nothing that changed anything.
    cancelAnswer = { ok: true, value: { orderRef: "", status: "cancelled", supplierRef: null } };
    expect(await pollAt(47)).toMatchObject({ settled: 2 });
    for (const o of [lost, never]) expect(await orderStatus(o.order.id)).toBe("delivered");
    expect(await notConfirmed()).toHaveLength(2);
  });

  it("a disowned order the supplier answers a cancel for with \"already succeeded\" is delivered by it", async () => {
    const s = await rechargeShop();
    await sandbox(s.cheap, "profile", { delivery: "async", callbackDelayMs: null });
    const o = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    await expect.poll(() => pendingAt(o.order.id), { timeout: 5_000 }).toBe(1);
    const orderRef = `${o.order.id}:${s.productId}`;
    const scripted: ClientFactory = async (route, e) => ({
      ...(await defaultFactory(route, e)),
      status: async () => ({ ok: true, value: { status: "unknown", supplierRef: null } }),
      cancel: async () => ({ ok: true, value: { orderRef, status: "succeeded", supplierRef: "cheap-found", costCents: 2950 } }),
    });
    const t0 = Date.now();
    await pollSupplierOrders(env, new Date(t0 + 60_000), s.tenantId, scripted);
    expect(await pollSupplierOrders(env, new Date(t0 + 31 * 60_000), s.tenantId, scripted)).toMatchObject({ settled: 1 });
    expect(await orderStatus(o.order.id)).toBe("delivered");
    expect(await attempts(o.order.id)).toEqual([{ name: s.cheap, outcome: "accepted" }, { name: s.cheap, outcome: "ok" }]);
    expect((await recordedOfType(s.tenantId, "alert")).filter((e) => (e.payload as { kind: string }).kind === "supplier_disowned_order")).toEqual([]);
  });

  it("the supplier's failure callback for a cancel settling the line first: the order moves on once, and the operator's stop is still recorded", async () => {
    const s = await rechargeShop();
    await sandbox(s.cheap, "profile", { delivery: "async", callbackDelayMs: null });
    const o = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    await expect.poll(() => pendingAt(o.order.id), { timeout: 5_000 }).toBe(1);
    // The supplier withdraws the order and its failure callback reaches us before its answer to our cancel request.
    const racing: ClientFactory = async (route, e) => ({
      ...(await defaultFactory(route, e)),
      cancel: async (ref) => {
        const { callback } = await sandbox(s.cheap, "settle", { orderRef: ref, outcome: "failed", reason: "cancelled" });
        expect((await exports.default.fetch(callback.url, { method: callback.method, headers: callback.headers, body: callback.body })).status).toBe(200);
        return { ok: true, value: { orderRef: ref, status: "cancelled", supplierRef: null } };
      },
    });
    const { order, answers } = await stopWaitingForSupplier(env, s.tenantId, o.order.id, "供应商迟迟未处理", null, {}, racing, Date.now() + 11 * 60_000);
    expect(answers).toEqual([{ supplierId: expect.any(String), answer: "cancelled" }]);
    expect(order.status).toBe("delivered");
    expect(await attempts(o.order.id)).toEqual([{ name: s.cheap, outcome: "accepted" }, { name: s.cheap, outcome: "failed" }, { name: s.dear, outcome: "ok" }]);
    const stopped = async () => (await recordedOfType(s.tenantId, "alert")).filter((e) => (e.payload as { kind: string }).kind === "supplier_wait_stopped");
    await expect.poll(async () => (await stopped()).length).toBe(1);
    expect((await stopped())[0]!.payload).toMatchObject({ orderId: o.order.id, reason: "供应商迟迟未处理" });
  });

  it("不再等待 whose cancel the supplier's callback settles first answers where the order went, not 'paid' while that callback moves it on", async () => {
    const s = await rechargeShop();
    await sandbox(s.cheap, "profile", { delivery: "async", callbackDelayMs: null });
    const o = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    await expect.poll(() => pendingAt(o.order.id), { timeout: 5_000 }).toBe(1);
    // The next supplier takes a while: the callback's runner is still on it when the cancel's answer comes back.
    await sandbox(s.dear, "faults", { latencyMs: [600, 700], errorRate: 0, timeoutRate: 0 });
    let callbackDone: Promise<Response> | null = null;
    const racing: ClientFactory = async (route, e) => ({
      ...(await defaultFactory(route, e)),
      cancel: async (ref) => {
        const { callback } = await sandbox(s.cheap, "settle", { orderRef: ref, outcome: "failed", reason: "cancelled" });
        callbackDone = exports.default.fetch(callback.url, { method: callback.method, headers: callback.headers, body: callback.body });
        await new Promise((r) => setTimeout(r, 150));
        return { ok: true, value: { orderRef: ref, status: "cancelled", supplierRef: null } };
      },
    });
    const { order, answers } = await stopWaitingForSupplier(env, s.tenantId, o.order.id, "供应商迟迟未处理", null, {}, racing, Date.now() + 11 * 60_000);
    expect((await callbackDone!).status).toBe(200);
    expect(answers).toEqual([{ supplierId: expect.any(String), answer: "cancelled" }]);
    expect(order.status).toBe("delivered");
    expect(await attempts(o.order.id)).toEqual([{ name: s.cheap, outcome: "accepted" }, { name: s.cheap, outcome: "failed" }, { name: s.dear, outcome: "ok" }]);
  });

  it("a poll whose answer a failure callback beats: the callback moves the order on, the poll does not — the next supplier is asked once", async () => {
    const s = await rechargeShop();
    await sandbox(s.cheap, "profile", { delivery: "async", callbackDelayMs: null });
    const o = await buyAndPay(s.tenant.slug, s.productId, ["paid"]);
    await expect.poll(() => pendingAt(o.order.id), { timeout: 5_000 }).toBe(1);
    let delivered: Promise<unknown> = Promise.resolve();
    const racing: ClientFactory = async (route, e) => ({
      ...(await defaultFactory(route, e)),
      status: async (ref) => {
        const { callback } = await sandbox(s.cheap, "settle", { orderRef: ref, outcome: "failed", reason: "upstream_down" });
        // The callback arrives while the poll's answer is on its way: both settle the same line, both would route it.
        delivered = exports.default.fetch(callback.url, { method: callback.method, headers: callback.headers, body: callback.body });
        await new Promise((r) => setTimeout(r, 30));
        return { ok: true, value: { status: "failed", supplierRef: null } };
      },
    });
    await pollSupplierOrders(env, new Date(Date.now() + 61_000), s.tenantId, racing);
    expect((await (delivered as Promise<Response>)).status).toBe(200);
    await expect.poll(() => orderStatus(o.order.id)).toBe("delivered");
    expect(await attempts(o.order.id)).toEqual([{ name: s.cheap, outcome: "accepted" }, { name: s.cheap, outcome: "failed" }, { name: s.dear, outcome: "ok" }]);
  });

  it("a card-key product out of own stock buys the key upstream, stores it encrypted and delivers it once", async () => {
    const { adminKey, tenant } = await createTenant();
    const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "card_key", name: "视频月卡（上游）", priceCents: 1990, faceValueCents: 2500, validity: { kind: "relative", days: 30 }, scope: "视频 App" } });
    await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const name = `keys-${crypto.randomUUID().slice(0, 8)}`;
    await api("/suppliers", { method: "POST", token: adminKey, json: { name, baseUrl: `${inject("supplierUrl")}/${name}`, products: [{ productId: p.body.id, sku: "VIDEO-M1", costCents: 1500 }] } });
    const o = await shop(tenant.slug, "/orders", { method: "POST", idem: "upstream-key-1", json: { productId: p.body.id } });
    expect(o.status).toBe(201);
    expect((await pay(o.body.checkoutUrl)).body.orderStatus).toBe("delivered");
    const view = await shop(tenant.slug, `/orders/${o.body.id}`, { cookie: o.cookie });
    expect(view.body.vouchers[0].secret).toMatch(/^SUP-[0-9A-F]{16}$/);
    const key = await env.DB.prepare("SELECT status, secret_enc, order_id FROM card_keys WHERE tenant_id = ?").bind(tenant.id).first<{ status: string; secret_enc: string; order_id: string }>();
    expect(key).toMatchObject({ status: "delivered", order_id: o.body.id });
    expect(key!.secret_enc).not.toContain("SUP-");
  });
});
