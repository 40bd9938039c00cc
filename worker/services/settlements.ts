import type { z } from "@hono/zod-openapi";
import { MONEY_REFUND_REVERSED, REFUND_REVERSED } from "../domain/refund-reversal";
import type { LedgerEntry } from "../../schema/ledger";
import type { ClosePeriodInput, SettlementAgreement, SettlementAgreementInput, SettlementEntry, SettlementStatement, SettlementStatementBody, SettlementTerms } from "../../schema/settlements";
import { newId, randomToken, sha256Hex, timingSafeEqual } from "../domain/crypto";
import { GENESIS_HASH } from "../domain/ledger";
import { computeLines, nextPeriod, periodOf, previousPeriod, settlementSigner, statementCsvRows, type Period } from "../domain/settlement";
import { chinaDay } from "../domain/china-time";
import { toCsv } from "../domain/statement-csv";
import { listEntries } from "../db/ledger";
import { getProductRow } from "../db/products";
import { getTenant } from "../db/tenants";
import {
  acceptedGroups, agreementsOfParty, countedSales, decideAgreementStmt, getAgreement, getStatement, getStatementOfPeriod, groupAgreements,
  insertAgreementStmt, insertStatementStmts, lastStatementOfGroup, ordersByIds, overlappingAgreement, statementsOfParty,
  type AgreementRow, type StatementRow,
} from "../db/settlements";
import { ApiError } from "../errors";
import { eventRows, type EventInput } from "../queue/emit";
import { dispatchEvents, withDispatchLease } from "../queue/dispatch";

type SEnv = Pick<Env, "DB" | "EVENTS" | "TENANT_LEDGER" | "SETTLEMENT_SIGNING_KEY">;
type Group = { seller_tenant_id: string; issuer_key: string; period_kind: "month" | "week" };

/** How many periods one close may catch up on (a group left unclosed for years is closed over several calls). */
const CATCH_UP = 60;
const PAGE = 2000;

export async function settlementPublicKey(env: Pick<Env, "SETTLEMENT_SIGNING_KEY">) {
  const s = await signer(env);
  return { alg: "Ed25519" as const, keyId: s.keyId, publicKey: s.publicKey };
}

async function signer(env: Pick<Env, "SETTLEMENT_SIGNING_KEY">) {
  if (!env.SETTLEMENT_SIGNING_KEY) throw new ApiError(503, "settlement_key_missing", "SETTLEMENT_SIGNING_KEY is not configured");
  return settlementSigner(env.SETTLEMENT_SIGNING_KEY);
}

function toAgreement(r: AgreementRow, tenantId: string, productName: string, sellerName: string): SettlementAgreement {
  return {
    id: r.id,
    sellerTenantId: r.seller_tenant_id,
    sellerName,
    productId: r.product_id,
    productName,
    issuer: { kind: r.issuer_kind, id: r.issuer_id, name: r.issuer_name },
    share: r.share_kind === "bps" ? { kind: "bps", bps: r.share_bps ?? 0 } : { kind: "per_unit", unitCostCents: r.unit_cost_cents ?? 0 },
    periodKind: r.period_kind,
    effectiveFrom: r.effective_from,
    effectiveTo: r.effective_to,
    status: r.status,
    role: r.seller_tenant_id === tenantId ? "seller" : "issuer",
    proposedAt: r.proposed_at,
    decidedAt: r.decided_at,
  };
}

const productName = async (db: D1Database, r: Pick<AgreementRow, "seller_tenant_id" | "product_id">) => (await getProductRow(db, r.seller_tenant_id, r.product_id))?.name ?? r.product_id;
const sellerName = async (db: D1Database, r: Pick<AgreementRow, "seller_tenant_id">) => (await getTenant(db, r.seller_tenant_id))?.name ?? r.seller_tenant_id;

async function view(db: D1Database, r: AgreementRow, viewer: string): Promise<SettlementAgreement> {
  return toAgreement(r, viewer, await productName(db, r), await sellerName(db, r));
}

/** The parties' tenants (the issuer's only when it is one): each side's event stream records the change. */
function partyEvents(r: AgreementRow, make: (tenantId: string, suffix: string) => EventInput): EventInput[] {
  return [make(r.seller_tenant_id, "s"), ...(r.issuer_kind === "tenant" ? [make(r.issuer_id, "i")] : [])];
}

export async function proposeAgreement(env: SEnv, sellerId: string, input: z.output<typeof SettlementAgreementInput>, apiKeyId: string | null): Promise<SettlementAgreement> {
  const product = await getProductRow(env.DB, sellerId, input.productId);
  if (!product) throw ApiError.notFound("Product");
  let issuer: { kind: "tenant" | "external"; id: string; name: string };
  if (input.issuer.kind === "tenant") {
    if (input.issuer.tenantId === sellerId) throw ApiError.badRequest("invalid_issuer", "The issuer must be another tenant", [{ path: "json.issuer.tenantId", message: "is the seller itself", code: "own_tenant" }]);
    const t = await getTenant(env.DB, input.issuer.tenantId);
    if (!t) throw ApiError.badRequest("invalid_issuer", "No such issuer tenant", [{ path: "json.issuer.tenantId", message: "unknown tenant", code: "unknown_tenant" }]);
    issuer = { kind: "tenant", id: t.id, name: t.name };
  } else issuer = { kind: "external", id: input.issuer.id, name: input.issuer.name };
  const clash = await overlappingAgreement(env.DB, sellerId, product.id, input.effectiveFrom, input.effectiveTo ?? null);
  if (clash) throw ApiError.conflict("agreement_overlap", `Agreement ${clash.id} already covers this product for part of these dates`);
  const token = issuer.kind === "external" ? randomToken(40) : null;
  const row = {
    id: newId("sag"),
    seller_tenant_id: sellerId,
    product_id: product.id,
    issuer_kind: issuer.kind,
    issuer_id: issuer.id,
    issuer_name: issuer.name,
    issuer_key: `${issuer.kind}:${issuer.id}`,
    share_kind: input.share.kind,
    share_bps: input.share.kind === "bps" ? input.share.bps : null,
    unit_cost_cents: input.share.kind === "per_unit" ? input.share.unitCostCents : null,
    period_kind: input.periodKind,
    effective_from: input.effectiveFrom,
    effective_to: input.effectiveTo ?? null,
    accept_token_hash: token ? await sha256Hex(token) : null,
  };
  const payload = { agreementId: row.id, productId: row.product_id, issuer: row.issuer_key, shareKind: row.share_kind, shareBps: row.share_bps, unitCostCents: row.unit_cost_cents, periodKind: row.period_kind };
  const [ins] = await env.DB.batch([
    insertAgreementStmt(env.DB, row),
    ...eventRows(env, partyEvents({ ...row, status: "proposed", proposed_at: "", decided_at: null }, (tenantId, s) => ({ eventId: `evsap_${row.id}_${s}`, tenantId, type: "settlement_agreement_proposed", actor: { apiKeyId }, payload }))),
  ]);
  const saved = ins!.results[0] as AgreementRow;
  return { ...(await view(env.DB, saved, sellerId)), ...(token ? { acceptToken: token } : {}) };
}

export async function listAgreements(env: SEnv, tenantId: string): Promise<SettlementAgreement[]> {
  const rows = await agreementsOfParty(env.DB, tenantId);
  return Promise.all(rows.map((r) => view(env.DB, r, tenantId)));
}

/** The issuer tenant's decision; the seller cannot accept its own proposal, and anyone else does not see it. */
export async function decideAgreement(env: SEnv, tenantId: string, id: string, decision: "accepted" | "rejected", apiKeyId: string | null) {
  const r = await getAgreement(env.DB, id);
  if (!r || (r.seller_tenant_id !== tenantId && r.issuer_key !== `tenant:${tenantId}`)) throw ApiError.notFound("Agreement");
  if (r.issuer_key !== `tenant:${tenantId}`) throw ApiError.forbidden("Only the issuer accepts or rejects an agreement");
  return decide(env, r, tenantId, decision, apiKeyId);
}

/** An external issuer (no kaquan key) accepts with the one-time token the seller handed it. */
export async function acceptExternal(env: SEnv, id: string, token: string) {
  const r = await getAgreement(env.DB, id);
  if (!r || r.issuer_kind !== "external" || !r.accept_token_hash || !timingSafeEqual(await sha256Hex(token), r.accept_token_hash)) throw ApiError.notFound("Agreement");
  return decide(env, r, r.seller_tenant_id, "accepted", null);
}

async function decide(env: SEnv, r: AgreementRow, viewer: string, decision: "accepted" | "rejected", apiKeyId: string | null) {
  if (r.status !== "proposed") throw ApiError.conflict("agreement_decided", `This agreement was already ${r.status}`);
  const payload = { agreementId: r.id, productId: r.product_id, issuer: r.issuer_key, decision };
  const [moved] = await env.DB.batch([
    decideAgreementStmt(env.DB, r.id, decision),
    ...eventRows(
      env,
      partyEvents(r, (tenantId, s) => ({ eventId: `evsad_${r.id}_${s}`, tenantId, type: "settlement_agreement_decided", actor: { apiKeyId }, payload })),
      { sql: "EXISTS (SELECT 1 FROM settlement_agreements WHERE id = ? AND status = ?)", args: [r.id, decision] },
    ),
  ]);
  const row = moved!.results[0] as AgreementRow | undefined;
  if (!row) throw ApiError.conflict("agreement_decided", "This agreement was already decided");
  return view(env.DB, row, viewer);
}

// ---- Statements ----

const groupOf = (a: AgreementRow): Group => ({ seller_tenant_id: a.seller_tenant_id, issuer_key: a.issuer_key, period_kind: a.period_kind });

/** Closes the period holding `day` (the previous one when absent) for the agreement's group, and any before it. */
export async function closeOnDemand(env: SEnv, tenantId: string, input: z.output<typeof ClosePeriodInput>, now = new Date()): Promise<SettlementStatement> {
  const a = await getAgreement(env.DB, input.agreementId);
  if (!a || (a.seller_tenant_id !== tenantId && a.issuer_key !== `tenant:${tenantId}`)) throw ApiError.notFound("Agreement");
  if (a.status !== "accepted") throw ApiError.conflict("agreement_not_accepted", "Nothing settles until the issuer accepts the agreement");
  const target = input.day ? periodOf(a.period_kind, input.day) : previousPeriod(a.period_kind, now);
  if (Date.parse(target.toUtc) > now.getTime()) throw ApiError.conflict("period_open", `The period ${target.start}..${target.end} has not ended yet`);
  const row = await closeThrough(env, groupOf(a), target, now);
  if (!row) throw ApiError.conflict("before_agreements", `The period ${target.start}..${target.end} is before any accepted agreement of this issuer`);
  return toStatement(row);
}

/** Cron: every group's previous period (and any earlier one left open). Returns the statements this run closed. */
export async function closeDueSettlements(env: SEnv, now = new Date()): Promise<string[]> {
  if (!env.SETTLEMENT_SIGNING_KEY) return [];
  const closed: string[] = [];
  for (const g of await acceptedGroups(env.DB)) {
    try {
      const before = await lastStatementOfGroup(env.DB, g.seller_tenant_id, g.issuer_key, g.period_kind);
      const row = await closeThrough(env, g, previousPeriod(g.period_kind, now), now);
      if (row && row.id !== before?.id) closed.push(row.id);
    } catch (e) {
      console.error(JSON.stringify({ at: "settlement-cron", seller: g.seller_tenant_id, issuer: g.issuer_key, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return closed;
}

/** Closes the group's periods in order up to `target`; the target's statement (null if it precedes every agreement). */
async function closeThrough(env: SEnv, g: Group, target: Period, now: Date): Promise<StatementRow | null> {
  const existing = await getStatementOfPeriod(env.DB, g.seller_tenant_id, g.issuer_key, g.period_kind, target.start);
  if (existing) return existing;
  const agreements = await groupAgreements(env.DB, g.seller_tenant_id, g.issuer_key, g.period_kind);
  if (!agreements.length) return null;
  const last = await lastStatementOfGroup(env.DB, g.seller_tenant_id, g.issuer_key, g.period_kind);
  let p = last ? nextPeriod(periodOf(g.period_kind, last.period_start)) : periodOf(g.period_kind, agreements.map((a) => a.effective_from).sort()[0]!);
  if (p.start > target.start) return last && last.period_start >= target.start ? getStatementOfPeriod(env.DB, g.seller_tenant_id, g.issuer_key, g.period_kind, target.start) : null;
  let row: StatementRow | null = null;
  for (let i = 0; i < CATCH_UP && p.start <= target.start; i++, p = nextPeriod(p)) row = await closeOne(env, g, agreements, p, now);
  if (p.start <= target.start) throw ApiError.conflict("catching_up", `Closed ${CATCH_UP} earlier periods up to ${row!.period_start}; close again to continue`);
  return row;
}

async function closeOne(env: SEnv, g: Group, agreements: AgreementRow[], p: Period, now: Date): Promise<StatementRow> {
  const sign = await signer(env);
  // Under the dispatcher's lease, after it forwarded what is pending: every fact committed before now is in the ledger.
  const built = await withDispatchLease(env, async () => {
    const again = await getStatementOfPeriod(env.DB, g.seller_tenant_id, g.issuer_key, g.period_kind, p.start);
    if (again) return { row: again, fresh: false };
    const last = await lastStatementOfGroup(env.DB, g.seller_tenant_id, g.issuer_key, g.period_kind);
    const afterSeq = last?.to_seq ?? 0;
    const { range, headHash } = await ledgerRange(env.DB, g.seller_tenant_id, afterSeq, p.toUtc);
    const terms = await termsFor(env.DB, agreements);
    const entries = await countEntries(env.DB, agreements, range);
    const used = new Set(entries.map((e) => e.agreementId));
    const listed = terms.filter((t) => used.has(t.agreementId) || overlaps(agreements.find((a) => a.id === t.agreementId)!, p));
    const { lines, totals } = computeLines(listed, entries);
    const seller = await getTenant(env.DB, g.seller_tenant_id);
    const issuer = agreements[0]!;
    const body: SettlementStatementBody = {
      format: "kaquan-settlement/1",
      statementId: newId("stl"),
      currency: "CNY",
      seller: { tenantId: g.seller_tenant_id, name: seller?.name ?? g.seller_tenant_id },
      issuer: { kind: issuer.issuer_kind, id: issuer.issuer_id, name: issuer.issuer_name },
      period: { kind: p.kind, start: p.start, end: p.end, fromUtc: p.fromUtc, toUtc: p.toUtc },
      ledger: { tenantId: g.seller_tenant_id, afterSeq, toSeq: range.length ? range[range.length - 1]!.seq : afterSeq, headHash },
      agreements: listed,
      entries,
      lines,
      totals,
      closedAt: now.toISOString(),
    };
    const signature = await sign.sign(body);
    const row: StatementRow = {
      id: body.statementId,
      seller_tenant_id: g.seller_tenant_id,
      issuer_key: g.issuer_key,
      period_kind: g.period_kind,
      period_start: p.start,
      period_end: p.end,
      after_seq: afterSeq,
      to_seq: body.ledger.toSeq,
      body: JSON.stringify(body),
      signature: JSON.stringify(signature),
      closed_at: body.closedAt,
    };
    const payload = { statementId: row.id, issuer: g.issuer_key, periodKind: p.kind, periodStart: p.start, toSeq: row.to_seq, netCents: totals.netCents, issuerShareCents: totals.issuerShareCents, sellerCents: totals.sellerCents };
    await env.DB.batch([
      ...insertStatementStmts(env.DB, row, entries),
      ...eventRows(env, partyEvents(issuer, (tenantId, s) => ({ eventId: `evssc_${row.id}_${s}`, tenantId, type: "settlement_statement_closed", payload })), {
        sql: "EXISTS (SELECT 1 FROM settlement_statements WHERE id = ?)",
        args: [row.id],
      }),
    ]);
    return { row: (await getStatementOfPeriod(env.DB, g.seller_tenant_id, g.issuer_key, g.period_kind, p.start))!, fresh: true };
  });
  if (built.fresh) await dispatchEvents(env).catch(() => undefined);
  return built.row;
}

const overlaps = (a: AgreementRow, p: Period) => a.effective_from < p.end && (!a.effective_to || a.effective_to > p.start);

async function termsFor(db: D1Database, agreements: AgreementRow[]): Promise<SettlementTerms[]> {
  return Promise.all(
    agreements.map(async (a) => ({
      agreementId: a.id,
      productId: a.product_id,
      productName: await productName(db, a),
      share: a.share_kind === "bps" ? { kind: "bps" as const, bps: a.share_bps ?? 0 } : { kind: "per_unit" as const, unitCostCents: a.unit_cost_cents ?? 0 },
      effectiveFrom: a.effective_from,
      effectiveTo: a.effective_to,
    })),
  );
}

/**
 * The seller's entries after `afterSeq`, up to (not including) the first one that happened at or after the period's
 * end: consecutive ranges, so every entry is counted in exactly one statement, and an entry appended after its
 * period closed (a late refund) falls in the next one. Returns the range and the chain hash at its end.
 */
async function ledgerRange(db: D1Database, tenantId: string, afterSeq: number, endUtc: string): Promise<{ range: LedgerEntry[]; headHash: string }> {
  const range: LedgerEntry[] = [];
  for (let after = afterSeq; ; ) {
    const page = await listEntries(db, tenantId, after, PAGE);
    const cut = page.findIndex((e) => e.occurredAt >= endUtc);
    range.push(...(cut < 0 ? page : page.slice(0, cut)));
    if (cut >= 0 || page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  if (range.length) return { range, headHash: range[range.length - 1]!.hash };
  if (afterSeq === 0) return { range, headHash: GENESIS_HASH };
  const [prev] = await listEntries(db, tenantId, afterSeq - 1, 1);
  return { range, headHash: prev?.hash ?? GENESIS_HASH };
}

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

/**
 * The ledger entries a statement counts. Sale: an order's first issuance (not a replacement) on a day the product's
 * agreement is in effect, priced at what the order was paid. Refund: a refunded voucher of a counted order, at the
 * amount the ledger names or the order's unit price, never more than what is left of that order. Compensation: money
 * paid out for a counted order that no refund entry holds: a money-only refund (money_refund) or a complaint's payment.
 */
/**
 * Compensation entries whose money is already an entry of its own: a complaint's refund and a ticket's refund go
 * through a refund that records each right it takes back (refund entries) or, taking none, a money_refund entry.
 */
const REFUNDED_ELSEWHERE = new Set(["refund", "ticket_refund"]);
const REVERSALS = new Set([REFUND_REVERSED, MONEY_REFUND_REVERSED]);

async function countEntries(db: D1Database, agreements: AgreementRow[], range: LedgerEntry[]): Promise<SettlementEntry[]> {
  const byProduct = new Map<string, AgreementRow[]>();
  for (const a of agreements) byProduct.set(a.product_id, [...(byProduct.get(a.product_id) ?? []), a]);
  const relevant = range.filter((e) => byProduct.has(String(e.payload.productId)) && str(e.payload.orderId));
  const orderIds = [...new Set(relevant.map((e) => str(e.payload.orderId)!))];
  if (!orderIds.length) return [];
  const orders = await ordersByIds(db, agreements[0]!.seller_tenant_id, orderIds);
  // Per agreement and order: the sale and its refunds so far (earlier statements, then this one as it is built).
  const counted = new Map<string, { agreementId: string; units: number; amount: number; refundedUnits: number; refunded: number }>();
  for (const a of agreements) for (const [orderId, c] of await countedSales(db, a.id, orderIds)) if (c.units > 0) counted.set(orderId, { agreementId: a.id, ...c });
  const out: SettlementEntry[] = [];
  for (const e of relevant) {
    const orderId = str(e.payload.orderId)!;
    const productId = String(e.payload.productId);
    const base = { seq: e.seq, hash: e.hash, productId, orderId, voucherId: e.subjectId, occurredAt: e.occurredAt };
    const sale = counted.get(orderId);
    if (e.kind === "issuance" && !str(e.payload.replaces) && !sale) {
      const day = chinaDay(e.occurredAt);
      const a = byProduct.get(productId)!.find((x) => x.effective_from <= day && (!x.effective_to || day < x.effective_to));
      const order = orders.get(orderId);
      if (!a || !order) continue;
      counted.set(orderId, { agreementId: a.id, units: order.quantity, amount: order.amount_cents, refundedUnits: 0, refunded: 0 });
      out.push({ ...base, kind: "sale", agreementId: a.id, units: order.quantity, amountCents: order.amount_cents });
    } else if (e.kind === "refund" && sale) {
      if (sale.refundedUnits >= sale.units && sale.refunded >= sale.amount) continue;
      const named = typeof e.payload.amountCents === "number" ? e.payload.amountCents : Math.round(sale.amount / sale.units);
      const amount = Math.min(named, sale.amount - sale.refunded);
      const units = sale.refundedUnits < sale.units ? 1 : 0;
      sale.refunded += amount;
      sale.refundedUnits += units;
      out.push({ ...base, kind: "refund", agreementId: sale.agreementId, units, amountCents: amount });
    } else if (e.kind === "compensation" && sale && REVERSALS.has(String(e.payload.action)) && typeof e.payload.amountCents === "number" && e.payload.amountCents < 0) {
      // A refund the gateway refused after it was recorded (services/refund-reversal.ts): its money comes off again.
      const ofRights = e.payload.action === REFUND_REVERSED;
      const back = ofRights ? Math.min(-e.payload.amountCents, sale.refunded) : -e.payload.amountCents;
      const units = ofRights && sale.refundedUnits > 0 ? -1 : 0;
      if (ofRights) (sale.refunded -= back), (sale.refundedUnits += units);
      out.push({ ...base, kind: ofRights ? "refund" : "compensation", agreementId: sale.agreementId, units, amountCents: -back });
    } else if (e.kind === "compensation" && sale && !REFUNDED_ELSEWHERE.has(String(e.payload.action)) && typeof e.payload.amountCents === "number" && e.payload.amountCents > 0) {
      out.push({ ...base, kind: "compensation", agreementId: sale.agreementId, units: 0, amountCents: e.payload.amountCents });
    }
  }
  return out;
}

function toStatement(r: StatementRow): SettlementStatement {
  return { ...(JSON.parse(r.body) as SettlementStatementBody), signature: JSON.parse(r.signature) };
}

/** A statement, to its two parties only (anyone else: 404). */
export async function readStatement(env: SEnv, tenantId: string, id: string): Promise<SettlementStatement> {
  const r = await getStatement(env.DB, id);
  if (!r || (r.seller_tenant_id !== tenantId && r.issuer_key !== `tenant:${tenantId}`)) throw ApiError.notFound("Statement");
  return toStatement(r);
}

export async function statementCsv(env: SEnv, tenantId: string, id: string): Promise<string> {
  return toCsv(statementCsvRows(await readStatement(env, tenantId, id)));
}

export async function listStatements(env: SEnv, tenantId: string) {
  return (await statementsOfParty(env.DB, tenantId)).map((r) => {
    const s = toStatement(r);
    return {
      id: r.id,
      role: r.seller_tenant_id === tenantId ? ("seller" as const) : ("issuer" as const),
      seller: s.seller,
      issuer: s.issuer,
      periodKind: r.period_kind,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      totals: s.totals,
      closedAt: r.closed_at,
    };
  });
}
