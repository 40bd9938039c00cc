import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { settleSandboxRefund } from "../../worker/db/sandbox-gateway";
import { dispatchEvents } from "../../worker/queue/dispatch";
import { failRefundStmt } from "../../worker/db/payments";
import { ASYNC_REFUND_PAYER, SANDBOX_REFUND_REFUSED } from "../../worker/payments/sandbox";
import { compensate } from "../../worker/services/compensation";
import { consoleRefund, finishPartRefunds } from "../../worker/services/partial-refunds";
import { giveBackRefusedRefund } from "../../worker/services/refund-reversal";
import { pollPendingRefunds } from "../../worker/services/refunds";
import { shop, shopWithKeys } from "./commerce-helpers";
import { api, createTenant, dyingAfterFirstBatch, recordedOfType } from "./helpers";
import { periodOf } from "../../worker/domain/settlement";
import { chinaDay } from "../../worker/domain/china-time";
import { closeOnDemand } from "../../worker/services/settlements";

/**
 * Refunds the gateway answers "processing" (the sandbox does for an async-refund… payer, as WeChat Pay does) are shown
 * as 退款中 and recorded; when the gateway later refuses one, everything it took comes back, once.
 */


/** A delivered order of `units` card keys, paid by a payer whose refunds the sandbox processes asynchronously. */
async function paidOrder(units: number) {
  const s = await shopWithKeys(units);
  const o = await shop(s.slug, "/orders", { method: "POST", idem: `rrl-${crypto.randomUUID()}`, json: { productId: s.productId, quantity: units } });
  const paid = await exports.default.fetch(`http://kaquan.test${o.body.checkoutUrl}/pay`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ payerAccount: `${ASYNC_REFUND_PAYER}-${crypto.randomUUID().slice(0, 8)}` }),
  });
  expect(((await paid.json()) as any).orderStatus).toBe("delivered");
  return { ...s, orderId: o.body.id as string, cookie: o.cookie! };
}

const rows = (sql: string, ...args: unknown[]) => env.DB.prepare(sql).bind(...args).all<any>().then((r) => r.results);
const refundsOf = (orderId: string) => rows("SELECT * FROM payments WHERE order_id = ? AND kind = 'refund' ORDER BY created_at", orderId);
const voucherStatuses = async (orderId: string) => (await rows("SELECT status FROM vouchers WHERE order_id = ? ORDER BY source_key", orderId)).map((v) => v.status);
/** The poll asks about refunds a minute old, each at most once a minute: the refund rows are made three minutes older. */
const age = (orderId: string) =>
  env.DB.prepare(
    `UPDATE payments SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '-180 seconds'), polled_at = strftime('%Y-%m-%dT%H:%M:%fZ', polled_at, '-180 seconds')
     WHERE order_id = ? AND kind = 'refund'`,
  ).bind(orderId).run();
const ofOrder = async (tenantId: string, type: string, orderId: string) => (await recordedOfType(tenantId, type)).filter((e) => e.payload.orderId === orderId);
const reversals = async (tenantId: string, refundId: string) =>
  (await recordedOfType(tenantId, "voucher_compensated")).filter((e) => e.payload.refundId === refundId && String(e.payload.action).endsWith("_reversed"));
const gatewayAsked = async (refundId: string) => (await rows("SELECT state FROM sandbox_gateway_txns WHERE kind = 'refund' AND merchant_ref = ?", refundId)).length;

describe("a refund the gateway takes as processing and refuses later", { timeout: 90_000 }, () => {
  it("a part refund: 退款中, then refused — its right comes back and its events are answered, once (two polls)", async () => {
    const { tenant, adminKey, orderId } = await paidOrder(2);
    const r = await api(`/orders/${orderId}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 1990, units: 1, reason: "退一张" } });
    expect(r.status).toBe(201);
    expect(r.body.refund.status).toBe("pending"); // 退款中
    expect(await voucherStatuses(orderId)).toEqual(["issued", "refunded"]);
    const refundId = r.body.refund.id as string;
    let detail = (await api(`/orders/${orderId}/detail`, { token: adminKey })).body;
    expect(detail.payments.find((p: any) => p.id === refundId)).toMatchObject({ status: "pending", failureReason: null });
    expect(detail.refundableCents).toBe(1990);
    expect(await ofOrder(tenant.id, "order_partially_refunded", orderId)).toHaveLength(1);

    await settleSandboxRefund(env.DB, refundId, "failed");
    await age(orderId);
    await pollPendingRefunds(env, 500);
    await pollPendingRefunds(env, 500);

    expect(await voucherStatuses(orderId)).toEqual(["issued", "issued"]);
    const [row] = await refundsOf(orderId);
    expect(row).toMatchObject({ status: "failed", failure_reason: SANDBOX_REFUND_REFUSED });
    expect(row.follow_up).toMatch(/^undone:/);
    const failed = await ofOrder(tenant.id, "order_refund_failed", orderId);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.payload).toMatchObject({ refundId, amountCents: 1990, restoredUnits: 1, expiredUnits: 0, reopened: false, inParts: true, reason: SANDBOX_REFUND_REFUSED });
    expect(await reversals(tenant.id, refundId)).toHaveLength(1);
    expect((await ofOrder(tenant.id, "alert", orderId)).filter((e) => e.payload.kind === "refund_failed")).toHaveLength(1);
    // A duplicate give-back (a notice and the cron at once, a rerun after a crash) finds nothing left to take.
    expect(await giveBackRefusedRefund(env, row)).toBe(false);
    expect(await ofOrder(tenant.id, "order_refund_failed", orderId)).toHaveLength(1);
    expect(await voucherStatuses(orderId)).toEqual(["issued", "issued"]);

    detail = (await api(`/orders/${orderId}/detail`, { token: adminKey })).body;
    expect(detail.order.status).toBe("delivered");
    expect(detail.refundableCents).toBe(3980);
    expect(detail.payments.find((p: any) => p.id === refundId)).toMatchObject({ status: "failed", failureReason: SANDBOX_REFUND_REFUSED });
    // The ledger answers the refund entry of the right given back (appended by the ledger's object, polled for).
    let reversed: any[] = [];
    for (let i = 0; i < 100 && !reversed.length; i++) {
      await dispatchEvents(env);
      reversed = (await api(`/orders/${orderId}/detail`, { token: adminKey })).body.ledger.filter((e: any) => e.kind === "compensation" && e.payload.action === "refund_reversed");
      if (!reversed.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(reversed.map((e) => e.payload.amountCents)).toEqual([-1990]);
  });

  it("a whole refund: the order it closed reopens, a right that expired meanwhile comes back expired", async () => {
    const { tenant, adminKey, orderId } = await paidOrder(2);
    const r = await api(`/orders/${orderId}/refund`, { method: "POST", token: adminKey, json: { reason: "整单退" } });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("refunded");
    expect(await voucherStatuses(orderId)).toEqual(["refunded", "refunded"]);
    const [pending] = await refundsOf(orderId);
    expect(pending.status).toBe("pending");
    expect(await ofOrder(tenant.id, "order_refunded", orderId)).toHaveLength(1);

    // One right's validity ends while the refund is processing.
    const [first] = await rows("SELECT id FROM vouchers WHERE order_id = ? ORDER BY source_key LIMIT 1", orderId);
    await env.DB.prepare("UPDATE vouchers SET valid_to = '2020-01-01T00:00:00.000Z' WHERE id = ?").bind(first.id).run();
    await settleSandboxRefund(env.DB, pending.id, "failed");
    await age(orderId);
    await Promise.all([pollPendingRefunds(env, 500), pollPendingRefunds(env, 500)]);
    await pollPendingRefunds(env, 500);

    expect(await voucherStatuses(orderId)).toEqual(["expired", "issued"]);
    const failed = await ofOrder(tenant.id, "order_refund_failed", orderId);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.payload).toMatchObject({ refundId: pending.id, amountCents: 3980, restoredUnits: 1, expiredUnits: 1, reopened: true, inParts: false });
    expect((await recordedOfType(tenant.id, "voucher_expired")).filter((e) => e.payload.voucherId === first.id)).toHaveLength(1);
    const detail = (await api(`/orders/${orderId}/detail`, { token: adminKey })).body;
    expect(detail.order.status).toBe("delivered");
    expect(detail.refundableCents).toBe(3980);
    expect(detail.payments.find((p: any) => p.id === pending.id)).toMatchObject({ status: "failed", failureReason: SANDBOX_REFUND_REFUSED });

    // The operator refunds the whole order again: a new attempt (the refused one stays as it was), recorded anew.
    const again = await api(`/orders/${orderId}/refund`, { method: "POST", token: adminKey, json: { reason: "再次整单退" } });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.status).toBe("refunded");
    const attempts = await refundsOf(orderId);
    expect(attempts.map((p) => [p.id, p.status])).toEqual([[pending.id, "failed"], [`${pending.id}~2`, "pending"]]);
    expect(await voucherStatuses(orderId)).toEqual(["expired", "refunded"]);
    await settleSandboxRefund(env.DB, `${pending.id}~2`, "succeeded");
    await age(orderId);
    await pollPendingRefunds(env, 500);
    expect((await refundsOf(orderId)).map((p) => p.status)).toEqual(["failed", "succeeded"]);
    const refunded = await ofOrder(tenant.id, "order_refunded", orderId);
    expect(refunded.map((e) => e.eventId)).toEqual([`evor_${orderId}`, `evor_${orderId}_u1`]);
    const [, second] = await rows("SELECT id FROM vouchers WHERE order_id = ? ORDER BY source_key", orderId);
    expect((await recordedOfType(tenant.id, "voucher_refunded")).filter((e) => e.payload.voucherId === second.id).map((e) => e.payload.refundId ?? null))
      .toEqual([null, `${pending.id}~2`]);
    expect((await api("/ledger/verify", { token: adminKey })).body.ok).toBe(true);
  });

  it("a complaint's refund: the right comes back and the complaint opens again", async () => {
    const { tenant, slug, orderId, cookie } = await paidOrder(1);
    const code = (await rows("SELECT code FROM vouchers WHERE order_id = ?", orderId))[0].code;
    const open = await shop(slug, `/vouchers/${code}/report`, { method: "POST", cookie, json: { problem: "other" } });
    const complaint = await env.DB.prepare("SELECT * FROM complaints WHERE id = ?").bind(open.body.id).first<any>();
    expect((await compensate(env, complaint, "refund")).status).toBe("refunded");
    const refundId = `rfc_${complaint.id}`;
    expect((await recordedOfType(tenant.id, "voucher_refunded")).filter((e) => e.payload.complaintId === complaint.id)).toHaveLength(1);

    await settleSandboxRefund(env.DB, refundId, "failed");
    await age(orderId);
    await pollPendingRefunds(env, 500);
    await pollPendingRefunds(env, 500);
    expect(await voucherStatuses(orderId)).toEqual(["issued"]);
    expect((await rows("SELECT status FROM complaints WHERE id = ?", complaint.id))[0].status).toBe("open");
    expect(await ofOrder(tenant.id, "order_refund_failed", orderId)).toHaveLength(1);
    expect(await reversals(tenant.id, refundId)).toHaveLength(1);
    expect((await rows("SELECT status FROM orders WHERE id = ?", orderId))[0].status).toBe("delivered");
  });
});

describe("a refusal whose give-back a crash cut short", { timeout: 90_000 }, () => {
  it("the refusal committed alone (follow_up 'undo'): the cron gives back once, however often it runs", async () => {
    const { tenant, adminKey, orderId } = await paidOrder(2);
    const r = await api(`/orders/${orderId}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 990, units: 1, reason: "退一张" } });
    const refundId = r.body.refund.id as string;
    // The gateway's refusal recorded, and the isolate died before the give-back batch.
    const [failed] = (await failRefundStmt(env.DB, tenant.id, refundId, null, "ABNORMAL").all<any>()).results;
    expect(failed.follow_up).toBe("undo");
    expect(await voucherStatuses(orderId)).toEqual(["issued", "refunded"]);
    await Promise.all([pollPendingRefunds(env, 500), pollPendingRefunds(env, 500)]);
    await pollPendingRefunds(env, 500);
    expect(await voucherStatuses(orderId)).toEqual(["issued", "issued"]);
    expect(await ofOrder(tenant.id, "order_refund_failed", orderId)).toHaveLength(1);
    expect(await reversals(tenant.id, refundId)).toHaveLength(1);
  });
});

describe("a part refund a crash left before the gateway was asked", { timeout: 90_000 }, () => {
  async function crashed() {
    const o = await paidOrder(2);
    await expect(consoleRefund(dyingAfterFirstBatch(), o.tenant.id, o.orderId, { amountCents: 990, units: 1, reason: "退一张" }, null)).rejects.toThrow();
    const [refund] = await refundsOf(o.orderId);
    expect(await gatewayAsked(refund.id)).toBe(0);
    await age(o.orderId);
    return { ...o, refundId: refund.id as string };
  }

  it("is not recorded by the cron before the gateway is asked; asked once, it is recorded when taken and completes", async () => {
    const { tenant, adminKey, orderId, refundId } = await crashed();
    // The follow-up cron first: the gateway has said nothing, so nothing is recorded as refunded.
    await finishPartRefunds(env);
    expect(await ofOrder(tenant.id, "order_partially_refunded", orderId)).toEqual([]);
    expect(await ofOrder(tenant.id, "voucher_refunded", orderId)).toEqual([]);

    await pollPendingRefunds(env, 500);
    await pollPendingRefunds(env, 500);
    expect(await gatewayAsked(refundId)).toBe(1);
    await finishPartRefunds(env);
    await finishPartRefunds(env);
    expect(await ofOrder(tenant.id, "order_partially_refunded", orderId)).toHaveLength(1);
    expect((await api(`/orders/${orderId}/detail`, { token: adminKey })).body.payments.find((p: any) => p.id === refundId).status).toBe("pending");

    await settleSandboxRefund(env.DB, refundId, "succeeded");
    await age(orderId);
    await pollPendingRefunds(env, 500);
    expect((await refundsOf(orderId))[0]).toMatchObject({ status: "succeeded" });
    expect(await voucherStatuses(orderId)).toEqual(["issued", "refunded"]);
    expect(await ofOrder(tenant.id, "order_refund_failed", orderId)).toEqual([]);
    expect(await ofOrder(tenant.id, "voucher_refunded", orderId)).toHaveLength(1);
  });

  it("asked once and refused later: its right comes back and what was recorded is answered", async () => {
    const { tenant, orderId, refundId } = await crashed();
    await pollPendingRefunds(env, 500);
    await finishPartRefunds(env);
    expect(await ofOrder(tenant.id, "voucher_refunded", orderId)).toHaveLength(1);
    await settleSandboxRefund(env.DB, refundId, "failed");
    await age(orderId);
    await pollPendingRefunds(env, 500);
    await pollPendingRefunds(env, 500);
    await finishPartRefunds(env);
    expect(await gatewayAsked(refundId)).toBe(1);
    expect(await voucherStatuses(orderId)).toEqual(["issued", "issued"]);
    expect(await ofOrder(tenant.id, "order_refund_failed", orderId)).toHaveLength(1);
    expect((await rows("SELECT status FROM orders WHERE id = ?", orderId))[0].status).toBe("delivered");
  });
});

describe("settlement of a period with refunds refused after they were counted", { timeout: 120_000 }, () => {
  it("each refused refund is counted back (its right's refund, a money-only refund's compensation), and the right refunded again counts", async () => {
    const { tenant, adminKey, productId, orderId } = await paidOrder(2);
    const brand = await createTenant("权益品牌");
    const today = chinaDay(new Date());
    const a = await api("/settlements/agreements", {
      method: "POST", token: adminKey,
      json: { productId, issuer: { kind: "tenant", tenantId: brand.tenant.id }, share: { kind: "bps", bps: 3000 }, periodKind: "month", effectiveFrom: periodOf("month", today).start },
    });
    expect((await api(`/settlements/agreements/${a.body.id}/accept`, { method: "POST", token: brand.adminKey })).status).toBe(200);
    const part = await api(`/orders/${orderId}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 1990, units: 1, reason: "退一张" } });
    const money = await api(`/orders/${orderId}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 500, units: 0, reason: "补偿" } });
    for (const r of [part, money]) await settleSandboxRefund(env.DB, r.body.refund.id, "failed");
    await age(orderId);
    await pollPendingRefunds(env, 500);
    // The ledger's steps are appended by its object: wait for the two reversals.
    const reversedSteps = () => rows("SELECT seq FROM ledger_entries WHERE tenant_id = ? AND kind = 'compensation' AND dedupe_key LIKE '%:reversed'", tenant.id);
    for (let i = 0; i < 100 && (await reversedSteps()).length < 2; i++) {
      await dispatchEvents(env);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await reversedSteps()).toHaveLength(2);
    // The right given back is refunded again, for real this time: a refund event and ledger step of its own.
    const again = await api(`/orders/${orderId}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 1990, units: 1, reason: "再退一张" } });
    expect(again.status).toBe(201);
    await settleSandboxRefund(env.DB, again.body.refund.id, "succeeded");
    await age(orderId);
    await pollPendingRefunds(env, 500);
    expect((await ofOrder(tenant.id, "voucher_refunded", orderId)).map((e) => e.payload.refundId ?? null)).toEqual([null, again.body.refund.id]);
    const refundSteps = () => rows("SELECT seq FROM ledger_entries WHERE tenant_id = ? AND kind = 'refund'", tenant.id);
    for (let i = 0; i < 100 && (await refundSteps()).length < 2; i++) {
      await dispatchEvents(env);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await refundSteps()).toHaveLength(2);
    const s = await closeOnDemand(env, tenant.id, { agreementId: a.body.id, day: today }, new Date(Date.parse(periodOf("month", today).toUtc) + 3_600_000));
    expect(s.entries.map((e) => [e.kind, e.units, e.amountCents])).toEqual([
      ["sale", 2, 3980], ["refund", 1, 1990], ["compensation", 0, 500], ["refund", -1, -1990], ["compensation", 0, -500], ["refund", 1, 1990],
    ]);
    expect(s.totals).toMatchObject({ units: 2, refundedUnits: 1, grossCents: 3980, refundCents: 1990, compensationCents: 0, netCents: 1990 });
    // Kept for the next periods (what an order already had counted): the reversals too, each its own item.
    const items = await rows("SELECT kind, SUM(units) AS units, SUM(amount_cents) AS cents FROM settlement_items WHERE agreement_id = ? GROUP BY kind ORDER BY kind", a.body.id);
    expect(items).toEqual([{ kind: "compensation", units: 0, cents: 0 }, { kind: "refund", units: 1, cents: 1990 }, { kind: "sale", units: 2, cents: 3980 }]);
  });
});

describe("the minute poll of refunds the gateway keeps processing", { timeout: 120_000 }, () => {
  it("asks each at most once a minute, the longest unasked first: refunds that stay processing never keep a later one from being asked", async () => {
    const orders = [];
    for (let i = 0; i < 5; i++) {
      const o = await paidOrder(1);
      const r = await api(`/orders/${o.orderId}/refund`, { method: "POST", token: o.adminKey, json: { reason: "整单退" } });
      expect(r.status).toBe(200);
      const [refund] = await refundsOf(o.orderId);
      expect(refund.status).toBe("pending"); // 退款中: the gateway is processing it
      // Made long ago (in order), so they come before every other file's pending refunds in this shared database.
      await env.DB.prepare("UPDATE payments SET created_at = ? WHERE id = ?").bind(`2001-01-01T00:00:0${i}.000Z`, refund.id).run();
      orders.push({ ...o, refundId: refund.id as string });
    }
    // The latest one is settled at the gateway (its notice lost); the first four are still processing there.
    await settleSandboxRefund(env.DB, orders[4]!.refundId, "succeeded");
    const status = async (id: string) => (await rows("SELECT status FROM payments WHERE id = ?", id))[0].status;
    // Three a minute (the limit): the first minute asks the three oldest; the next minute the others, not those three
    // again. Before 0245 every minute asked the same three oldest, and the settled refund stayed 退款中.
    await pollPendingRefunds(env, 3);
    expect(await status(orders[4]!.refundId)).toBe("pending");
    await pollPendingRefunds(env, 3);
    expect(await status(orders[4]!.refundId)).toBe("succeeded");
    expect((await rows("SELECT status FROM orders WHERE id = ?", orders[4]!.orderId))[0].status).toBe("refunded");
    // Asked a moment ago, the three are not asked again within the minute.
    const asked = await rows(`SELECT polled_at FROM payments WHERE id IN (?, ?, ?)`, ...orders.slice(0, 3).map((o) => o.refundId));
    expect(asked.every((r) => Date.now() - Date.parse(r.polled_at) < 60_000)).toBe(true);
    // Clean-up: the rest settle (other files share this database and its poll).
    for (const o of orders.slice(0, 4)) {
      await settleSandboxRefund(env.DB, o.refundId, "succeeded");
      await age(o.orderId);
    }
    await pollPendingRefunds(env, 500);
    for (const o of orders) expect(await status(o.refundId)).toBe("succeeded");
  });
});
