/** Personal-data queries: consent records, erasure requests, a buyer's rows for "download my data", and the scrub. */
import type { ConsentPurpose, ConsentRecord } from "../../schema/privacy";

export interface ConsentRow {
  id: string;
  purpose: ConsentPurpose;
  action: "granted" | "withdrawn";
  text_version: string;
  channel: ConsentRecord["channel"];
  created_at: string;
}
export const toConsent = (r: ConsentRow): ConsentRecord => ({ id: r.id, purpose: r.purpose, action: r.action, textVersion: r.text_version, channel: r.channel, at: r.created_at });

export function insertConsent(db: D1Database, c: { id: string; tenantId: string; buyerId: string; purpose: ConsentPurpose; action: "granted" | "withdrawn"; version: string; channel: string }) {
  return db
    .prepare("INSERT INTO consents (id, tenant_id, buyer_id, purpose, action, text_version, channel) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(c.id, c.tenantId, c.buyerId, c.purpose, c.action, c.version, c.channel);
}

export async function listConsents(db: D1Database, tenantId: string, buyerIds: string[]) {
  const { results } = await db
    .prepare(`SELECT * FROM consents WHERE tenant_id = ? AND buyer_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid`)
    .bind(tenantId, JSON.stringify(buyerIds))
    .all<ConsentRow>();
  return results;
}

/** The device ids the buyer and its guests were first seen with (acquisition), to blank on warehouse events. */
export async function buyerDeviceIds(db: D1Database, tenantId: string, ids: string[]) {
  const { results } = await db
    .prepare("SELECT DISTINCT device_id FROM buyers WHERE +tenant_id = ? AND id IN (SELECT value FROM json_each(?)) AND device_id IS NOT NULL")
    .bind(tenantId, JSON.stringify(ids))
    .all<{ device_id: string }>();
  return results.map((r) => r.device_id);
}

/** The guests attached to a phone account (their campaign claims and events are the account's too). */
export async function mergedGuestIds(db: D1Database, tenantId: string, buyerId: string) {
  const { results } = await db.prepare("SELECT id FROM buyers WHERE tenant_id = ? AND merged_into = ? LIMIT 50").bind(tenantId, buyerId).all<{ id: string }>();
  return results.map((r) => r.id);
}

const MAX_ROWS = 5000;
/** The buyer's own rows of each table, for the export (ids, amounts, statuses; secrets are revealed by the service). */
export async function buyerRows(db: D1Database, tenantId: string, buyerId: string, ids: string[]) {
  const all = JSON.stringify(ids);
  const [orders, shares, complaints, ratings] = await db.batch([
    db.prepare(
      `SELECT o.id, o.product_id, p.name AS product_name, o.quantity, o.unit_price_cents, o.amount_cents, o.currency, o.status, o.source,
              o.campaign_id, o.recharge_account, o.paid_at, o.delivered_at, o.refunded_at, o.created_at
       FROM orders o LEFT JOIN products p ON p.tenant_id = o.tenant_id AND p.id = o.product_id
       WHERE o.tenant_id = ? AND o.buyer_id = ? ORDER BY o.created_at LIMIT ${MAX_ROWS}`,
    ).bind(tenantId, buyerId),
    db.prepare(`SELECT code, mechanism, subject_id, campaign_id, channel, created_at FROM campaign_shares WHERE tenant_id = ? AND sharer_id IN (SELECT value FROM json_each(?)) ORDER BY created_at LIMIT ${MAX_ROWS}`).bind(tenantId, all),
    db.prepare(`SELECT id, voucher_id, product_id, problem, note, status, refund_cents, created_at, resolved_at FROM complaints WHERE tenant_id = ? AND holder_id = ? ORDER BY created_at LIMIT ${MAX_ROWS}`).bind(tenantId, buyerId),
    db.prepare(`SELECT voucher_id, product_id, stars, comment, created_at FROM voucher_ratings WHERE tenant_id = ? AND holder_id = ? ORDER BY created_at LIMIT ${MAX_ROWS}`).bind(tenantId, buyerId),
  ]);
  return { orders: orders!.results, shares: shares!.results, complaints: complaints!.results, ratings: ratings!.results } as Record<"orders" | "shares" | "complaints" | "ratings", Record<string, unknown>[]>;
}

// ---- erasure ---------------------------------------------------------------------------------------------------

export interface ErasureRow {
  id: string;
  tenant_id: string;
  buyer_id: string;
  pseudonym: string;
  status: "pending" | "scrubbed" | "completed";
  subject_ids: string;
  device_ids: string;
  requested_at: string;
  scrubbed_at: string | null;
  completed_at: string | null;
  /** When the cron looks at it again (0243); null only on a row an older deploy inserted (then it is due). */
  next_at: string | null;
  attempts: number;
}

/**
 * The buyer ?2 of tenant ?1 and the guests merged into it, by id: an `OR` of the two columns made SQLite walk the
 * brand's buyers; this reads the buyer by id and its guests through `buyers_merged` (0208; `+tenant_id` keeps SQLite
 * from walking the tenant's buyers to test the list).
 */
const BUYER_AND_GUESTS = "id IN (SELECT ?2 UNION ALL SELECT id FROM buyers WHERE tenant_id = ?1 AND merged_into = ?2)";

/** The request and the end of every session of the buyer, in one transaction. */
/** `sessionsUntil`: when the last session token naming the buyer (or a guest merged into it) expires. */
export function requestErasureStmts(db: D1Database, r: { id: string; tenantId: string; buyerId: string; pseudonym: string; sessionsUntil: string }) {
  return [
    db.prepare("INSERT INTO erasure_requests (id, tenant_id, buyer_id, pseudonym, next_at) VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ON CONFLICT DO NOTHING")
      .bind(r.id, r.tenantId, r.buyerId, r.pseudonym),
    db.prepare(`INSERT OR IGNORE INTO ended_sessions (tenant_id, buyer_id, until) SELECT tenant_id, id, ?3 FROM buyers WHERE +tenant_id = ?1 AND ${BUYER_AND_GUESTS}`)
      .bind(r.tenantId, r.buyerId, r.sessionsUntil),
    db.prepare(`UPDATE buyers SET erased_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE +tenant_id = ?1 AND ${BUYER_AND_GUESTS} AND erased_at IS NULL`).bind(r.tenantId, r.buyerId),
  ];
}

export function getErasure(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM erasure_requests WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<ErasureRow>();
}

export function openErasureOf(db: D1Database, tenantId: string, buyerId: string) {
  return db.prepare("SELECT * FROM erasure_requests WHERE tenant_id = ? AND buyer_id = ? AND status != 'completed'").bind(tenantId, buyerId).first<ErasureRow>();
}

/** Open requests due by `nowIso`, the longest due first (a null next_at sorts first: due). */
export async function dueErasures(db: D1Database, nowIso: string, limit = 20) {
  const { results } = await db
    .prepare("SELECT * FROM erasure_requests WHERE status != 'completed' AND (next_at IS NULL OR next_at <= ?) ORDER BY next_at LIMIT ?")
    .bind(nowIso, limit)
    .all<ErasureRow>();
  return results;
}

/** Not done this run: looked at again from `nextAt`; an error is counted and kept for the operator. */
export function deferErasure(db: D1Database, id: string, nextAt: string, error?: string) {
  return error === undefined
    ? db.prepare("UPDATE erasure_requests SET next_at = ? WHERE id = ? AND status != 'completed'").bind(nextAt, id).run()
    : db.prepare("UPDATE erasure_requests SET next_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ? AND status != 'completed'").bind(nextAt, error.slice(0, 300), id).run();
}

/** Orders still moving (unpaid with stock held, or paid and being delivered): the scrub waits for them to settle. */
export async function openOrderCount(db: D1Database, tenantId: string, buyerId: string) {
  const r = await db.prepare("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ? AND buyer_id = ? AND status IN ('created', 'paid')").bind(tenantId, buyerId).first<{ n: number }>();
  return r?.n ?? 0;
}

/**
 * D1's part of an erasure, one transaction: the buyer and its merged guests become one pseudonymous row with no
 * phone, device or acquisition trail; every row naming them is re-keyed to the pseudonym (orders, vouchers,
 * redemptions, complaints, ratings, shares, consents, others' referrer); free text they wrote and recharge accounts
 * are blanked; their sign-in codes and SMS copies go; recorded event envelopes (outbox, dead letters, webhook
 * deliveries) are re-keyed textually (buyer ids are random and unique, so a replace cannot hit anything else) and
 * lose their device ids.
 */
export function scrubStmts(db: D1Database, e: ErasureRow, ids: string[], deviceIds: string[], phoneHash: string | null) {
  const t = e.tenant_id;
  const p = e.pseudonym;
  const all = JSON.stringify(ids);
  const inIds = "(SELECT value FROM json_each(?))";
  const stmts = [
    // members.buyer_id references buyers(id): the buyer's id and its member's change in this one transaction.
    db.prepare("PRAGMA defer_foreign_keys = on"),
    db.prepare("UPDATE erasure_requests SET subject_ids = ?, device_ids = ? WHERE id = ? AND status = 'pending'").bind(all, JSON.stringify(deviceIds), e.id),
    db.prepare("DELETE FROM otp_codes WHERE tenant_id = ? AND phone_hash = ?").bind(t, phoneHash ?? ""),
    db.prepare("DELETE FROM sms_outbox WHERE tenant_id = ? AND phone_hash = ?").bind(t, phoneHash ?? ""),
    db.prepare("DELETE FROM buyers WHERE tenant_id = ? AND merged_into = ?").bind(t, e.buyer_id),
    db.prepare(
      `UPDATE buyers SET id = ?, phone_hash = NULL, phone_masked = NULL, referrer_id = NULL, share_code = NULL, utm_source = NULL,
         utm_medium = NULL, utm_campaign = NULL, origin = NULL, device_id = NULL, merged_into = NULL,
         erased_at = COALESCE(erased_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) WHERE tenant_id = ? AND id = ?`,
    ).bind(p, t, e.buyer_id),
    db.prepare(`UPDATE buyers SET referrer_id = ? WHERE tenant_id = ? AND referrer_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE orders SET buyer_id = ?, recharge_account = NULL WHERE tenant_id = ? AND buyer_id IN ${inIds}`).bind(p, t, all),
    // The membership stays (card, growth, points: the brand's totals) under the pseudonym; birthday and tags go.
    db.prepare(`UPDATE OR IGNORE members SET buyer_id = ?, birthday = NULL, tags = '[]' WHERE tenant_id = ? AND buyer_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE vouchers SET holder_id = ? WHERE tenant_id = ? AND holder_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE redemptions SET holder_id = ? WHERE tenant_id = ? AND holder_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE complaints SET holder_id = ?, note = '' WHERE tenant_id = ? AND holder_id IN ${inIds}`).bind(p, t, all),
    // After-sale tickets (issue 21): the buyer's own words and contact go; the ticket stays for the brand's books.
    db.prepare(`UPDATE after_sale_messages SET body = '' WHERE tenant_id = ? AND author = 'buyer' AND ticket_id IN (SELECT id FROM after_sale_tickets WHERE tenant_id = ? AND buyer_id IN ${inIds})`).bind(t, t, all),
    db.prepare(`UPDATE after_sale_tickets SET buyer_id = ?, body = '', contact = NULL WHERE tenant_id = ? AND buyer_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE buyer_notices SET buyer_id = ? WHERE tenant_id = ? AND buyer_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE voucher_ratings SET holder_id = ?, comment = '' WHERE tenant_id = ? AND holder_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE campaign_shares SET sharer_id = ? WHERE tenant_id = ? AND sharer_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE consents SET buyer_id = ? WHERE tenant_id = ? AND buyer_id IN ${inIds}`).bind(p, t, all),
    // Group buys (拼团): their seats and the teams they led (others see 会员A… once the masked phone is gone).
    db.prepare(`UPDATE OR IGNORE group_members SET buyer_id = ? WHERE tenant_id = ? AND buyer_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE group_teams SET leader_id = ? WHERE tenant_id = ? AND leader_id IN ${inIds}`).bind(p, t, all),
    db.prepare(`UPDATE OR IGNORE risk_events SET subject = ? WHERE tenant_id = ? AND subject IN ${inIds}`).bind(p, t, all),
    db.prepare(`DELETE FROM risk_events WHERE tenant_id = ? AND subject IN ${inIds}`).bind(t, all),
  ];
  // Their device ids go from the envelopes too (blanked, as the warehouse blanks them); they are random as well.
  for (const [id, to] of [...ids.map((id) => [id, p] as const), ...deviceIds.filter((d) => d.length >= 8).map((d) => [d, ""] as const)]) {
    for (const table of ["event_outbox", "event_dead_letters", "webhook_deliveries"]) {
      stmts.push(db.prepare(`UPDATE ${table} SET body = replace(body, ?, ?) WHERE tenant_id = ? AND instr(body, ?) > 0`).bind(id, to, t, id));
    }
    // Messages still in flight (a journal row may bundle several tenants' events; the ids are random and unique).
    stmts.push(db.prepare("UPDATE event_journal SET body = replace(body, ?, ?) WHERE instr(body, ?) > 0").bind(id, to, id));
  }
  stmts.push(db.prepare("UPDATE erasure_requests SET status = 'scrubbed', scrubbed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ? AND status = 'pending'").bind(e.id));
  return stmts;
}

/** Completion: the request keeps only the pseudonym, so the record of the erasure links to no one. */
export function completeErasureStmt(db: D1Database, id: string) {
  return db.prepare("UPDATE erasure_requests SET status = 'completed', completed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), buyer_id = pseudonym, subject_ids = '[]', device_ids = '[]', last_error = NULL WHERE id = ? AND status = 'scrubbed'").bind(id);
}

/** The buyer ids of the tenant whose sessions an erasure ended (and could still be presented before `now`'s expiry). */
export async function endedSessionIds(db: D1Database, tenantId: string, now: string): Promise<string[]> {
  const { results } = await db.prepare("SELECT buyer_id FROM ended_sessions WHERE tenant_id = ? AND until > ?").bind(tenantId, now).all<{ buyer_id: string }>();
  return results.map((r) => r.buyer_id);
}

/** Rows no token can name any more (every session naming them has expired). */
export function pruneEndedSessions(db: D1Database, now: string) {
  return db.prepare("DELETE FROM ended_sessions WHERE until <= ?").bind(now).run();
}
