import { env, exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { signBody } from "../../worker/domain/signature";
import { signRequest, type SupplierCredentials, type SupplierScheme } from "../../worker/domain/supplier-sign";
import { driveDeliveries } from "../../worker/services/delivery-jobs";
import { pollSupplierOrders } from "../../worker/services/supplier-callbacks";
import { api, createTenant, recordedOfType } from "./helpers";
import { pay, shop } from "./commerce-helpers";

const SECRET = "test-supplier-sandbox-secret";

/** A sandbox control call (admin endpoints are signed kaquan_v1 with the shared secret). */
async function sandbox(name: string, path: string, body: unknown) {
  const raw = JSON.stringify(body);
  const res = await fetch(`${inject("supplierUrl")}/${name}/admin/${path}`, { method: "POST", headers: { "x-supplier-signature": await signBody(SECRET, raw) }, body: raw });
  return { status: res.status, body: (await res.json()) as any };
}

type Up = { name: string; cost: number; creds?: SupplierCredentials; delivery?: "async" };
const creds = (scheme: SupplierScheme): SupplierCredentials => ({ scheme, appId: `app-${scheme}`, secret: `key-${scheme}-${crypto.randomUUID()}` });

/** A tenant selling a 29.80 recharge through the given sandbox suppliers (names made unique), each in its own scheme. */
async function setup(ups: Up[]) {
  const { adminKey, tenant } = await createTenant();
  const p = await api("/products", {
    method: "POST", token: adminKey,
    json: { kind: "direct_recharge", name: "话费直充", priceCents: 2980, faceValueCents: 3000, validity: { kind: "relative", days: 1 }, scope: "大陆手机号", stockTotal: 100 },
  });
  await api(`/products/${p.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
  const tag = crypto.randomUUID().slice(0, 8);
  const names: string[] = [];
  const ids: string[] = [];
  for (const u of ups) {
    const name = `${u.name}-${tag}`;
    names.push(name);
    // The sandbox supplier verifies its own scheme and key; the tenant registers the same credentials.
    expect((await sandbox(name, "profile", { credentials: u.creds ?? null, delivery: u.delivery ?? "sync", callbackDelayMs: null })).status).toBe(200);
    const c = u.creds;
    const s = await api("/suppliers", { method: "POST", token: adminKey, json: {
      name, baseUrl: `${inject("supplierUrl")}/${name}`, products: [{ productId: p.body.id, sku: "PHONE-30", costCents: u.cost }],
      ...(c ? { credentials: { scheme: c.scheme, appId: c.appId ?? undefined, secret: c.secret } } : {}),
    } });
    expect(s.status).toBe(200);
    ids.push(s.body.id);
  }
  return { adminKey, tenant, slug: tenant.slug as string, tenantId: tenant.id as string, productId: p.body.id as string, names, ids };
}

type S = Awaited<ReturnType<typeof setup>>;

async function orderView(s: S, id: string, cookie: string) {
  return (await shop(s.slug, `/orders/${id}`, { cookie })).body;
}

/** Buys and pays; waits until the order is delivered/refunded or pending at a supplier (asynchronous). */
async function buy(s: S) {
  const o = await shop(s.slug, "/orders", { method: "POST", idem: `rc-${crypto.randomUUID()}`, json: { productId: s.productId, rechargeAccount: "13800138000" } });
  expect(o.status).toBe(201);
  expect((await pay(o.body.checkoutUrl)).status).toBe(200);
  for (let i = 0; i < 200; i++) {
    const v = await orderView(s, o.body.id, o.cookie!);
    const pending = await env.DB.prepare("SELECT count(*) AS n FROM supplier_orders WHERE order_id = ? AND status = 'pending'").bind(o.body.id).first<{ n: number }>();
    if (["delivered", "refunded", "failed"].includes(v.order.status) || pending!.n > 0) return { id: o.body.id as string, cookie: o.cookie!, ref: `${o.body.id}:${s.productId}`, view: v };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("order never settled");
}

/** What the supplier said it charged for the order's successful delivery (reconciliation compares its statement with it). */
const charged = async (orderId: string) =>
  (await env.DB.prepare("SELECT charged_cents FROM supplier_attempts WHERE order_id = ? AND outcome = 'ok'").bind(orderId).first<{ charged_cents: number | null }>())?.charged_cents;

const attempts = (orderId: string) =>
  env.DB.prepare("SELECT s.name, a.outcome, a.detail FROM supplier_attempts a JOIN suppliers s ON s.id = a.supplier_id WHERE a.order_id = ? ORDER BY a.created_at, a.rowid")
    .bind(orderId).all<{ name: string; outcome: string; detail: string | null }>().then((r) => r.results);

/** How many times the supplier recharged this order reference (its completed orders). */
async function upstreamCount(name: string, orderRef: string) {
  const res = await fetch(`${inject("supplierUrl")}/${name}/admin/orders`, { headers: { "x-supplier-signature": await signBody(SECRET, "") } });
  return ((await res.json()) as { orders: { orderRef: string }[] }).orders.filter((o) => o.orderRef === orderRef).length;
}

/** Posts a callback built by the sandbox (url, headers, body) to the worker. */
async function deliver(cb: { url: string; method: string; headers: Record<string, string>; body: string }) {
  const res = await exports.default.fetch(cb.url, { method: cb.method, headers: cb.headers, body: cb.body });
  return { status: res.status, body: (await res.json()) as any };
}

async function settle(name: string, orderRef: string, outcome: "succeeded" | "failed" | "processing") {
  const r = await sandbox(name, "settle", { orderRef, outcome });
  expect(r.status).toBe(200);
  return r.body.callback as { url: string; method: string; headers: Record<string, string>; body: string };
}

describe("suppliers in their own signing schemes", { timeout: 60_000 }, () => {
  it("each scheme is accepted by the supplier that speaks it; a wrong key is refused; credentials are never returned", async () => {
    for (const scheme of ["sorted_md5", "sorted_hmac_sha256", "hmac_header"] as const) {
      const s = await setup([{ name: scheme.replace(/_/g, "-"), cost: 2900, creds: creds(scheme) }]);
      const o = await buy(s);
      expect(o.view.order.status, scheme).toBe("delivered");
      expect(await attempts(o.id)).toEqual([{ name: s.names[0], outcome: "ok", detail: null }]);
      const listed = (await api("/suppliers", { token: s.adminKey })).body.suppliers[0];
      expect(listed).toMatchObject({ scheme, appId: `app-${scheme}`, hasSecret: true, callbackUrl: `http://kaquan.test/api/v1/suppliers/callback/${s.ids[0]}` });
      expect(JSON.stringify(listed)).not.toContain("key-");
      const row = await env.DB.prepare("SELECT secret_enc FROM suppliers WHERE id = ?").bind(s.ids[0]).first<{ secret_enc: string }>();
      expect(row!.secret_enc).toMatch(/^v1\./);
      expect(row!.secret_enc).not.toContain("key-");
    }
    // The tenant holds another key than the supplier: the supplier refuses every call, the buyer is refunded.
    const s = await setup([{ name: "forged", cost: 2900, creds: creds("sorted_md5") }]);
    await api("/suppliers", { method: "POST", token: s.adminKey, json: {
      name: s.names[0], baseUrl: `${inject("supplierUrl")}/${s.names[0]}`, products: [], credentials: { scheme: "sorted_md5", appId: "app-sorted_md5", secret: "not-the-suppliers-key" },
    } });
    const o = await buy(s);
    expect(o.view.order.status).toBe("refunded");
    expect(await attempts(o.id)).toEqual([{ name: s.names[0], outcome: "error", detail: "http_401:bad_signature" }]);
  });

  it("supplier callbacks: forged, expired and replayed ones are refused; nothing changes", async () => {
    const c = creds("hmac_header");
    const s = await setup([{ name: "cbsig", cost: 2900, creds: c, delivery: "async" }]);
    const o = await buy(s);
    expect(o.view.order.status).toBe("paid");
    const url = `http://kaquan.test/api/v1/suppliers/callback/${s.ids[0]}`;
    const path = new URL(url).pathname;
    const params = { orderRef: o.ref, status: "succeeded", supplierRef: "x" };
    const post = (signed: { headers: Record<string, string>; body?: string }) => deliver({ url, method: "POST", headers: signed.headers, body: signed.body ?? "" });
    // Refusals are recorded once per minute: start early in one, so the repeats below fall in the same.
    if (Date.now() % 60_000 > 45_000) await new Promise((r) => setTimeout(r, 60_100 - (Date.now() % 60_000)));
    expect((await post(await signRequest({ ...c, secret: "forged-key-0000" }, "POST", path, params))).status).toBe(401);
    expect((await post(await signRequest(c, "POST", path, params, Math.floor(Date.now() / 1000) - 900))).body.error.code).toBe("signature_expired");
    // A valid body with a tampered field.
    const good = await signRequest(c, "POST", path, { ...params, status: "processing" });
    expect((await post({ ...good, body: good.body!.replace("processing", "succeeded") })).status).toBe(401);
    expect((await post(good)).body).toMatchObject({ received: true, applied: false, status: "pending", orderStatus: "paid" });
    const replay = await post(good);
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe("replayed");
    expect((await orderView(s, o.id, o.cookie)).order.status).toBe("paid");

    // The brand sees the refused ones as alerts (最近告警, e-mail/SMS, webhooks): supplier and reason, nothing of the
    // request (no key, signature or body). A repeat within the minute is the same record; replays are the supplier's
    // own signed retries and are not recorded; another brand (another supplier id) sees none of it.
    expect((await post(await signRequest({ ...c, secret: "forged-key-0000" }, "POST", path, params))).status).toBe(401);
    const other = await setup([{ name: "cbother", cost: 2900, creds: creds("hmac_header") }]);
    const refused = (tenantId: string) => recordedOfType(tenantId, "alert").then((a) => a.filter((e) => e.payload.kind === "supplier_callback_refused").map((e) => e.payload));
    expect((await refused(s.tenantId)).sort((a, b) => String(a.reason).localeCompare(String(b.reason)))).toEqual([
      { kind: "supplier_callback_refused", supplierId: s.ids[0], reason: "signature_expired" },
      { kind: "supplier_callback_refused", supplierId: s.ids[0], reason: "signature_mismatch" },
    ]);
    expect(JSON.stringify(await refused(s.tenantId))).not.toMatch(/forged-key|key-hmac|supplierRef/);
    expect(await refused(other.tenantId)).toEqual([]);
    // Signed by the supplier but naming no order of this brand there: refused as unknown, and recorded too.
    const unknown = await signRequest(c, "POST", path, { ...params, orderRef: "ord_nope:prd_nope" });
    expect((await post(unknown)).status).toBe(404);
    expect((await refused(s.tenantId)).map((p) => p.reason)).toContain("unknown_order");
    // A post naming no supplier records nothing for anyone.
    expect((await deliver({ url: "http://kaquan.test/api/v1/suppliers/callback/sup_nope", method: "POST", headers: good.headers, body: good.body! })).status).toBe(404);
  });
});

describe("asynchronous delivery", { timeout: 60_000 }, () => {
  it("out of order and repeated callbacks: success delivers once; a late processing, a repeat and a failure after it change nothing", async () => {
    const s = await setup([{ name: "async", cost: 2900, creds: creds("sorted_hmac_sha256"), delivery: "async" }]);
    const o = await buy(s);
    expect(o.view.order.status).toBe("paid");
    expect(o.view.vouchers).toEqual([]);
    const late = await settle(s.names[0]!, o.ref, "processing"); // built now, delivered after the success
    const success = await settle(s.names[0]!, o.ref, "succeeded");
    expect((await deliver(success)).body).toMatchObject({ applied: true, status: "succeeded", orderStatus: "delivered" });
    expect((await deliver(late)).body).toMatchObject({ applied: false, status: "succeeded", orderStatus: "delivered" });
    // The same outcome signed afresh (a supplier retrying) and a contradicting failure: acknowledged, ignored.
    expect((await deliver(await settle(s.names[0]!, o.ref, "succeeded"))).body).toMatchObject({ applied: false, orderStatus: "delivered" });
    const failAfter = (await sandbox(s.names[0]!, "settle", { orderRef: o.ref, outcome: "failed" })).body.callback;
    expect((await deliver(failAfter)).body).toMatchObject({ applied: false, status: "succeeded", orderStatus: "delivered" });
    // …but the operator is told, once (a repeat of it raises nothing more).
    const told = async () => (await recordedOfType(s.tenantId, "alert")).filter((e) => (e.payload as { kind: string }).kind === "supplier_failure_after_success");
    await expect.poll(async () => (await told()).length).toBe(1);
    expect((await told())[0]!.payload).toMatchObject({ orderId: o.id, supplierId: s.ids[0] });
    expect((await deliver((await sandbox(s.names[0]!, "settle", { orderRef: o.ref, outcome: "failed" })).body.callback)).body).toMatchObject({ applied: false });
    expect(await told()).toHaveLength(1);
    const v = await orderView(s, o.id, o.cookie);
    expect(v.order.status).toBe("delivered");
    expect(v.vouchers).toHaveLength(1);
    expect(v.vouchers[0].meta.supplierId).toBe(s.ids[0]);
    expect((await attempts(o.id)).map((a) => [a.outcome, a.detail])).toEqual([["accepted", null], ["ok", "callback"]]);
    // The success callback (a signed form: every value a string) says what the supplier charged: its list price.
    expect(await charged(o.id)).toBe(2970);
    const settled = await recordedOfType(s.tenantId, "supplier_order_settled");
    expect(settled.map((e) => (e.payload as { status: string; via: string })).map((p) => [p.status, p.via])).toEqual([["succeeded", "callback"]]);
  });

  it("a failure callback routes the order to the next supplier; with none left the buyer is refunded", async () => {
    const s = await setup([{ name: "async-a", cost: 2900, creds: creds("sorted_md5"), delivery: "async" }, { name: "sync-b", cost: 2950 }]);
    const o = await buy(s);
    expect(o.view.order.status).toBe("paid");
    expect((await deliver(await settle(s.names[0]!, o.ref, "failed"))).body).toMatchObject({ applied: true, status: "failed", orderStatus: "delivered" });
    expect((await attempts(o.id)).map((a) => [a.name, a.outcome])).toEqual([[s.names[0], "accepted"], [s.names[0], "failed"], [s.names[1], "ok"]]);

    const lone = await setup([{ name: "async-only", cost: 2900, delivery: "async" }]);
    const o2 = await buy(lone);
    expect((await deliver(await settle(lone.names[0]!, o2.ref, "failed"))).body).toMatchObject({ applied: true, orderStatus: "refunded" });
  });

  it("a console refund waits for a supplier still working on the recharge: the buyer never gets both the money and the recharge", async () => {
    const s = await setup([{ name: "pending-refund", cost: 2900, delivery: "async" }]);
    const o = await buy(s);
    expect(o.view.order.status).toBe("paid");
    for (const json of [{ units: 0, reason: "买家催单" }, { units: 0, amountCents: 100, reason: "补偿" }]) {
      const r = await api(`/orders/${o.id}/refunds`, { method: "POST", token: s.adminKey, json });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("supplier_pending");
    }
    // The whole-order refund of the API (POST /orders/{id}/refund) waits the same way, and leaves the order paid.
    const whole = await api(`/orders/${o.id}/refund`, { method: "POST", token: s.adminKey, json: { reason: "买家不想等了" } });
    expect([whole.status, whole.body.error?.code]).toEqual([409, "supplier_pending"]);
    expect((await api(`/orders/${o.id}/detail`, { token: s.adminKey })).body.order.status).toBe("paid");
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM payments WHERE order_id = ? AND kind = 'refund'").bind(o.id).first<{ n: number }>())!.n).toBe(0);
    // The supplier's success delivers the order; a refund after that is the operator's after-sale decision.
    expect((await deliver(await settle(s.names[0]!, o.ref, "succeeded"))).body).toMatchObject({ applied: true, orderStatus: "delivered" });
    expect((await api(`/orders/${o.id}/refunds`, { method: "POST", token: s.adminKey, json: { units: 0, amountCents: 100, reason: "补偿" } })).status).toBe(201);
  });

  it("the operator may stop waiting for a supplier that keeps a recharge processing: after 10 minutes the line fails, the order goes to the next supplier or is refunded", async () => {
    const s = await setup([{ name: "stuck-a", cost: 2900, delivery: "async" }, { name: "next-b", cost: 2950 }]);
    const o = await buy(s);
    expect(o.view.order.status).toBe("paid");
    const stop = (id: string, token = s.adminKey, reason: string = "供应商确认无法完成") => api(`/orders/${id}/stop-waiting`, { method: "POST", token, json: { reason } });
    const placedAgo = (id: string, minutes: number) =>
      env.DB.prepare(`UPDATE supplier_orders SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${minutes} minutes') WHERE order_id = ?`).bind(id).run();
    const detail = async (id: string) => (await api(`/orders/${id}/detail`, { token: s.adminKey })).body;
    expect((await detail(o.id)).waitingOnSuppliers).toMatchObject([{ supplierId: s.ids[0], supplierName: s.names[0], canStopWaiting: false }]);
    const early = await stop(o.id);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("supplier_recently_placed");

    await placedAgo(o.id, 11);
    expect((await detail(o.id)).waitingOnSuppliers).toMatchObject([{ supplierId: s.ids[0], canStopWaiting: true }]);
    // Not an operator's call, not without a reason, not another brand's order: nothing changes.
    const operator = (await api("/keys", { method: "POST", token: s.adminKey, json: { name: "ops", scopes: ["operator"] } })).body.secret as string;
    expect((await stop(o.id, operator)).status).toBe(403);
    const blank = await stop(o.id, s.adminKey, " ");
    expect(blank.status).toBe(400);
    expect(blank.body.error.issues[0].path).toBe("json.reason");
    expect((await stop(o.id, (await createTenant()).adminKey)).status).toBe(404);
    expect((await detail(o.id)).order.status).toBe("paid");

    const done = await stop(o.id);
    expect(done.status).toBe(200);
    expect(done.body.status).toBe("delivered");
    expect((await attempts(o.id)).map((a) => [a.name, a.outcome, a.detail])).toEqual([
      [s.names[0], "accepted", null], [s.names[0], "failed", "operator:cancelled"], [s.names[1], "ok", null],
    ]);
    expect((await detail(o.id)).waitingOnSuppliers).toEqual([]);
    expect((await detail(o.id)).deliveries.map((a: { supplierName: string }) => a.supplierName)).toEqual([s.names[0], s.names[0], s.names[1]]);
    const alerts = (await recordedOfType(s.tenantId, "alert")).map((e) => e.payload as Record<string, unknown>);
    expect(alerts.filter((a) => a.kind === "supplier_wait_stopped")).toMatchObject([{ orderId: o.id, supplierId: s.ids[0], reason: "供应商确认无法完成" }]);
    const audit = (await api("/audit-log", { token: s.adminKey })).body.entries as { route: string; status: number }[];
    expect(audit.filter((e) => e.route.endsWith("/stop-waiting")).map((e) => e.status)).toEqual([200]);
    expect((await stop(o.id)).body.error.code).toBe("not_waiting_on_supplier");
    // The line moved on only because the first supplier withdrew it (撤单): it can no longer recharge it.
    expect(done.body.supplierAnswers).toEqual([{ supplierId: s.ids[0], answer: "cancelled" }]);
    expect((await sandbox(s.names[0]!, "settle", { orderRef: o.ref, outcome: "succeeded" })).status).toBe(404);
    expect(await upstreamCount(s.names[0]!, o.ref)).toBe(0);
    expect((await orderView(s, o.id, o.cookie)).vouchers).toHaveLength(1);

    // With no other supplier the buyer is refunded.
    const lone = await setup([{ name: "stuck-only", cost: 2900, delivery: "async" }]);
    const o2 = await buy(lone);
    await placedAgo(o2.id, 30);
    const refunded = await api(`/orders/${o2.id}/stop-waiting`, { method: "POST", token: lone.adminKey, json: { reason: "上游超时未处理" } });
    expect(refunded.status).toBe(200);
    expect(refunded.body.status).toBe("refunded");
  });

  it("the cron's status poll completes an order whose callback never came", async () => {
    const s = await setup([{ name: "nocb", cost: 2900, creds: creds("hmac_header"), delivery: "async" }]);
    const o = await buy(s);
    expect(await pollSupplierOrders(env, new Date(Date.now() + 120_000), s.tenantId)).toEqual({ polled: 1, settled: 0 }); // still processing upstream
    await settle(s.names[0]!, o.ref, "succeeded"); // settled upstream; the callback is lost
    expect(await pollSupplierOrders(env, new Date(Date.now() + 240_000), s.tenantId)).toEqual({ polled: 1, settled: 1 });
    const v = await orderView(s, o.id, o.cookie);
    expect(v.order.status).toBe("delivered");
    expect((await attempts(o.id)).map((a) => [a.outcome, a.detail])).toEqual([["accepted", null], ["ok", "poll"]]);
    expect(await charged(o.id)).toBe(2970); // the status answer says what it charged
    expect(await pollSupplierOrders(env, new Date(Date.now() + 360_000), s.tenantId)).toEqual({ polled: 0, settled: 0 });
  });

  it("the delivery cron does not refund an order a supplier is still working on when its retries run out", async () => {
    const s = await setup([{ name: "long", cost: 2900, delivery: "async" }]);
    const o = await buy(s);
    // Due before anything other tests left due in the shared database.
    const due = () => env.DB.prepare("UPDATE orders SET next_delivery_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(o.id).run();
    await env.DB.prepare("UPDATE orders SET delivery_attempts = 20 WHERE id = ?").bind(o.id).run();
    await due();
    await driveDeliveries(env);
    expect((await orderView(s, o.id, o.cookie)).order.status).toBe("paid");
    // Once the supplier settles it, the next run delivers.
    await settle(s.names[0]!, o.ref, "succeeded");
    await due();
    await driveDeliveries(env);
    expect((await orderView(s, o.id, o.cookie)).order.status).toBe("delivered");
  });
});

describe("不再等待 asks the supplier to cancel (撤单) first", { timeout: 60_000 }, () => {
  const stop = (s: S, id: string) => api(`/orders/${id}/stop-waiting`, { method: "POST", token: s.adminKey, json: { reason: "供应商迟迟未处理" } });
  const placedAgo = (id: string, minutes: number) =>
    env.DB.prepare(`UPDATE supplier_orders SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${minutes} minutes') WHERE order_id = ?`).bind(id).run();
  const orderStatus = async (s: S, id: string) => (await api(`/orders/${id}/detail`, { token: s.adminKey })).body.order.status as string;
  const alertsOf = async (s: S, kind: string) => (await recordedOfType(s.tenantId, "alert")).filter((e) => (e.payload as { kind: string }).kind === kind);
  /** An order waiting 11 minutes at an asynchronous supplier, with a synchronous one next in line. */
  async function waiting() {
    const s = await setup([{ name: "slow-a", cost: 2900, creds: creds("hmac_header"), delivery: "async" }, { name: "next-b", cost: 2950 }]);
    const o = await buy(s);
    expect(o.view.order.status).toBe("paid");
    await placedAgo(o.id, 11);
    return { s, o };
  }

  /** The admin key's id and name (the owner key createTenant made). */
  const ownerKey = async (s: S) => ((await api("/keys", { token: s.adminKey })).body.keys as { id: string; name: string }[])[0]!;
  const waitingLines = async (s: S, id: string) => (await api(`/orders/${id}/detail`, { token: s.adminKey })).body.waitingOnSuppliers as { lastCancelAsk: unknown }[];
  const stopAudits = async (s: S) => ((await api("/audit-log", { token: s.adminKey })).body.entries as { route: string; status: number; actor: { apiKeyId: string }; after: any }[])
    .filter((e) => e.route.endsWith("/stop-waiting"));

  it("a supplier mid-recharge cannot cancel: 409, nothing changes; once it has recharged, 不再等待 delivers it from that supplier, once", async () => {
    const { s, o } = await waiting();
    expect((await waitingLines(s, o.id))[0]!.lastCancelAsk).toBeNull();
    expect((await sandbox(s.names[0]!, "start", { orderRef: o.ref })).status).toBe(200);
    const refused = await stop(s, o.id);
    expect([refused.status, refused.body.error.code]).toEqual([409, "supplier_cannot_cancel"]);
    // The ask and the supplier's answer are kept on the line, for every operator and after a reload, and answered.
    const key = await ownerKey(s);
    const kept = { supplierId: s.ids[0], at: expect.any(String), by: key.id, byName: key.name, answer: "refused", reason: "in_progress" };
    expect(refused.body.error.cancelAsks).toEqual([kept]);
    expect((await waitingLines(s, o.id))[0]!.lastCancelAsk).toEqual(kept);
    // The audit log keeps who asked, though nothing changed here: the supplier was asked.
    expect(await stopAudits(s)).toMatchObject([{ status: 409, actor: { apiKeyId: key.id }, after: { error: { code: "supplier_cannot_cancel", cancelAsks: [kept] } } }]);
    expect(await orderStatus(s, o.id)).toBe("paid");
    expect((await attempts(o.id)).map((a) => a.outcome)).toEqual(["accepted"]);
    expect(await upstreamCount(s.names[1]!, o.ref)).toBe(0);
    expect(await alertsOf(s, "supplier_wait_stopped")).toEqual([]);
    // The supplier finishes it (its callback is lost); asked again, it answers "already succeeded": delivered by it.
    await settle(s.names[0]!, o.ref, "succeeded");
    const again = await stop(s, o.id);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "delivered", supplierAnswers: [{ supplierId: s.ids[0], answer: "succeeded" }] });
    expect((await stopAudits(s)).map((e) => e.status)).toEqual([200, 409]);
    // Refusals that asked nobody (nothing left to wait for) are not audited.
    expect((await stop(s, o.id)).body.error.code).toBe("not_waiting_on_supplier");
    expect((await stopAudits(s)).map((e) => e.status)).toEqual([200, 409]);
    expect(await attempts(o.id)).toEqual([{ name: s.names[0], outcome: "accepted", detail: null }, { name: s.names[0], outcome: "ok", detail: "operator" }]);
    expect(await charged(o.id)).toBe(2970);
    const v = await orderView(s, o.id, o.cookie);
    expect(v.vouchers.map((x: { meta: { supplierId: string } }) => x.meta.supplierId)).toEqual([s.ids[0]]);
    expect([await upstreamCount(s.names[0]!, o.ref), await upstreamCount(s.names[1]!, o.ref)]).toEqual([1, 0]);
  });

  it("a supplier that will not cancel: the operator's attested offline confirmation fails the line once (alert says so), the order goes to the next supplier; bad input changes nothing", async () => {
    const { s, o } = await waiting();
    expect((await sandbox(s.names[0]!, "start", { orderRef: o.ref })).status).toBe(200);
    const bad = await api(`/orders/${o.id}/stop-waiting`, { method: "POST", token: s.adminKey, json: { reason: "供应商电话确认撤单", supplierConfirmedCancel: "yes" } });
    expect([bad.status, bad.body.error.code]).toEqual([400, "validation_failed"]);
    expect(await orderStatus(s, o.id)).toBe("paid");
    const confirm = () => api(`/orders/${o.id}/stop-waiting`, { method: "POST", token: s.adminKey, json: { reason: "供应商电话确认撤单", supplierConfirmedCancel: true } });
    const [a, b] = await Promise.all([confirm(), confirm()]);
    const ok = [a, b].filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of [a, b]) if (r.status !== 200) expect(r.status).toBe(409);
    expect(ok[0]!.body.supplierAnswers).toEqual([{ supplierId: s.ids[0], answer: "confirmed_offline" }]);
    expect(await orderStatus(s, o.id)).toBe("delivered");
    expect(await attempts(o.id)).toEqual([
      { name: s.names[0], outcome: "accepted", detail: null }, { name: s.names[0], outcome: "failed", detail: "operator:operator_confirmed_cancel" }, { name: s.names[1], outcome: "ok", detail: null },
    ]);
    expect(await upstreamCount(s.names[1]!, o.ref)).toBe(1);
    const alerts = await alertsOf(s, "supplier_wait_stopped");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.payload).toMatchObject({ confirmedOffline: true, supplierAnswer: "refused", reason: "供应商电话确认撤单" });
  });

  it("a cancel the supplier does not answer changes nothing (409); asked again, a cancel that went through upstream is confirmed and applied once", async () => {
    const { s, o } = await waiting();
    await sandbox(s.names[0]!, "faults", { errorRate: 1 });
    const failed = await stop(s, o.id);
    expect([failed.status, failed.body.error.code]).toEqual([409, "supplier_cancel_unanswered"]);
    expect((await waitingLines(s, o.id))[0]!.lastCancelAsk).toMatchObject({ answer: "unanswered", reason: "error", by: (await ownerKey(s)).id });
    // It hangs past our timeout, but the cancel takes effect upstream: we do not know that yet, so nothing moves.
    await sandbox(s.names[0]!, "faults", { errorRate: 0, timeoutRate: 1, hangCompletesRate: 1, hangMs: 2_600 });
    const hung = await stop(s, o.id);
    expect([hung.status, hung.body.error.code]).toEqual([409, "supplier_cancel_unanswered"]);
    expect(hung.body.error.cancelAsks).toMatchObject([{ answer: "unanswered", reason: "timeout" }]);
    expect((await stopAudits(s)).map((e) => [e.status, e.after.error.code])).toEqual([[409, "supplier_cancel_unanswered"], [409, "supplier_cancel_unanswered"]]);
    expect(await orderStatus(s, o.id)).toBe("paid");
    expect((await attempts(o.id)).map((a) => a.outcome)).toEqual(["accepted"]);
    await sandbox(s.names[0]!, "faults", { timeoutRate: 0 });
    const done = await stop(s, o.id);
    expect(done.body).toMatchObject({ status: "delivered", supplierAnswers: [{ supplierId: s.ids[0], answer: "cancelled" }] });
    expect(await attempts(o.id)).toEqual([
      { name: s.names[0], outcome: "accepted", detail: null }, { name: s.names[0], outcome: "failed", detail: "operator:cancelled" }, { name: s.names[1], outcome: "ok", detail: null },
    ]);
    expect([await upstreamCount(s.names[0]!, o.ref), await upstreamCount(s.names[1]!, o.ref)]).toEqual([0, 1]);
    expect(await alertsOf(s, "supplier_wait_stopped")).toHaveLength(1);
  });

  it("two operators pressing at once: one cancel, one line at the next supplier, one alert", async () => {
    const { s, o } = await waiting();
    const both = await Promise.all([stop(s, o.id), stop(s, o.id)]);
    // Each is answered with the order moved on (or on its way: the other request is delivering it), or told there
    // is nothing left to wait for; never with a failure. Only one of them drives the delivery on.
    expect(both.some((r) => r.status === 200)).toBe(true);
    for (const r of both) expect(r.status === 200 ? r.body.status : r.body.error.code).toMatch(/^(delivered|paid|not_waiting_on_supplier)$/);
    await expect.poll(() => orderStatus(s, o.id)).toBe("delivered");
    expect(await attempts(o.id)).toEqual([
      { name: s.names[0], outcome: "accepted", detail: null }, { name: s.names[0], outcome: "failed", detail: "operator:cancelled" }, { name: s.names[1], outcome: "ok", detail: null },
    ]);
    expect([await upstreamCount(s.names[0]!, o.ref), await upstreamCount(s.names[1]!, o.ref)]).toEqual([0, 1]);
    expect((await orderView(s, o.id, o.cookie)).vouchers).toHaveLength(1);
    await expect.poll(async () => (await alertsOf(s, "supplier_wait_stopped")).length).toBe(1);
  });

  it("a success callback racing 不再等待: the recharge the supplier made is delivered once, by it; the next supplier is never asked", async () => {
    const { s, o } = await waiting();
    const success = await settle(s.names[0]!, o.ref, "succeeded");
    const [cb, stopped] = await Promise.all([deliver(success), stop(s, o.id)]);
    expect(cb.status).toBe(200);
    expect([200, 409]).toContain(stopped.status);
    if (stopped.status === 200) expect(stopped.body).toMatchObject({ status: "delivered" });
    else expect(stopped.body.error.code).toBe("not_waiting_on_supplier");
    expect(await orderStatus(s, o.id)).toBe("delivered");
    expect((await attempts(o.id)).map((a) => [a.name, a.outcome])).toEqual([[s.names[0], "accepted"], [s.names[0], "ok"]]);
    expect(await upstreamCount(s.names[1]!, o.ref)).toBe(0);
    expect((await orderView(s, o.id, o.cookie)).vouchers).toHaveLength(1);
    expect(await alertsOf(s, "supplier_success_after_failure")).toEqual([]);
    expect(await alertsOf(s, "supplier_wait_stopped")).toEqual([]);
  });
});

describe("live cost, stock and margin", { timeout: 60_000 }, () => {
  it("a price sync reorders routing; out of stock is skipped; above the sale price is refused unless allowed", async () => {
    const s = await setup([{ name: "first", cost: 2900, creds: creds("sorted_md5") }, { name: "second", cost: 2950, creds: creds("hmac_header") }]);
    expect((await buy(s).then((o) => attempts(o.id))).map((a) => a.name)).toEqual([s.names[0]]);

    // Upstream the first becomes dearer than the second: after a sync the second is tried first.
    await sandbox(s.names[0]!, "profile", { prices: { "PHONE-30": 2960 } });
    await sandbox(s.names[1]!, "profile", { prices: { "PHONE-30": 2940 } });
    expect((await api("/suppliers/sync", { method: "POST", token: s.adminKey })).body).toEqual({ suppliers: 2, updated: 2, belowCost: 0, failed: 0 });
    expect((await buy(s).then((o) => attempts(o.id))).map((a) => a.name)).toEqual([s.names[1]]);

    // The second runs out of stock: not asked at all.
    await sandbox(s.names[1]!, "profile", { stock: { "PHONE-30": 0 } });
    await api("/suppliers/sync", { method: "POST", token: s.adminKey });
    expect((await buy(s).then((o) => attempts(o.id))).map((a) => a.name)).toEqual([s.names[0]]);

    // The first's cost rises above the 29.80 sale price: refused, recorded; the order is refunded.
    await sandbox(s.names[0]!, "profile", { prices: { "PHONE-30": 3050 } });
    expect((await api("/suppliers/sync", { method: "POST", token: s.adminKey })).body).toMatchObject({ belowCost: 1 });
    const refused = await buy(s);
    expect(refused.view.order.status).toBe("refunded");
    expect(await attempts(refused.id)).toEqual([]);
    const below = (await recordedOfType(s.tenantId, "supplier_below_cost")).map((e) => e.payload as Record<string, unknown>);
    expect(below).toEqual(expect.arrayContaining([
      expect.objectContaining({ supplierId: s.ids[0], costCents: 3050, priceCents: 2980, source: "sync" }),
      expect.objectContaining({ supplierId: s.ids[0], source: "routing", orderId: refused.id }),
    ]));

    // The operator's explicit choice: selling below cost is allowed for this product.
    expect((await api(`/products/${s.productId}/margin-policy`, { method: "PUT", token: s.adminKey, json: { allowBelowCost: true } })).body).toEqual({ productId: s.productId, allowBelowCost: true });
    expect((await buy(s)).view.order.status).toBe("delivered");
    expect((await api(`/products/${s.productId}/margin-policy`, { method: "PUT", token: s.adminKey, json: { allowBelowCost: "yes" } })).status).toBe(400);

    const health = (await api("/suppliers/health", { token: s.adminKey })).body;
    const first = health.suppliers.find((x: any) => x.id === s.ids[0]);
    expect(first).toMatchObject({ attempts: 3, succeeded: 3, failed: 0, successRate: 1, pending: 0 });
    expect(first.p50Ms).toBeGreaterThanOrEqual(0);
    expect(first.products[0]).toMatchObject({ sku: "PHONE-30", liveCostCents: 3050, priceCents: 2980, allowBelowCost: true, belowCost: true });
    expect(health.suppliers.find((x: any) => x.id === s.ids[1]).products[0]).toMatchObject({ liveStock: 0 });
  });

  it("health counts failures with their detail and in-flight asynchronous orders", async () => {
    const s = await setup([{ name: "flaky", cost: 2900 }, { name: "slow", cost: 2950, delivery: "async" }]);
    await sandbox(s.names[0]!, "faults", { errorRate: 1 });
    const o = await buy(s);
    expect(o.view.order.status).toBe("paid");
    const health = (await api("/suppliers/health?hours=1", { token: s.adminKey })).body;
    const [flaky, slow] = s.ids.map((id) => health.suppliers.find((x: any) => x.id === id));
    expect(flaky).toMatchObject({ attempts: 1, succeeded: 0, failed: 1, successRate: 0, lastFailures: [{ orderId: o.id, outcome: "error", detail: "http_502:internal" }] });
    expect(slow).toMatchObject({ attempts: 0, successRate: null, pending: 1 });
    expect((await api("/suppliers/health", { token: "kq_bad" })).status).toBe(401);
  });
});
