import type { SettlementEntry } from "../../schema/settlements";

export interface AgreementRow {
  id: string;
  seller_tenant_id: string;
  product_id: string;
  issuer_kind: "tenant" | "external";
  issuer_id: string;
  issuer_name: string;
  issuer_key: string;
  share_kind: "bps" | "per_unit";
  share_bps: number | null;
  unit_cost_cents: number | null;
  period_kind: "month" | "week";
  effective_from: string;
  effective_to: string | null;
  status: "proposed" | "accepted" | "rejected";
  accept_token_hash: string | null;
  proposed_at: string;
  decided_at: string | null;
}

export interface StatementRow {
  id: string;
  seller_tenant_id: string;
  issuer_key: string;
  period_kind: "month" | "week";
  period_start: string;
  period_end: string;
  after_seq: number;
  to_seq: number;
  body: string;
  signature: string;
  closed_at: string;
}

export function insertAgreementStmt(db: D1Database, a: Omit<AgreementRow, "status" | "proposed_at" | "decided_at">) {
  return db
    .prepare(
      `INSERT INTO settlement_agreements (id, seller_tenant_id, product_id, issuer_kind, issuer_id, issuer_name, issuer_key, share_kind,
         share_bps, unit_cost_cents, period_kind, effective_from, effective_to, accept_token_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    )
    .bind(a.id, a.seller_tenant_id, a.product_id, a.issuer_kind, a.issuer_id, a.issuer_name, a.issuer_key, a.share_kind, a.share_bps, a.unit_cost_cents, a.period_kind, a.effective_from, a.effective_to, a.accept_token_hash);
}

export function getAgreement(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM settlement_agreements WHERE id = ?").bind(id).first<AgreementRow>();
}

/** Agreements the tenant is a party to: as seller, or as the issuer tenant. */
export async function agreementsOfParty(db: D1Database, tenantId: string): Promise<AgreementRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM settlement_agreements WHERE seller_tenant_id = ? OR issuer_key = ? ORDER BY proposed_at DESC, id LIMIT 500")
    .bind(tenantId, `tenant:${tenantId}`)
    .all<AgreementRow>();
  return results;
}

/** Another live (not rejected) agreement for the product whose dates overlap [from, to). */
export function overlappingAgreement(db: D1Database, sellerId: string, productId: string, from: string, to: string | null) {
  return db
    .prepare(
      `SELECT id FROM settlement_agreements WHERE seller_tenant_id = ? AND product_id = ? AND status != 'rejected'
         AND (effective_to IS NULL OR effective_to > ?) AND (? IS NULL OR effective_from < ?) LIMIT 1`,
    )
    .bind(sellerId, productId, from, to, to)
    .first<{ id: string }>();
}

/** proposed → accepted | rejected, once; null when it was no longer proposed. */
export function decideAgreementStmt(db: D1Database, id: string, status: "accepted" | "rejected") {
  return db
    .prepare("UPDATE settlement_agreements SET status = ?, decided_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), accept_token_hash = NULL WHERE id = ? AND status = 'proposed' RETURNING *")
    .bind(status, id);
}

/** The accepted agreements of one statement group. */
export async function groupAgreements(db: D1Database, sellerId: string, issuerKey: string, periodKind: string): Promise<AgreementRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM settlement_agreements WHERE seller_tenant_id = ? AND issuer_key = ? AND period_kind = ? AND status = 'accepted' ORDER BY effective_from, id")
    .bind(sellerId, issuerKey, periodKind)
    .all<AgreementRow>();
  return results;
}

/** Every group with an accepted agreement (for the cron). */
export async function acceptedGroups(db: D1Database): Promise<{ seller_tenant_id: string; issuer_key: string; period_kind: "month" | "week" }[]> {
  const { results } = await db
    .prepare("SELECT DISTINCT seller_tenant_id, issuer_key, period_kind FROM settlement_agreements WHERE status = 'accepted' LIMIT 5000")
    .all<{ seller_tenant_id: string; issuer_key: string; period_kind: "month" | "week" }>();
  return results;
}

export function getStatementOfPeriod(db: D1Database, sellerId: string, issuerKey: string, periodKind: string, periodStart: string) {
  return db
    .prepare("SELECT * FROM settlement_statements WHERE seller_tenant_id = ? AND issuer_key = ? AND period_kind = ? AND period_start = ?")
    .bind(sellerId, issuerKey, periodKind, periodStart)
    .first<StatementRow>();
}

export function lastStatementOfGroup(db: D1Database, sellerId: string, issuerKey: string, periodKind: string) {
  return db
    .prepare("SELECT * FROM settlement_statements WHERE seller_tenant_id = ? AND issuer_key = ? AND period_kind = ? ORDER BY period_start DESC LIMIT 1")
    .bind(sellerId, issuerKey, periodKind)
    .first<StatementRow>();
}

export function getStatement(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM settlement_statements WHERE id = ?").bind(id).first<StatementRow>();
}

export async function statementsOfParty(db: D1Database, tenantId: string): Promise<StatementRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM settlement_statements WHERE seller_tenant_id = ? OR issuer_key = ? ORDER BY period_start DESC, id LIMIT 200")
    .bind(tenantId, `tenant:${tenantId}`)
    .all<StatementRow>();
  return results;
}

/** The sales already counted for these orders under an agreement, with what their refunds took so far. */
export async function countedSales(db: D1Database, agreementId: string, orderIds: string[]): Promise<Map<string, { units: number; amount: number; refundedUnits: number; refunded: number }>> {
  const out = new Map<string, { units: number; amount: number; refundedUnits: number; refunded: number }>();
  for (let i = 0; i < orderIds.length; i += 50) {
    const ids = orderIds.slice(i, i + 50);
    const { results } = await db
      .prepare(`SELECT order_id, kind, SUM(units) AS units, SUM(amount_cents) AS amount FROM settlement_items WHERE agreement_id = ? AND order_id IN (${ids.map(() => "?").join(",")}) GROUP BY order_id, kind`)
      .bind(agreementId, ...ids)
      .all<{ order_id: string; kind: string; units: number; amount: number }>();
    for (const r of results) {
      const o = out.get(r.order_id) ?? { units: 0, amount: 0, refundedUnits: 0, refunded: 0 };
      if (r.kind === "sale") Object.assign(o, { units: r.units, amount: r.amount });
      if (r.kind === "refund") Object.assign(o, { refundedUnits: r.units, refunded: r.amount });
      out.set(r.order_id, o);
    }
  }
  return out;
}

/**
 * The statement and what it counted, in one batch. A second close of the same period (a race) inserts nothing:
 * the items are written only under this statement's id.
 */
export function insertStatementStmts(db: D1Database, s: StatementRow, entries: SettlementEntry[]): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO settlement_statements (id, seller_tenant_id, issuer_key, period_kind, period_start, period_end, after_seq, to_seq, body, signature, closed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .bind(s.id, s.seller_tenant_id, s.issuer_key, s.period_kind, s.period_start, s.period_end, s.after_seq, s.to_seq, s.body, s.signature, s.closed_at),
    ...entries.map((e) =>
      db
        .prepare(
          `INSERT OR IGNORE INTO settlement_items (statement_id, agreement_id, kind, ref, order_id, seq, units, amount_cents)
           SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM settlement_statements WHERE id = ?)`,
        )
        .bind(s.id, e.agreementId, e.kind, itemRef(e), e.orderId, e.seq, e.units, e.amountCents, s.id),
    ),
  ];
}

/**
 * A sale is counted once per order, a refund once per ledger entry of its voucher (a right may be refunded, the refund
 * refused and counted back, and refunded again), a compensation once per ledger entry.
 */
export const itemRef = (e: Pick<SettlementEntry, "kind" | "orderId" | "voucherId" | "seq">) =>
  e.kind === "sale" ? e.orderId! : e.kind === "refund" ? `${e.voucherId}:${e.seq}` : `seq:${e.seq}`;

/** The seller's orders by id (quantity and what was paid: a statement prices a sale at it). */
export async function ordersByIds(db: D1Database, tenantId: string, ids: string[]): Promise<Map<string, { id: string; quantity: number; amount_cents: number }>> {
  const out = new Map<string, { id: string; quantity: number; amount_cents: number }>();
  for (let i = 0; i < ids.length; i += 50) {
    const chunk = ids.slice(i, i + 50);
    const { results } = await db
      .prepare(`SELECT id, quantity, amount_cents FROM orders WHERE tenant_id = ? AND id IN (${chunk.map(() => "?").join(",")})`)
      .bind(tenantId, ...chunk)
      .all<{ id: string; quantity: number; amount_cents: number }>();
    for (const r of results) out.set(r.id, r);
  }
  return out;
}
