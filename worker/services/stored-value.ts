/**
 * Stored-value card (储值卡): plans, loads (a paid plan order credits principal + bonus once), spends at checkout (in
 * the order's own batch, services/orders.ts), store charges by a redeemer key, returns of an order's balance part.
 * Every change: movement + account update + stored_value_changed in one batch (db/stored-value.ts).
 */
import type { Balance, Movement, Plan, PlanInput, StoreCharge, StoreChargeInput, Wallet } from "../../schema/stored-value";
import { newId, sha256Hex } from "../domain/crypto";
import { canonicalJson } from "../domain/ledger";
import { loadRefund, signMemberCode, STORED_VALUE_SOURCE, verifyMemberCode, type Split } from "../domain/stored-value";
import { memberById, memberByBuyer } from "../db/members";
import { markDeliveredStmt } from "../db/fulfilment";
import { settleHoldsStmts, type OrderRow } from "../db/orders";
import type { ProductRow } from "../db/products";
import type { SqlGuard } from "../db/statements";
import { getKeySettings, getStore } from "../db/stores";
import {
  accountById, accountByMember, accountsWithExpiredBonus, applyMovementStmt, clearBonusExpiryStmt, expireBonusMovementStmt, setBonusExpiryStmt, creditMovementStmt, debitMovementStmt, ensureAccountStmt, insertPlanProductStmt, insertPlanStmt,
  liability, listPlans, markOrderStoredValueStmt, movementById, movementBySource, movementInserted, movementsOfAccount, planById, refundLoadMovementStmt, returnOrderMovementStmt,
  searchAccounts, setPlanStatus, type AccountRow, type MovementRow, type MovementSource, type PlanRow,
} from "../db/stored-value";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch, type EventInput } from "../queue/emit";
import { requireMember } from "./member-lookup";
import { checkoutPath, createOrder } from "./orders";

const codeSecret = (env: Pick<Env, "BUYER_SESSION_SECRET">) => `stored-value-code|${env.BUYER_SESSION_SECRET}`;

const toPlan = (r: PlanRow): Plan => ({
  id: r.id, name: r.name, payCents: r.pay_cents, bonusCents: r.bonus_cents, bonusValidDays: r.bonus_valid_days, creditCents: r.pay_cents + r.bonus_cents, productId: r.product_id, status: r.status, createdAt: r.created_at,
});

export const toBalance = (a: Pick<AccountRow, "principal_cents" | "bonus_cents"> | null): Balance => ({
  principalCents: a?.principal_cents ?? 0, bonusCents: a?.bonus_cents ?? 0, balanceCents: (a?.principal_cents ?? 0) + (a?.bonus_cents ?? 0),
});

const toMovement = (m: MovementRow): Movement => ({
  id: m.id, kind: m.kind, principalDeltaCents: m.principal_delta, bonusDeltaCents: m.bonus_delta, principalAfterCents: m.principal_after,
  bonusAfterCents: m.bonus_after, balanceAfterCents: m.principal_after + m.bonus_after, sourceKind: m.source_kind, sourceId: m.source_id,
  orderId: m.order_id, storeId: m.store_id, title: m.title ?? null, createdAt: m.created_at,
});

/** The plan id a product sells, when it is a plan's hidden product. */
export function storedValuePlanOf(product: Pick<ProductRow, "kind" | "config">): string | null {
  if (product.kind !== "coupon" || !product.config.includes("storedValue")) return null;
  return (JSON.parse(product.config) as { storedValue?: { planId?: string } }).storedValue?.planId ?? null;
}

// ── Events ────────────────────────────────────────────────────────────────────────────────────────────────────

/** stored_value_changed for a movement of this batch: recorded only if that movement was inserted; amounts from its row. */
function changedEventRows(env: Env, tenantId: string, movementId: string, memberId: string, buyerId: string | null, s: MovementSource, apiKeyId: string | null = null) {
  const event: EventInput = {
    eventId: `evsv_${s.kind.slice(0, 3)}_${s.sourceId}`.slice(0, 64),
    tenantId,
    type: "stored_value_changed",
    actor: { userId: buyerId, apiKeyId },
    payload: { memberId, accountId: "-", kind: s.kind, amountCents: 0, bonusCents: 0, balanceCents: 0, sourceKind: s.sourceKind, sourceId: s.sourceId, orderId: s.orderId ?? null, storeId: s.storeId ?? null },
  };
  const of = (expr: string) => ({ sql: `SELECT ${expr} FROM stored_value_movements WHERE id = ?`, args: [movementId] });
  return eventRows(env, [event], movementInserted(movementId), [
    { path: "$.payload.accountId", ...of("account_id") },
    { path: "$.payload.amountCents", ...of("ABS(principal_delta + bonus_delta)") },
    { path: "$.payload.bonusCents", ...of("ABS(bonus_delta)") },
    { path: "$.payload.balanceCents", ...of("principal_after + bonus_after") },
  ]);
}

// ── Plans (operator) ───────────────────────────────────────────────────────────────────────────────────────────

export async function createPlan(env: Env, tenantId: string, input: PlanInput): Promise<Plan> {
  const id = newId("svp");
  const productId = newId("prd");
  const yuan = (c: number) => (c / 100).toFixed(c % 100 ? 2 : 0);
  const [, inserted] = await env.DB.batch([
    insertPlanProductStmt(env.DB, tenantId, productId, `储值卡 ${input.name}（充${yuan(input.payCents)}得${yuan(input.payCents + input.bonusCents)}）`, input.payCents, input.payCents + input.bonusCents, id),
    insertPlanStmt(env.DB, { id, tenant_id: tenantId, name: input.name, pay_cents: input.payCents, bonus_cents: input.bonusCents, bonus_valid_days: input.bonusValidDays, product_id: productId }),
  ]);
  return toPlan(inserted!.results[0] as PlanRow);
}

export async function plansOf(env: Env, tenantId: string): Promise<Plan[]> {
  return (await listPlans(env.DB, tenantId, false)).map(toPlan);
}

export async function setPlanActive(env: Env, tenantId: string, planId: string, active: boolean): Promise<Plan> {
  const row = await setPlanStatus(env.DB, tenantId, planId, active ? "active" : "archived");
  if (!row) throw ApiError.notFound("Plan");
  return toPlan(row);
}

// ── The member's wallet ────────────────────────────────────────────────────────────────────────────────────────

export async function walletOf(env: Env, tenantId: string, buyerId: string): Promise<Wallet> {
  const member = await requireMember(env, tenantId, buyerId);
  const [account, plans] = await Promise.all([accountByMember(env.DB, tenantId, member.id), listPlans(env.DB, tenantId, true)]);
  const movements = account ? await movementsOfAccount(env.DB, tenantId, account.id) : [];
  return { memberId: member.id, cardNo: member.card_no, balance: toBalance(account), bonusExpiresAt: account?.bonus_expires_at ?? null, plans: plans.map(toPlan), movements: movements.map(toMovement) };
}

/** What a top-up order put into the card (principal and bonus), or null while it is not credited. */
export async function loadOfOrder(env: Env, tenantId: string, orderId: string) {
  const load = await movementBySource(env.DB, tenantId, "loaded", "order", orderId);
  return load ? { principalCents: load.principal_delta, bonusCents: load.bonus_delta } : null;
}

/** Buying a plan is an order of its hidden product, paid through the ordinary gateway. */
export async function buyPlan(env: Env, tenantId: string, buyerId: string, planId: string, idempotencyKey: string) {
  await requireMember(env, tenantId, buyerId);
  const plan = await planById(env.DB, tenantId, planId);
  if (!plan || plan.status !== "active") throw ApiError.notFound("Plan");
  const res = await createOrder(env, { tenantId, buyerId, productId: plan.product_id, idempotencyKey, requirePublished: false, source: STORED_VALUE_SOURCE });
  return { created: res.created, orderId: res.order.id, status: res.order.status, amountCents: res.order.amount_cents, checkoutUrl: res.paymentId && res.order.status === "created" ? checkoutPath(res.paymentId) : null };
}

export async function memberCodeFor(env: Env, tenantId: string, buyerId: string) {
  const member = await requireMember(env, tenantId, buyerId);
  return signMemberCode(codeSecret(env), tenantId, member.id);
}

// ── Loads (from services/fulfilment.ts deliverOrder) ───────────────────────────────────────────────────────────

/**
 * Delivers a paid plan order: principal (what was paid) + the plan's bonus credited, the order delivered, and
 * stored_value_changed + order_delivered recorded — one batch, the credit once per order (UNIQUE loaded/order/<id>).
 * Null when it cannot be delivered (the caller fails and refunds it).
 */
export async function deliverLoad(env: Env, order: OrderRow, planId: string): Promise<OrderRow | null> {
  const db = env.DB;
  const t = order.tenant_id;
  const [plan, member] = await Promise.all([planById(db, t, planId), memberByBuyer(db, t, order.buyer_id)]);
  if (!plan || !member) return null;
  const mid = newId("svm");
  const source: MovementSource = { kind: "loaded", sourceKind: "order", sourceId: order.id, orderId: order.id };
  const paid: SqlGuard = { sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'paid')", args: [t, order.id] };
  const principal = order.amount_cents - (order.stored_value_cents ?? 0);
  const stmts = [
    ensureAccountStmt(db, t, member.id),
    creditMovementStmt(db, mid, t, member.id, principal, plan.bonus_cents * order.quantity, source, paid),
    applyMovementStmt(db, mid),
    ...(plan.bonus_cents > 0 ? [setBonusExpiryStmt(db, mid, plan.bonus_valid_days ? new Date(Date.now() + plan.bonus_valid_days * 86_400_000).toISOString() : null)] : []),
    ...settleHoldsStmts(db, t, order.id, "sold"),
    markDeliveredStmt(db, t, order.id, 0),
  ];
  const deliveredAt = stmts.length - 1;
  stmts.push(
    ...eventRows(env, [{ eventId: `evd_${order.id}`, tenantId: t, type: "order_delivered", actor: { userId: order.buyer_id }, payload: { orderId: order.id, productId: order.product_id, vouchers: 0, source: order.source, campaignId: order.campaign_id } }], {
      sql: "EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'delivered')", args: [t, order.id],
    }),
    ...changedEventRows(env, t, mid, member.id, order.buyer_id, source),
  );
  const results = await db.batch(stmts);
  return (results[deliveredAt]!.results[0] as OrderRow | undefined) ?? null;
}

/**
 * The operator refunds a load order: its unspent principal (paid back by the caller) and the bonus forfeited in
 * proportion leave the account in one guarded batch, once per order. Null when the balance changed meanwhile.
 */
export async function takeLoadRefund(env: Env, order: OrderRow, byKeyId: string): Promise<Split | null> {
  const db = env.DB;
  const t = order.tenant_id;
  const done = await movementBySource(db, t, "refunded", "order", order.id);
  if (done) return { principalCents: -done.principal_delta, bonusCents: -done.bonus_delta };
  const load = await movementBySource(db, t, "loaded", "order", order.id);
  if (!load) return { principalCents: 0, bonusCents: 0 }; // never credited: nothing to take back
  const account = (await accountById(db, t, load.account_id))!;
  const split = loadRefund({ principalCents: account.principal_cents, bonusCents: account.bonus_cents }, { principalCents: load.principal_delta, bonusCents: load.bonus_delta });
  const mid = newId("svm");
  const source: MovementSource = { kind: "refunded", sourceKind: "order", sourceId: order.id, orderId: order.id };
  await db.batch([
    refundLoadMovementStmt(db, mid, t, account.member_id, split.principalCents, split.bonusCents, order.id),
    applyMovementStmt(db, mid),
    ...changedEventRows(env, t, mid, account.member_id, order.buyer_id, source, byKeyId),
  ]);
  const row = await movementBySource(db, t, "refunded", "order", order.id);
  return row ? { principalCents: -row.principal_delta, bonusCents: -row.bonus_delta } : null;
}

// ── Checkout (from services/orders.ts placeStmts) ──────────────────────────────────────────────────────────────

export interface CheckoutDebit {
  memberId: string;
  cents: number;
  movementId: string;
}

/** The balance part of an order taken in the order's own batch, after `placed` (the order inserted with its stock). */
export function checkoutDebitStmts(env: Env, tenantId: string, orderId: string, buyerId: string, debit: CheckoutDebit, placed: SqlGuard): D1PreparedStatement[] {
  const source: MovementSource = { kind: "spent", sourceKind: "order", sourceId: orderId, orderId };
  return [
    debitMovementStmt(env.DB, debit.movementId, tenantId, debit.memberId, debit.cents, source, placed),
    applyMovementStmt(env.DB, debit.movementId),
    markOrderStoredValueStmt(env.DB, tenantId, orderId, debit.movementId, debit.cents),
    ...changedEventRows(env, tenantId, debit.movementId, debit.memberId, buyerId, source),
  ];
}

export async function checkoutDebited(env: Env, tenantId: string, debit: CheckoutDebit): Promise<boolean> {
  return (await movementById(env.DB, tenantId, debit.movementId)) !== null;
}

/** The member paying with their balance at checkout (403 not_a_member otherwise). */
export async function checkoutPayer(env: Env, tenantId: string, buyerId: string, cents: number): Promise<CheckoutDebit> {
  const member = await requireMember(env, tenantId, buyerId);
  return { memberId: member.id, cents, movementId: newId("svm") };
}

/**
 * Gives an order's balance part back (cancelled, expired, refunded), once, with its event; nothing when the order
 * took none. For the batch that closes the order, guarded on its new status.
 */
export function returnOrderBalanceStmts(env: Env, tenantId: string, orderId: string, guard: SqlGuard): D1PreparedStatement[] {
  const mid = newId("svm");
  const source: MovementSource = { kind: "returned", sourceKind: "order", sourceId: orderId, orderId };
  const memberOf = { sql: "SELECT a.member_id FROM stored_value_movements m JOIN stored_value_accounts a ON a.id = m.account_id WHERE m.id = ?", args: [mid] };
  return [
    returnOrderMovementStmt(env.DB, mid, tenantId, orderId, guard),
    applyMovementStmt(env.DB, mid),
    ...eventRows(env, [{
      eventId: `evsv_ret_${orderId}`, tenantId, type: "stored_value_changed",
      payload: { memberId: "-", accountId: "-", kind: "returned", amountCents: 0, bonusCents: 0, balanceCents: 0, sourceKind: "order", sourceId: orderId, orderId },
    }], movementInserted(mid), [
      { path: "$.payload.memberId", ...memberOf },
      { path: "$.payload.accountId", sql: "SELECT account_id FROM stored_value_movements WHERE id = ?", args: [mid] },
      { path: "$.payload.amountCents", sql: "SELECT principal_delta + bonus_delta FROM stored_value_movements WHERE id = ?", args: [mid] },
      { path: "$.payload.bonusCents", sql: "SELECT bonus_delta FROM stored_value_movements WHERE id = ?", args: [mid] },
      { path: "$.payload.balanceCents", sql: "SELECT principal_after + bonus_after FROM stored_value_movements WHERE id = ?", args: [mid] },
    ]),
  ];
}

// ── Store charges (merchant console, redeemer key) ─────────────────────────────────────────────────────────────

export interface ChargeCaller {
  tenantId: string;
  apiKeyId: string;
}

/**
 * Takes an amount from the member named by a pay-at-store code. Idempotent per redeemer key + Idempotency-Key (the
 * movement's source id): a retry answers the first charge; the same key with another body is refused. Exact under
 * concurrency: the debit's WHERE refuses a short balance inside the transaction.
 */
export async function chargeAtStore(env: Env, caller: ChargeCaller, input: StoreChargeInput, idempotencyKey: string): Promise<{ charge: StoreCharge; replayed: boolean }> {
  const { tenantId, apiKeyId } = caller;
  const db = env.DB;
  const sourceId = (await sha256Hex(`${apiKeyId}|${idempotencyKey}`)).slice(0, 40);
  const requestHash = await sha256Hex(canonicalJson(input));
  const prior = await movementBySource(db, tenantId, "charged", "store_charge", sourceId);
  if (prior) return { charge: await priorCharge(env, tenantId, prior, requestHash), replayed: true };

  const settings = await getKeySettings(db, tenantId, apiKeyId);
  if (settings.suspendedAt) throw new ApiError(403, "key_suspended", "This redeemer key is suspended");
  const storeId = settings.storeId ?? input.storeId;
  if (!storeId) throw ApiError.badRequest("store_required", "storeId is required for a key not bound to a store");
  if (settings.storeId && input.storeId && input.storeId !== settings.storeId) throw ApiError.forbidden("This redeemer key is bound to another store");
  if (!(await getStore(db, tenantId, storeId))) throw ApiError.notFound("Store");

  const check = await verifyMemberCode(codeSecret(env), tenantId, input.code);
  if (!check.ok) {
    throw new ApiError(check.code === "member_code_expired" ? 410 : 404, check.code, check.code === "member_code_expired"
      ? "付款码已过期，请会员刷新 / The member's code expired: ask them to refresh it"
      : "不是有效的会员付款码 / Not a valid member pay code");
  }
  const member = await memberById(db, tenantId, check.memberId);
  if (!member) throw ApiError.notFound("Member");
  const mid = newId("svm");
  const source: MovementSource = { kind: "charged", sourceKind: "store_charge", sourceId, storeId, requestHash };
  await db.batch([
    debitMovementStmt(db, mid, tenantId, member.id, input.amountCents, source),
    applyMovementStmt(db, mid),
    ...changedEventRows(env, tenantId, mid, member.id, member.buyer_id, source, apiKeyId),
  ]);
  const row = await movementBySource(db, tenantId, "charged", "store_charge", sourceId);
  if (!row) {
    const account = await accountByMember(db, tenantId, member.id);
    throw new ApiError(409, "insufficient_balance", `余额不足：可用 ¥${(toBalance(account).balanceCents / 100).toFixed(2)} / Balance too low`);
  }
  // A concurrent retry under the same key may have won: answer its charge.
  return { charge: await priorCharge(env, tenantId, row, requestHash), replayed: row.id !== mid };
}

async function priorCharge(env: Env, tenantId: string, m: MovementRow, requestHash: string): Promise<StoreCharge> {
  if (m.request_hash !== requestHash) throw ApiError.conflict("idempotency_mismatch", "This Idempotency-Key was used with another request");
  const account = (await accountById(env.DB, tenantId, m.account_id))!;
  const member = (await memberById(env.DB, tenantId, account.member_id))!;
  return {
    movementId: m.id, memberId: member.id, cardNo: member.card_no, storeId: m.store_id!, amountCents: -(m.principal_delta + m.bonus_delta),
    bonusCents: -m.bonus_delta, principalCents: -m.principal_delta,
    balance: { principalCents: m.principal_after, bonusCents: m.bonus_after, balanceCents: m.principal_after + m.bonus_after }, createdAt: m.created_at,
  };
}

/** Cron: the bonus left on accounts past their bonus expiry goes ('expired' + event), once per account and expiry. */
export async function expireStoredValueBonuses(env: Env, now = new Date().toISOString()): Promise<number> {
  let expired = 0;
  for (const a of await accountsWithExpiredBonus(env.DB, now)) {
    const mid = newId("svm");
    const member = await memberById(env.DB, a.tenant_id, a.member_id);
    const source: MovementSource = { kind: "expired", sourceKind: "bonus_expiry", sourceId: `${a.id}:${a.bonus_expires_at}` };
    await env.DB.batch([
      expireBonusMovementStmt(env.DB, mid, a),
      applyMovementStmt(env.DB, mid),
      clearBonusExpiryStmt(env.DB, mid),
      ...changedEventRows(env, a.tenant_id, mid, a.member_id, member?.buyer_id ?? null, source),
    ]);
    if (await movementById(env.DB, a.tenant_id, mid)) expired++;
  }
  if (expired) await scheduleDispatch(env);
  return expired;
}

// ── Operator reads ─────────────────────────────────────────────────────────────────────────────────────────────

export async function accountsOf(env: Env, tenantId: string, q: string | undefined, limit: number) {
  return (await searchAccounts(env.DB, tenantId, q, limit)).map((a) => ({ accountId: a.id, memberId: a.member_id, cardNo: a.card_no, balance: toBalance(a), updatedAt: a.updated_at }));
}

export async function accountDetail(env: Env, tenantId: string, memberId: string) {
  const [account] = await searchAccounts(env.DB, tenantId, memberId, 1);
  if (!account) throw ApiError.notFound("Account");
  const movements = await movementsOfAccount(env.DB, tenantId, account.id, 200);
  return { account: { accountId: account.id, memberId: account.member_id, cardNo: account.card_no, balance: toBalance(account), updatedAt: account.updated_at }, movements: movements.map(toMovement) };
}

export async function liabilityOf(env: Env, tenantId: string) {
  const r = (await liability(env.DB, tenantId))!;
  return { principalCents: r.principal, bonusCents: r.bonus, totalCents: r.principal + r.bonus, accounts: r.accounts };
}
