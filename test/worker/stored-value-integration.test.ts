import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getPaymentById } from "../../worker/db/payments";
import { getOrderRow } from "../../worker/db/orders";
import { SANDBOX_CALLBACK_PATH, SANDBOX_SIGNATURE_HEADER, sandboxPaidCallback } from "../../worker/payments/sandbox";
import { deliverOrder } from "../../worker/services/fulfilment";
import { checkoutPayer, expireStoredValueBonuses } from "../../worker/services/stored-value";
import { draftOrder, placeStmts, requestHashOf, type CreateOrderParams } from "../../worker/services/orders";
import { expireUnpaidOrders } from "../../worker/services/order-expiry";
import { getProductRow } from "../../worker/db/products";
import { MAX_ORDER_QUANTITY } from "../../schema/orders";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, countRows, insertMember, PLATFORM, recordedOfType } from "./helpers";

/** A shop (card-key product at ¥19.90 with `keys` keys), the 充100送50 plan, a member with a session, a store and a redeemer key. */
async function walletShop(keys = 10) {
  const s = await shopWithKeys(keys);
  const plan = await api("/cards/plans", { method: "POST", token: s.adminKey, json: { name: "充100送50", payCents: 10000, bonusCents: 5000 } });
  expect(plan.status).toBe(201);
  const g = await shop(s.slug, "/guest", { method: "POST" });
  const memberId = await insertMember(s.tenant.id, g.body.buyer.id);
  const redeemer = await api(`/platform/tenants/${s.tenant.id}/keys`, { method: "POST", token: PLATFORM, json: { name: "pos", scopes: ["redeemer"] } });
  const store = await api("/stores", { method: "POST", token: s.adminKey, json: { name: "南京西路店", address: "上海" } });
  return { ...s, tenantId: s.tenant.id as string, planId: plan.body.id as string, cookie: g.cookie!, memberId, redeemerKey: redeemer.body.secret as string, storeId: store.body.id as string };
}

type W = Awaited<ReturnType<typeof walletShop>>;
const wallet = async (w: W) => (await shop(w.slug, "/member/wallet", { cookie: w.cookie })).body;

async function load(w: W, idem = `load-${crypto.randomUUID()}`) {
  const bought = await shop(w.slug, `/member/wallet/plans/${w.planId}/buy`, { method: "POST", cookie: w.cookie, idem });
  expect(bought.status).toBe(201);
  expect(bought.body.amountCents).toBe(10000);
  return bought.body as { orderId: string; checkoutUrl: string };
}

const callback = (body: string, signature: string) =>
  exports.default.fetch(`http://kaquan.test${SANDBOX_CALLBACK_PATH}`, { method: "POST", headers: { "content-type": "application/json", [SANDBOX_SIGNATURE_HEADER]: signature }, body });

describe("stored-value load", () => {
  it("credits principal + bonus exactly once per paid order, also when the callback is replayed", async () => {
    const w = await walletShop();
    const { orderId, checkoutUrl } = await load(w);
    const payment = (await getPaymentById(env.DB, checkoutUrl.split("/").pop()!))!;
    const { body, signature } = await sandboxPaidCallback(env, payment.id);
    const acks = await Promise.all([callback(body, signature), callback(body, signature), callback(body, signature)]);
    expect(acks.every((r) => r.ok)).toBe(true);
    await deliverOrder(env, (await getOrderRow(env.DB, w.tenantId, orderId))!); // a delivery rerun changes nothing
    const wl = await wallet(w);
    expect(wl.balance).toEqual({ principalCents: 10000, bonusCents: 5000, balanceCents: 15000 });
    expect(wl.movements.filter((m: { kind: string }) => m.kind === "loaded")).toHaveLength(1);
    expect((await getOrderRow(env.DB, w.tenantId, orderId))!.status).toBe("delivered");
    const events = await recordedOfType(w.tenantId, "stored_value_changed");
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ memberId: w.memberId, kind: "loaded", amountCents: 15000, bonusCents: 5000, balanceCents: 15000, sourceKind: "order", sourceId: orderId });
    expect(events[0]!.payload.accountId).toMatch(/^sva_/);
    // A guest who is not a member cannot buy a plan.
    const guest = await shop(w.slug, "/guest", { method: "POST" });
    expect((await shop(w.slug, `/member/wallet/plans/${w.planId}/buy`, { method: "POST", cookie: guest.cookie, idem: "guest-load-1" })).body.error.code).toBe("not_a_member");
  });

  it("its order says what was bought and what went into the card; its after-sale problems are a top-up's", async () => {
    const w = await walletShop();
    const { orderId, checkoutUrl } = await load(w);
    // Before payment: the name, and nothing credited yet.
    const open = await shop(w.slug, `/orders/${orderId}`, { cookie: w.cookie });
    expect(open.body).toMatchObject({ productName: expect.stringContaining("充100送50"), storedValue: null, vouchers: [] });
    const payment = (await getPaymentById(env.DB, checkoutUrl.split("/").pop()!))!;
    const { body, signature } = await sandboxPaidCallback(env, payment.id);
    expect((await callback(body, signature)).ok).toBe(true);
    const paid = await shop(w.slug, `/orders/${orderId}`, { cookie: w.cookie });
    expect(paid.body).toMatchObject({ order: { status: "delivered", source: "stored_value" }, productName: expect.stringContaining("充100送50"), storedValue: { principalCents: 10000, bonusCents: 5000 } });
    // Not a coupon that does not work: money that did not arrive, or something else.
    const ticket = (reason: string) => shop(w.slug, `/orders/${orderId}/tickets`, { method: "POST", cookie: w.cookie, json: { reason, body: "余额没有变化" } });
    const wrong = await ticket("key_invalid");
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe("ticket_reason_not_applicable");
    expect((await ticket("not_received")).status).toBe(201);
    // Any other order names no top-up.
    const other = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: `other-${orderId}`, json: { productId: w.productId } });
    expect((await shop(w.slug, `/orders/${other.body.order?.id ?? other.body.orderId}`, { cookie: w.cookie })).body).not.toHaveProperty("storedValue");
  });
});

describe("bonus validity", () => {
  it("a plan's bonus expires once after its days (cron sweep), principal untouched", async () => {
    const w = await walletShop();
    const plan = await api("/cards/plans", { method: "POST", token: w.adminKey, json: { name: "充50送10", payCents: 5000, bonusCents: 1000, bonusValidDays: 30 } });
    expect(plan.body.bonusValidDays).toBe(30);
    const bought = await shop(w.slug, `/member/wallet/plans/${plan.body.id}/buy`, { method: "POST", cookie: w.cookie, idem: "bonus-load-1" });
    await pay(bought.body.checkoutUrl);
    const wl = await wallet(w);
    expect(wl.balance).toEqual({ principalCents: 5000, bonusCents: 1000, balanceCents: 6000 });
    expect(Date.parse(wl.bonusExpiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    await expireStoredValueBonuses(env);
    expect((await wallet(w)).balance.bonusCents).toBe(1000);
    const later = new Date(Date.now() + 31 * 86_400_000).toISOString();
    const [a, b] = await Promise.all([expireStoredValueBonuses(env, later), expireStoredValueBonuses(env, later)]);
    expect(a + b).toBeGreaterThanOrEqual(1);
    const after = await wallet(w);
    expect(after.balance).toEqual({ principalCents: 5000, bonusCents: 0, balanceCents: 5000 });
    expect(after.bonusExpiresAt).toBeNull();
    expect(after.movements.filter((m: { kind: string }) => m.kind === "expired")).toHaveLength(1);
    expect((await recordedOfType(w.tenantId, "stored_value_changed")).filter((e) => e.payload.kind === "expired").map((e) => e.payload.amountCents)).toEqual([1000]);
    const bad = await api("/cards/plans", { method: "POST", token: w.adminKey, json: { name: "x", payCents: 5000, bonusCents: 9000 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toContain("bonusCents");
  });
});

describe("load refund", () => {
  it("pays back only the unspent principal once and forfeits the bonus in proportion", async () => {
    const w = await walletShop();
    const { orderId, checkoutUrl } = await load(w);
    await pay(checkoutUrl);
    const { code } = (await shop(w.slug, "/member/wallet/code", { method: "POST", cookie: w.cookie })).body;
    const spent = await api("/redemptions/stored-value", { method: "POST", token: w.redeemerKey, json: { code, amountCents: 6000, storeId: w.storeId }, headers: { "idempotency-key": "refund-spend-1" } });
    expect(spent.body.balance).toEqual({ principalCents: 9000, bonusCents: 0, balanceCents: 9000 });
    const refunds = await Promise.all([1, 2].map(() => api(`/orders/${orderId}/refund`, { method: "POST", token: w.adminKey, json: { reason: "退卡" } })));
    expect(refunds.filter((r) => r.status === 200)).toHaveLength(1);
    expect((await wallet(w)).balance.balanceCents).toBe(0);
    expect(await countRows("SELECT COALESCE(SUM(amount_cents), 0) AS n FROM payments WHERE order_id = ? AND kind = 'refund'", orderId)).toBe(9000);
    expect((await recordedOfType(w.tenantId, "stored_value_changed")).filter((e) => e.payload.kind === "refunded").map((e) => e.payload.amountCents)).toEqual([9000]);
    // The dashboards take off what the gateway gave back: the principal paid back, not the ¥100 load.
    expect((await recordedOfType(w.tenantId, "order_refunded")).map((e) => e.payload.amountCents)).toEqual([9000]);
  });
});

describe("checkout with the balance", () => {
  it("120 concurrent spends by one member never take the balance below zero nor twice", async () => {
    const w = await walletShop(130);
    await pay((await load(w)).checkoutUrl); // 15000
    const tries = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: `spend-${i % 110}-key`, json: { productId: w.productId, storedValueCents: 1990 } }),
      ),
    );
    const placed = new Set(tries.filter((t) => t.status === 201).map((t) => t.body.id));
    expect(placed.size).toBe(7); // floor(15000 / 1990)
    // A repeated key answers with its order as it stands: one of those placed, or one still being refused.
    const repeats = tries.filter((t) => t.status === 200).map((t) => t.body.id as string);
    const finalStatus = async (id: string) => (await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(id).first<string>("status"))!;
    for (const id of repeats) expect(placed.has(id) || (await finalStatus(id)) === "cancelled").toBe(true);
    expect(tries.filter((t) => t.status === 409).every((t) => t.body.error.code === "insufficient_balance")).toBe(true);
    const wl = await wallet(w);
    expect(wl.balance.balanceCents).toBe(15000 - 7 * 1990);
    expect(wl.balance.bonusCents).toBe(0); // bonus spent first
    expect(wl.movements.filter((m: { kind: string }) => m.kind === "spent")).toHaveLength(7);
    expect(await countRows("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ? AND status = 'delivered' AND stored_value_cents = 1990", w.tenantId)).toBe(7);
    // Failed attempts give back nothing they did not take, and the recorded events match the ledger.
    expect(await countRows("SELECT COUNT(*) AS n FROM stored_value_movements WHERE tenant_id = ? AND kind = 'returned'", w.tenantId)).toBe(0);
    expect(await recordedOfType(w.tenantId, "stored_value_changed")).toHaveLength(8);
  });

  it("pays part from the balance and the rest at the gateway; a refund and a cancellation give the part back exactly once", async () => {
    const w = await walletShop();
    await pay((await load(w)).checkoutUrl);
    const part = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "part-1-key", json: { productId: w.productId, storedValueCents: 500 } });
    expect(part.status).toBe(201);
    expect((await getPaymentById(env.DB, part.body.checkoutUrl.split("/").pop()!))!.amount_cents).toBe(1490);
    expect((await pay(part.body.checkoutUrl)).status).toBe(200);
    expect((await getOrderRow(env.DB, w.tenantId, part.body.id))!.status).toBe("delivered");
    expect((await wallet(w)).balance).toEqual({ principalCents: 10000, bonusCents: 4500, balanceCents: 14500 });

    const refunds = await Promise.all([1, 2, 3].map(() => api(`/orders/${part.body.id}/refund`, { method: "POST", token: w.adminKey, json: { reason: "客户申请" } })));
    expect(refunds.filter((r) => r.status === 200)).toHaveLength(1);
    expect((await wallet(w)).balance).toEqual({ principalCents: 10000, bonusCents: 5000, balanceCents: 15000 });

    // Unpaid order cancelled: its balance part comes back; a late payment of its cash part does not pay it.
    const open = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "part-2-key", json: { productId: w.productId, storedValueCents: 990 } });
    expect((await wallet(w)).balance.balanceCents).toBe(14010);
    const payment = (await getPaymentById(env.DB, open.body.checkoutUrl.split("/").pop()!))!;
    // The buyer pays at the gateway while cancelling: the callback arrives after the cancellation.
    const late = await sandboxPaidCallback(env, payment.id);
    expect((await shop(w.slug, `/orders/${open.body.id}/cancel`, { method: "POST", cookie: w.cookie })).status).toBe(200);
    expect((await wallet(w)).balance.balanceCents).toBe(15000);
    await callback(late.body, late.signature);
    expect((await getOrderRow(env.DB, w.tenantId, open.body.id))!.status).toBe("cancelled");
    expect((await wallet(w)).balance.balanceCents).toBe(15000);
    const kinds = (await recordedOfType(w.tenantId, "stored_value_changed")).map((e) => e.payload.kind);
    expect(kinds).toEqual(["loaded", "spent", "returned", "spent", "returned"]);
    // More than the order amount is refused with the field path.
    const over = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "part-3-key", json: { productId: w.productId, storedValueCents: 5000 } });
    expect(over.status).toBe(422);
    expect(over.body.error.issues[0].path).toBe("json.storedValueCents");
  });
});

describe("the console's refund form on an order paid wholly from the balance", () => {
  it("refunds it whole back to the balance, once, audited, like the order's own refund; a part is refused", async () => {
    const w = await walletShop();
    await pay((await load(w)).checkoutUrl);
    const whole = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "form-whole-1", json: { productId: w.productId, storedValueCents: 1990 } });
    expect(whole.body.status).toBe("delivered");
    expect((await wallet(w)).balance.balanceCents).toBe(13010);
    const detail = await api(`/orders/${whole.body.id}/detail`, { token: w.adminKey });
    expect(detail.body).toMatchObject({ refundableCents: 1990, refundToBalance: true });
    // Its 支付与退款 shows what the balance paid (no gateway row exists for it).
    expect(detail.body.payments).toEqual([expect.objectContaining({ kind: "charge", provider: "stored_value", amountCents: 1990, status: "succeeded" })]);

    const part = await api(`/orders/${whole.body.id}/refunds`, { method: "POST", token: w.adminKey, json: { amountCents: 500, units: 0, reason: "部分补偿" } });
    expect(part.status).toBe(409);
    expect(part.body.error).toMatchObject({ code: "balance_refund_whole", requestId: expect.any(String) });
    expect((await wallet(w)).balance.balanceCents).toBe(13010);

    const tries = await Promise.all([1, 2, 3].map(() => api(`/orders/${whole.body.id}/refunds`, { method: "POST", token: w.adminKey, json: { units: 0, reason: "客户申请" } })));
    const done = tries.filter((r) => r.status === 201);
    expect(done).toHaveLength(1);
    expect(tries.filter((r) => r.status === 409)).toHaveLength(2);
    expect(done[0]!.body).toMatchObject({ refund: null, balanceReturnedCents: 1990, refundableCents: 0, order: { status: "refunded" } });
    expect(done[0]!.body.voidedVoucherIds).toHaveLength(1);
    expect((await wallet(w)).balance).toEqual({ principalCents: 10000, bonusCents: 5000, balanceCents: 15000 });
    expect((await api(`/orders/${whole.body.id}/refunds`, { method: "POST", token: w.adminKey, json: { units: 0, reason: "再退一次" } })).status).toBe(409);
    expect((await wallet(w)).balance.balanceCents).toBe(15000);
    const after = (await api(`/orders/${whole.body.id}/detail`, { token: w.adminKey })).body;
    expect(after).toMatchObject({ refundableCents: 0, refundToBalance: false });
    expect(after.payments.map((p: { kind: string; provider: string; amountCents: number }) => [p.kind, p.provider, p.amountCents])).toEqual([["charge", "stored_value", 1990], ["refund", "stored_value", 1990]]);

    const refunded = (await recordedOfType(w.tenantId, "order_refunded")).filter((e) => e.payload.orderId === whole.body.id);
    expect(refunded.map((e) => e.payload)).toEqual([expect.objectContaining({ amountCents: 0, storedValueCents: 1990, automatic: false })]);
    const audit = await api(`/audit-log?resource=orders/${whole.body.id}`, { token: w.adminKey });
    expect(audit.body.entries.filter((e: { route: string; method: string }) => e.method === "POST" && e.route.endsWith("/refunds"))).toHaveLength(1);
  });
});

describe("an after-sale ticket on an order paid wholly from the balance", () => {
  it("resolved with a refund: the money goes back to the balance, and the record says so", async () => {
    const w = await walletShop();
    await pay((await load(w)).checkoutUrl);
    const whole = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "ticket-whole-1", json: { productId: w.productId, storedValueCents: 1990 } });
    expect(whole.body.status).toBe("delivered");
    const opened = await shop(w.slug, `/orders/${whole.body.id}/tickets`, { method: "POST", cookie: w.cookie, json: { reason: "key_invalid", body: "卡密提示已被使用" } });
    expect(opened.status).toBe(201);
    const resolved = await api(`/tickets/${opened.body.id}/resolve`, { method: "POST", token: w.adminKey, json: { action: "refund", units: 0, note: "退回余额" } });
    expect(resolved.status).toBe(200);
    expect((await wallet(w)).balance.balanceCents).toBe(15000);
    const [event] = (await recordedOfType(w.tenantId, "ticket_resolved")).filter((e) => e.payload.ticketId === opened.body.id);
    expect(event!.payload).toMatchObject({ resolution: "refund", amountCents: 0, balanceCents: 1990 });
  });
});

describe("the statement", () => {
  it("names what each line was for: the order's product (with the order) or the store charged at", async () => {
    const w = await walletShop();
    const loaded = await load(w);
    await pay(loaded.checkoutUrl);
    const spent = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "statement-spend-1", json: { productId: w.productId, storedValueCents: 1990 } });
    expect(spent.status).toBe(201);
    const { code } = (await shop(w.slug, "/member/wallet/code", { method: "POST", cookie: w.cookie })).body;
    const charged = await api("/redemptions/stored-value", { method: "POST", token: w.redeemerKey, json: { code, amountCents: 500, storeId: w.storeId }, headers: { "idempotency-key": "statement-charge-1" } });
    expect(charged.status).toBe(200);
    const lines = (await wallet(w)).movements.map((m: { kind: string; title: string | null; orderId: string | null }) => [m.kind, m.title, m.orderId]);
    expect(lines).toEqual([["charged", "南京西路店", null], ["spent", "视频会员月卡", spent.body.id], ["loaded", expect.stringContaining("充100送50"), loaded.orderId]]);
    const ledger = await api(`/cards/accounts/${w.memberId}`, { token: w.adminKey });
    expect(ledger.body.movements.map((m: { title: string | null }) => m.title)).toEqual(lines.map((l: unknown[]) => l[1]));
  });
});

describe("store charge (储值扣款)", () => {
  it("is idempotent per Idempotency-Key, exact under concurrency, and refuses a forged or foreign code", async () => {
    const w = await walletShop();
    await pay((await load(w)).checkoutUrl);
    const { code } = (await shop(w.slug, "/member/wallet/code", { method: "POST", cookie: w.cookie })).body;
    expect(code).toMatch(/^sv1\./);
    const charge = (body: object, idem: string) => api("/redemptions/stored-value", { method: "POST", token: w.redeemerKey, json: body, headers: { "idempotency-key": idem } });
    const first = await Promise.all([1, 2, 3].map(() => charge({ code, amountCents: 3000, storeId: w.storeId }, "charge-key-0001")));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(first.map((r) => r.body.movementId)).size).toBe(1);
    expect(first.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(2);
    expect(first[0]!.body).toMatchObject({ amountCents: 3000, bonusCents: 3000, principalCents: 0, balance: { balanceCents: 12000 } });
    expect((await charge({ code, amountCents: 10, storeId: w.storeId }, "charge-key-0001")).body.error.code).toBe("idempotency_mismatch");

    const many = await Promise.all(Array.from({ length: 30 }, (_, i) => charge({ code, amountCents: 700, storeId: w.storeId }, `charge-many-${i}`)));
    expect(many.filter((r) => r.status === 200)).toHaveLength(17); // floor(12000 / 700)
    expect(many.filter((r) => r.status === 409).every((r) => r.body.error.code === "insufficient_balance")).toBe(true);
    expect((await wallet(w)).balance.balanceCents).toBe(12000 - 17 * 700);

    const forged = code.replace(/.$/, (c: string) => (c === "0" ? "1" : "0"));
    expect((await charge({ code: forged, amountCents: 1, storeId: w.storeId }, "charge-forged-1")).body.error.code).toBe("member_code_invalid");
    const other = await walletShop();
    expect((await api("/redemptions/stored-value", { method: "POST", token: other.redeemerKey, json: { code, amountCents: 1, storeId: other.storeId }, headers: { "idempotency-key": "charge-foreign-1" } })).status).toBe(404);
    const bad = await charge({ code, amountCents: -5 }, "charge-bad-001");
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toContain("amountCents");

    const events = (await recordedOfType(w.tenantId, "stored_value_changed")).filter((e) => e.payload.kind === "charged");
    expect(events).toHaveLength(18);
    expect(events.every((e) => e.payload.storeId === w.storeId)).toBe(true);
    const liability = await api("/cards/liability", { token: w.adminKey });
    expect(liability.body).toEqual({ principalCents: 12000 - 17 * 700, bonusCents: 0, totalCents: 12000 - 17 * 700, accounts: 1 });
    const accounts = await api(`/cards/accounts?q=${w.memberId}`, { token: w.adminKey });
    expect(accounts.body.accounts[0].balance.balanceCents).toBe(12000 - 17 * 700);
  });
});

describe("points and growth of an order paid with the balance", () => {
  it("only the gateway part earns (the load already did): a split order earns on its cash part, an all-balance one nothing; a refund takes back what was earned", async () => {
    const w = await walletShop();
    expect((await api("/points/rules", { method: "PUT", token: w.adminKey, json: { pointsPerYuan: 10 } })).status).toBe(200);
    expect((await api("/members/growth-rules", { method: "PUT", token: w.adminKey, json: { perYuan: 1 } })).status).toBe(200);
    const earned = async (orderId: string) => ({
      points: await countRows("SELECT COALESCE(SUM(points), 0) AS n FROM points_movements WHERE source_kind = 'order' AND source_id = ?", orderId),
      growth: await countRows("SELECT COALESCE(SUM(growth), 0) AS n FROM member_growth WHERE source_id = ?", orderId),
    });
    const { orderId: loadId, checkoutUrl } = await load(w);
    await pay(checkoutUrl);
    expect(await earned(loadId)).toEqual({ points: 1000, growth: 100 }); // ¥100 in at the gateway

    // ¥19.90: ¥5.00 from the balance, ¥14.90 at the gateway → 149 points, 14 growth.
    const split = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "earn-split-1", json: { productId: w.productId, storedValueCents: 500 } });
    expect((await pay(split.body.checkoutUrl)).status).toBe(200);
    expect(await earned(split.body.id)).toEqual({ points: 149, growth: 14 });
    const whole = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "earn-whole-1", json: { productId: w.productId, storedValueCents: 1990 } });
    expect(whole.body.status).toBe("delivered");
    expect(await earned(whole.body.id)).toEqual({ points: 0, growth: 0 });

    const member = () => env.DB.prepare("SELECT points_balance, growth FROM members WHERE id = ?").bind(w.memberId).first<{ points_balance: number; growth: number }>();
    expect(await member()).toEqual({ points_balance: 1149, growth: 114 });
    expect((await api(`/orders/${split.body.id}/refund`, { method: "POST", token: w.adminKey, json: { reason: "客户申请" } })).status).toBe(200);
    expect(await earned(split.body.id)).toEqual({ points: 0, growth: 0 }); // earned, then reversed by exactly as much
    expect(await member()).toEqual({ points_balance: 1000, growth: 100 });
  });
});

describe("a paid membership card paid from the balance", () => {
  it("starts the card's term like a gateway payment would (and earns no growth)", async () => {
    const w = await walletShop();
    await api("/members/tiers", { method: "POST", token: w.adminKey, json: { name: "普通", rank: 0, growthThreshold: 0 } });
    const plus = await api("/members/tiers", { method: "POST", token: w.adminKey, json: { name: "PLUS", rank: 5, growthThreshold: 1_000_000 } });
    const card = await api("/products", { method: "POST", token: w.adminKey, json: { kind: "coupon", name: "PLUS 月卡", priceCents: 990, faceValueCents: 990, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 990 } } } });
    await api(`/products/${card.body.id}/status`, { method: "POST", token: w.adminKey, json: { status: "published" } });
    expect((await api(`/members/paid-cards/${card.body.id}`, { method: "PUT", token: w.adminKey, json: { tierId: plus.body.id, months: 1 } })).status).toBe(200);
    await pay((await load(w)).checkoutUrl);
    const bought = await shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "card-by-balance-1", json: { productId: card.body.id, storedValueCents: 990 } });
    expect(bought.body.status).toBe("delivered");
    const m = await env.DB.prepare("SELECT paid_tier_id, paid_until, growth FROM members WHERE id = ?").bind(w.memberId).first<{ paid_tier_id: string; paid_until: string; growth: number }>();
    expect(m!.paid_tier_id).toBe(plus.body.id);
    expect(Date.parse(m!.paid_until)).toBeGreaterThan(Date.now() + 27 * 86_400_000);
    expect(m!.growth).toBe(100); // the ¥100 load only
    expect((await recordedOfType(w.tenantId, "paid_card_changed")).map((e) => e.payload.kind)).toEqual(["purchased"]);
  });
});

describe("an order paid wholly from the balance whose request died after the debit", () => {
  /** The order's own batch (order, stock, debit) committed; the request died before it paid the order. */
  async function crashedAfterDebit(w: W, buyerId: string, idempotencyKey: string) {
    const p: CreateOrderParams = {
      tenantId: w.tenantId, buyerId, productId: w.productId, idempotencyKey, maxUnpaidUnits: MAX_ORDER_QUANTITY,
      storedValue: await checkoutPayer(env, w.tenantId, buyerId, 1990),
    };
    const product = (await getProductRow(env.DB, w.tenantId, w.productId))!;
    const d = draftOrder(env, p, product, await requestHashOf(p));
    await env.DB.batch(placeStmts(env, d, product));
    expect((await getOrderRow(env.DB, w.tenantId, d.order.id))!.status).toBe("created");
    return d.order.id;
  }

  it("is paid and delivered by the buyer's retry, or else by the expiry — never left unpaid nor debited twice", async () => {
    const w = await walletShop();
    const buyerId = (await shop(w.slug, "/me", { cookie: w.cookie })).body.buyer.id as string;
    await pay((await load(w)).checkoutUrl); // 15000
    const first = await crashedAfterDebit(w, buyerId, "crash-retry-1");
    expect((await wallet(w)).balance.balanceCents).toBe(15000 - 1990);

    // The page retries under its key: the order is paid and delivered (before: answered 'created' with no way to pay).
    const retries = await Promise.all([1, 2].map(() => shop(w.slug, "/orders", { method: "POST", cookie: w.cookie, idem: "crash-retry-1", json: { productId: w.productId, storedValueCents: 1990 } })));
    for (const r of retries) expect(r.body.id).toBe(first);
    expect((await getOrderRow(env.DB, w.tenantId, first))!.status).toBe("delivered");
    expect(await countRows("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND order_id = ?", w.tenantId, first)).toBe(1);

    // Nobody retries: the expiry pays and delivers it instead of letting it lapse.
    const second = await crashedAfterDebit(w, buyerId, "crash-nobody-2");
    await env.DB.prepare("UPDATE orders SET reserved_until = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(second).run();
    await expireUnpaidOrders(env);
    expect((await getOrderRow(env.DB, w.tenantId, second))!.status).toBe("delivered");

    const wl = await wallet(w);
    expect(wl.balance.balanceCents).toBe(15000 - 2 * 1990);
    expect(wl.movements.map((m: { kind: string }) => m.kind)).toEqual(["spent", "spent", "loaded"]);
  });
});
