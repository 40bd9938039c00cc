/**
 * Compensation: a holder reports a voucher that does not work; by the brand's policy it is replaced from stock
 * (falling back to a refund when stock is out), refunded, or left for the brand to decide. A right is replaced
 * automatically at most max_replacements times (default 1) counted from the original voucher; past that the report
 * waits for the brand, and one holder reporting vouchers of several orders raises a risk event. The complaint row is
 * the lock: it is moved out of 'open' before anything is replaced or refunded, so nothing is compensated twice.
 */
import type { Complaint, CompensationPolicy } from "../../schema/compensation";
import type { RateVoucherInput, ResolveComplaintInput, ReportVoucherInput, SetCompensationPolicyInput } from "../../schema/compensation";
import { IssueVoucherInput } from "../../schema/vouchers";
import type { z } from "zod";
import { newId } from "../domain/crypto";
import { deliverKeyStmt, releaseOrderKeysStmt, reserveCardKeys, reservedKeysOfOrder } from "../db/card-keys";
import { shareOf } from "../domain/after-sale";
import { COMPENSATION, reportPolicy, repeatReporter } from "../domain/compensation";
import { windowStart } from "../domain/redemption-risk";
import {
  complaintIs, complaintOfVoucher, reopenComplaintStmt, countHolderReports, getComplaint, insertComplaint, listComplaints, listPolicies, policyFor, replacementDepth,
  resolveComplaintStmt, setPolicy, toComplaint, upsertRating, type ComplaintRow,
} from "../db/complaints";
import { insertRiskEvent } from "../db/redemptions";
import { getOrderRow, type OrderRow } from "../db/orders";
import { gatewayAnswered, getChargeOfOrder, getPaymentById, reserveOwedRefundStmt, voidOwedRefundStmt } from "../db/payments";
import { followUpTaken, orderFullyRefundedStmt, owedFollowUps, refundableOf, takeFollowUpStmt, unrefundVouchersStmt } from "../db/order-console";
import { allOf, type SqlGuard } from "../db/statements";
import { afterLastPart, lastPartStmts } from "./partial-refunds";
import { getProductRow } from "../db/products";
import { getVoucherByCode, getVoucherRow, insertVoucherStmt, moveIssuedVoucherStmt, voucherIs, type VoucherRow } from "../db/vouchers";
import { ApiError } from "../errors";
import { refundCharge } from "./refunds";
import { eventRows, type EventInput } from "../queue/emit";
import { buildVoucherRow, voucherInserted, voucherIssuedEvent } from "./vouchers";

export async function reportVoucher(
  env: Env,
  tenantId: string,
  holderId: string,
  code: string,
  input: z.infer<typeof ReportVoucherInput>,
): Promise<Complaint> {
  const v = await getVoucherByCode(env.DB, tenantId, code);
  if (!v || v.holder_id !== holderId) throw ApiError.notFound("Voucher");
  // A recharge has no key to replace: 未到账 / 充错账号 are a ticket on its order, looked into by the brand; an automatic
  // refund here would pay back money already credited to the account.
  if (v.kind === "direct_recharge") {
    throw new ApiError(422, "voucher_report_not_applicable", "A direct recharge is serviced by an after-sale ticket on its order (POST /shop/{store}/orders/{orderId}/tickets)");
  }
  const id = newId("cmp");
  if (v.status !== "issued") {
    const existing = await complaintOfVoucher(env.DB, tenantId, v.id);
    if (existing) return toComplaint(existing);
    throw ApiError.conflict("voucher_not_reportable", `A ${v.status} voucher cannot be reported`);
  }
  const brand = await policyFor(env.DB, tenantId, v.product_id);
  // A replacement is reported like any voucher, but the chain back to the original decides whether replace still applies.
  const replacedBefore = brand.policy === "replace" ? await replacementDepth(env.DB, tenantId, v.id) : 0;
  const { policy, escalation } = reportPolicy(brand.policy, replacedBefore, brand.maxReplacements);
  const reported = eventRows(env, [{
    eventId: `evrp_${id}`, tenantId, type: "voucher_reported", actor: { userId: holderId },
    payload: { voucherId: v.id, productId: v.product_id, problem: input.problem, policy, escalation, replacedBefore },
  }], { sql: "EXISTS (SELECT 1 FROM complaints WHERE tenant_id = ? AND id = ?)", args: [tenantId, id] });
  const row = await insertComplaint(env.DB, {
    id, tenant_id: tenantId, voucher_id: v.id, voucher_code: v.code, holder_id: holderId, product_id: v.product_id, problem: input.problem, note: input.note, policy, escalation,
  }, reported);
  if (row.id !== id) return toComplaint(await settled(env.DB, row)); // reported before: same answer, nothing applied again
  await watchReporter(env, tenantId, holderId, new Date());
  if (policy === "manual") return toComplaint(row);
  return toComplaint(await compensate(env, row, policy));
}

/** One holder reporting vouchers of several orders within the window: a risk event for the brand (once per window). */
async function watchReporter(env: Env, tenantId: string, holderId: string, now: Date) {
  const windowMin = COMPENSATION.reportWindowDays * 1440;
  const since = new Date(now.getTime() - windowMin * 60_000).toISOString();
  const { complaints, orders } = await countHolderReports(env.DB, tenantId, holderId, since);
  if (!repeatReporter(orders)) return;
  const detail = { holderId, orders, complaints, windowDays: COMPENSATION.reportWindowDays };
  const id = newId("risk");
  const event = eventRows(env, [{ eventId: `evrk_${id}`, tenantId, type: "risk_flagged", actor: { userId: holderId }, payload: { source: "compensation", kind: "repeat_reporter", subject: holderId, action: null, ...detail } }], { sql: "changes() = 1", args: [] });
  await insertRiskEvent(env.DB, tenantId, { id, kind: "repeat_reporter", subject: holderId, windowStart: windowStart(now, windowMin), detail, action: null }, event);
}

/**
 * A repeat report that arrives while the first one is still applying its automatic policy waits (briefly) for that
 * outcome, so every copy of a double-submitted report gets the same answer. Nothing is applied here.
 */
async function settled(db: D1Database, row: ComplaintRow): Promise<ComplaintRow> {
  for (let i = 0; i < 40 && row.status === "open" && row.policy !== "manual"; i++) {
    await new Promise((r) => setTimeout(r, 25));
    row = (await getComplaint(db, row.tenant_id, row.id)) ?? row;
  }
  return row;
}

/** Applies replace | refund | reject to an open complaint (automatically by policy, or by the brand). */
export async function compensate(
  env: Env, complaint: ComplaintRow, action: Exclude<CompensationPolicy, "manual"> | "reject", mayRefund = true,
): Promise<ComplaintRow> {
  const t = complaint.tenant_id;
  const voucher = await getVoucherRow(env.DB, t, complaint.voucher_id);
  if (!voucher) throw ApiError.notFound("Voucher");
  if (action === "reject") {
    const closed = await resolveComplaintStmt(env.DB, t, complaint.id, { status: "rejected" }).first<ComplaintRow>();
    if (!closed) throw ApiError.conflict("complaint_closed", "This complaint was already resolved");
    return closed;
  }
  // Only a right still unused is owed anything: one replaced, refunded or voided since the report (a ticket, an order
  // refund) has been dealt with, and compensating it again would turn one payment into two keys, or a key and its money.
  if (voucher.status !== "issued") throw notCompensable(voucher.status);
  if (action === "replace") {
    const replaced = await replace(env, complaint, voucher);
    if (replaced) return replaced;
  }
  // Money goes back only on an admin's word (as for order refunds and tickets); the brand's policy, set by an admin,
  // is that word for the automatic path.
  if (!mayRefund) throw ApiError.forbidden(action === "refund" ? "Refunding needs a key with the 'admin' scope" : "Nothing in stock to replace it with, and refunding needs a key with the 'admin' scope");
  return refund(env, complaint, voucher);
}

const notCompensable = (status: string) =>
  ApiError.conflict("right_not_compensable", `This right is ${status} now (replaced, refunded or used since it was reported), so nothing more is owed for it; reject the complaint`);

/** The complaint did not close in the batch that was to compensate it: closed by someone else, or its right moved on. */
async function notClosed(env: Env, complaint: ComplaintRow): Promise<never> {
  const now = await getComplaint(env.DB, complaint.tenant_id, complaint.id);
  const right = now?.status === "open" ? await getVoucherRow(env.DB, complaint.tenant_id, complaint.voucher_id) : null;
  if (right && right.status !== "issued") throw notCompensable(right.status);
  throw ApiError.conflict("complaint_closed", "This complaint was already resolved");
}

async function replace(env: Env, complaint: ComplaintRow, old: VoucherRow): Promise<ComplaintRow | null> {
  const db = env.DB;
  const t = complaint.tenant_id;
  const product = await getProductRow(db, t, old.product_id);
  if (!product || (product.kind !== "card_key" && product.kind !== "coupon")) return null;
  const input = IssueVoucherInput.parse({
    tenantId: t,
    holderId: old.holder_id,
    productId: old.product_id,
    sourceKey: `replace:${old.id}`,
    orderId: old.order_id,
    campaignId: old.campaign_id,
    meta: { replaces: old.id, complaintId: complaint.id },
  });
  // Card keys are reserved under a pseudo order named after the complaint, then delivered in the same batch.
  const holdId = `comp:${complaint.id}`;
  let key = null;
  if (product.kind === "card_key") {
    await reserveCardKeys(db, t, product.id, holdId, 1, new Date(Date.now() + 5 * 60_000).toISOString());
    key = (await reservedKeysOfOrder(db, t, holdId, product.id))[0] ?? null;
    if (!key) return null; // out of stock: the caller refunds instead
  }
  const row = await buildVoucherRow(env, input, product, key);
  // The complaint closes only while the old right is still unused, and everything else in the batch only once it
  // closed here: a ticket or a refund that took the right meanwhile leaves no second key behind.
  const replacedHere = { sql: "EXISTS (SELECT 1 FROM complaints WHERE tenant_id = ? AND id = ? AND replacement_voucher_id = ?)", args: [t, complaint.id, row.id] };
  const results = await db.batch([
    resolveComplaintStmt(db, t, complaint.id, { status: "replaced", replacementVoucherId: row.id, replacementCode: row.code }, voucherIs(t, old.id, "issued")),
    ...(key ? [deliverKeyStmt(db, t, holdId, key.id, replacedHere)] : []),
    insertVoucherStmt(db, row, replacedHere),
    moveIssuedVoucherStmt(db, t, old.id, "voided", replacedHere),
    // In the ledger's order: the old voucher voided, compensated, then the replacement issued and delivered.
    ...eventRows(env, [{ eventId: `evv_${old.id}`, tenantId: t, type: "voucher_voided", actor: { userId: old.holder_id }, payload: { voucherId: old.id, productId: old.product_id, campaignId: old.campaign_id, kind: old.kind, reason: "compensation", complaintId: complaint.id } }], replacedHere),
    ...eventRows(env, [compensatedEvent(complaint, "replace", null, row.id)], complaintIs(t, complaint.id, "replaced")),
    ...eventRows(env, [voucherIssuedEvent(row, { replaces: old.id })], voucherInserted(row)),
  ]);
  const closed = results[0]!.results[0] as ComplaintRow | undefined;
  if (!closed) {
    if (key) await releaseOrderKeysStmt(db, t, holdId).run();
    return notClosed(env, complaint);
  }
  return closed;
}

async function refund(env: Env, complaint: ComplaintRow, v: VoucherRow): Promise<ComplaintRow> {
  const db = env.DB;
  const t = complaint.tenant_id;
  const order = v.order_id ? await getOrderRow(db, t, v.order_id) : null;
  // What this right was paid: its share of the order's amount after coupons (not the list price; the cents that do not
  // divide go to the first rights refunded, so the shares add up to the charge), and never more than the charge has
  // left after earlier refunds (a goodwill refund, another right's refund).
  const left = order ? await refundableOf(db, t, order.id) : null;
  const amount = order && left ? Math.max(0, Math.min(shareOf(order.amount_cents, Math.max(1, order.quantity), left.refunded_units), left.refundable)) : 0;
  const charge = order ? await getChargeOfOrder(db, t, order.id) : null;
  const moneyMoved = !!(order && charge && charge.status === "succeeded" && amount > 0);
  const refundId = `rfc_${complaint.id}`;
  // The complaint closes and its right is taken back in one step, only while the right is still unused: a ticket's
  // replacement or an order refund that took it meanwhile is not paid out a second time. The refund row is reserved
  // in the same step, owing its record: a crash after it leaves it for the cron to pay and record (finishCompensationRefunds).
  const [claimed] = await db.batch([
    resolveComplaintStmt(db, t, complaint.id, { status: "refunded", refundCents: amount }, voucherIs(t, v.id, "issued")),
    moveIssuedVoucherStmt(db, t, v.id, "refunded", complaintIs(t, complaint.id, "refunded")),
    ...(moneyMoved ? [reserveOwedRefundStmt(db, charge!, refundId, amount, "compensation", complaintIs(t, complaint.id, "refunded"))] : []),
  ]);
  const closed = claimed!.results[0] as ComplaintRow | undefined;
  if (!closed) return notClosed(env, complaint);
  if (moneyMoved) {
    const outcome = await refundCharge(env, charge!, amount, "compensation", refundId);
    if (outcome !== "succeeded" && outcome !== "processing") {
      // Money did not move: the right goes back to the buyer and the complaint reopens for the brand to handle by hand.
      await db.batch(giveBackStmts(db, t, complaint.id, v.id, refundId));
      return (await getComplaint(db, t, complaint.id))!;
    }
    // Not heard from the gateway: recorded by the cron once the gateway has taken it (finishCompensationRefunds).
    const row = await getPaymentById(db, refundId);
    if (!row || !gatewayAnswered(row)) return closed;
  }
  await recordRefund(env, closed, v, order, moneyMoved ? refundId : null);
  return closed;
}

/** A compensation refund that did not move money: the right comes back, the complaint reopens, nothing is owed. */
function giveBackStmts(db: D1Database, t: string, complaintId: string, voucherId: string, refundId: string) {
  return [
    unrefundVouchersStmt(db, t, [voucherId]), reopenComplaintStmt(db, t, complaintId),
    voidOwedRefundStmt(db, t, refundId),
  ];
}

/**
 * The record of a complaint refunded (voucher_refunded, voucher_compensated, and, when money moved, the order's part
 * refund), once: with a refund, guarded on this run having taken its owed follow-up (the request, or the cron after a crash).
 */
async function recordRefund(env: Env, complaint: ComplaintRow, v: VoucherRow, order: OrderRow | null, refundId: string | null) {
  const db = env.DB;
  const t = complaint.tenant_id;
  const amount = complaint.refund_cents ?? 0;
  const run = newId("fu");
  const mine = refundId ? followUpTaken(t, refundId, run) : null;
  await db.batch([
    ...(refundId ? [takeFollowUpStmt(db, t, refundId, run)] : []),
    ...eventRows(env, [{ eventId: `evr_${v.id}`, tenantId: t, type: "voucher_refunded", actor: { userId: v.holder_id }, payload: { voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind, amountCents: amount, reason: "compensation", complaintId: complaint.id } }], allOf(voucherIs(t, v.id, "refunded"), mine)),
    ...eventRows(env, [compensatedEvent(complaint, "refund", amount)], allOf(complaintIs(t, complaint.id, "refunded"), mine)),
    // The last money of the order went back: the order is refunded (member growth and points with it, once), as
    // when console refunds add up to the charge.
    ...(refundId && order ? await orderRefundedStmts(env, order, amount, refundId, mine!) : []),
  ]);
  if (refundId && order && (await getOrderRow(db, t, order.id))?.status === "refunded") await afterLastPart(env, order);
}

/**
 * Cron: compensation refunds a crash left between the complaint's closing and its record (reserved over two minutes
 * ago). One the gateway refused, or never asked and given up, gives the right back and reopens the complaint; one it
 * took is recorded; one it never answered waits for pollPendingRefunds to ask it under the same id.
 */
export async function finishCompensationRefunds(env: Env, limit = 20): Promise<number> {
  const db = env.DB;
  let finished = 0;
  for (const refund of await owedFollowUps(db, new Date(Date.now() - 120_000).toISOString(), limit, "rfc\\_%")) {
    const t = refund.tenant_id;
    const complaint = await getComplaint(db, t, refund.id.slice("rfc_".length));
    const v = complaint ? await getVoucherRow(db, t, complaint.voucher_id) : null;
    if (!complaint || !v) continue;
    if (refund.status === "failed") await db.batch(giveBackStmts(db, t, complaint.id, v.id, refund.id));
    else if (!gatewayAnswered(refund)) continue; // never asked or its answer lost: pollPendingRefunds asks first
    else await recordRefund(env, complaint, v, await getOrderRow(db, t, refund.order_id), refund.id);
    finished++;
  }
  return finished;
}

/** A compensation refund is a part of the order's refund (order_partially_refunded, as the console's), and the last part refunds the order. */
async function orderRefundedStmts(env: Env, order: OrderRow, amount: number, refundId: string, mine: SqlGuard): Promise<D1PreparedStatement[]> {
  const t = order.tenant_id;
  return [
    ...eventRows(env, [{
      eventId: `evopr_${refundId}`, tenantId: t, type: "order_partially_refunded", actor: { userId: order.buyer_id },
      payload: { orderId: order.id, productId: order.product_id, campaignId: order.campaign_id, refundId, amountCents: amount, units: 1, reason: "compensation" },
    }], mine),
    orderFullyRefundedStmt(env.DB, t, order.id),
    ...(await lastPartStmts(env, order, refundId, "compensation", null, mine)),
  ];
}

function compensatedEvent(c: ComplaintRow, action: string, amountCents: number | null, replacementVoucherId: string | null = null): EventInput {
  return {
    eventId: `evc_${c.id}`,
    tenantId: c.tenant_id,
    type: "voucher_compensated",
    actor: { userId: c.holder_id },
    payload: { voucherId: c.voucher_id, productId: c.product_id, complaintId: c.id, action, amountCents, problem: c.problem, ...(replacementVoucherId ? { replacementVoucherId } : {}) },
  };
}

/** A holder rates their voucher (again: the new rating replaces the old); voucher_rated is recorded with it. */
export async function rateVoucher(env: Env, tenantId: string, holderId: string, code: string, input: z.infer<typeof RateVoucherInput>) {
  const v = await getVoucherByCode(env.DB, tenantId, code);
  if (!v || v.holder_id !== holderId) throw ApiError.notFound("Voucher");
  const rated = eventRows(env, [{ tenantId, type: "voucher_rated", actor: { userId: holderId }, payload: { voucherId: v.id, productId: v.product_id, stars: input.stars } }]);
  const r = await upsertRating(env.DB, { tenantId, voucherId: v.id, voucherCode: v.code, holderId, productId: v.product_id, ...input }, rated);
  return { voucherCode: r.voucher_code, productId: r.product_id, stars: r.stars, comment: r.comment, createdAt: r.created_at };
}

export async function complaintsOf(env: Env, tenantId: string, status?: ComplaintRow["status"]): Promise<Complaint[]> {
  return (await listComplaints(env.DB, tenantId, status)).map(toComplaint);
}

/** The operator's decision on an open complaint. */
export async function resolveComplaint(
  env: Env, tenantId: string, complaintId: string, action: z.infer<typeof ResolveComplaintInput>["action"], mayRefund: boolean,
): Promise<Complaint> {
  const row = await getComplaint(env.DB, tenantId, complaintId);
  if (!row) throw ApiError.notFound("Complaint");
  if (row.status !== "open") throw ApiError.conflict("complaint_closed", "This complaint was already resolved");
  return toComplaint(await compensate(env, row, action, mayRefund));
}

export async function compensationPolicies(env: Env, tenantId: string) {
  const rows = await listPolicies(env.DB, tenantId);
  const brand = rows.find((r) => r.product_id === "*");
  const products = rows.filter((r) => r.product_id !== "*");
  return {
    default: brand?.policy ?? ("manual" as const),
    products: Object.fromEntries(products.map((r) => [r.product_id, r.policy])),
    maxReplacements: {
      default: brand?.max_replacements ?? COMPENSATION.maxReplacements,
      products: Object.fromEntries(products.map((r) => [r.product_id, r.max_replacements])),
    },
  };
}

export async function setCompensationPolicy(env: Env, tenantId: string, input: z.infer<typeof SetCompensationPolicyInput>) {
  if (input.productId && !(await getProductRow(env.DB, tenantId, input.productId))) throw ApiError.notFound("Product");
  await setPolicy(env.DB, tenantId, input.productId, input.policy, input.maxReplacements ?? null);
  return compensationPolicies(env, tenantId);
}
