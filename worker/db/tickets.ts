import type { SqlGuard } from "./statements";

export interface TicketRow {
  id: string;
  tenant_id: string;
  order_id: string;
  buyer_id: string;
  reason: "key_invalid" | "not_received" | "wrong_account" | "other";
  body: string;
  contact: string | null;
  voucher_id: string | null;
  status: "open" | "resolved" | "rejected";
  resolution: "replace" | "refund" | "compensate" | "reject" | null;
  resolution_note: string | null;
  resolution_ref: string | null;
  resolved_by: string | null;
  first_response_due: string;
  resolution_due: string;
  first_responded_at: string | null;
  response_alerted_at: string | null;
  resolution_alerted_at: string | null;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TicketMessageRow {
  id: string;
  tenant_id: string;
  ticket_id: string;
  author: "buyer" | "operator";
  body: string;
  api_key_id: string | null;
  created_at: string;
}

export const ticketExists = (tenantId: string, id: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM after_sale_tickets WHERE tenant_id = ? AND id = ?)",
  args: [tenantId, id],
});
export const ticketIs = (tenantId: string, id: string, status: TicketRow["status"]): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM after_sale_tickets WHERE tenant_id = ? AND id = ? AND status = ?)",
  args: [tenantId, id, status],
});

/** One open ticket per order (a unique partial index): a second is not inserted while one is open. */
export function insertTicketStmt(
  db: D1Database,
  t: Pick<TicketRow, "id" | "tenant_id" | "order_id" | "buyer_id" | "reason" | "body" | "contact" | "voucher_id" | "first_response_due" | "resolution_due" | "created_at">,
) {
  return db
    .prepare(
      `INSERT INTO after_sale_tickets (id, tenant_id, order_id, buyer_id, reason, body, contact, voucher_id, first_response_due, resolution_due, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .bind(t.id, t.tenant_id, t.order_id, t.buyer_id, t.reason, t.body, t.contact, t.voucher_id, t.first_response_due, t.resolution_due, t.created_at, t.created_at);
}

export function insertMessageStmt(db: D1Database, m: Omit<TicketMessageRow, "created_at">, guard: SqlGuard) {
  return db
    .prepare(`INSERT INTO after_sale_messages (id, tenant_id, ticket_id, author, body, api_key_id) SELECT ?, ?, ?, ?, ?, ? WHERE ${guard.sql}`)
    .bind(m.id, m.tenant_id, m.ticket_id, m.author, m.body, m.api_key_id, ...guard.args);
}

export const messageInserted = (tenantId: string, id: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM after_sale_messages WHERE tenant_id = ? AND id = ?)",
  args: [tenantId, id],
});

/** The first operator reply stops the first-response clock (once). */
export function markRespondedStmt(db: D1Database, tenantId: string, id: string) {
  return db
    .prepare(
      `UPDATE after_sale_tickets SET first_responded_at = COALESCE(first_responded_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
         updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND status = 'open'`,
    )
    .bind(tenantId, id);
}

export function touchTicketStmt(db: D1Database, tenantId: string, id: string) {
  return db.prepare("UPDATE after_sale_tickets SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND status = 'open'").bind(tenantId, id);
}

/** open → resolved/rejected, once: the lock every resolution takes before it changes anything else. */
export function closeTicketStmt(db: D1Database, tenantId: string, id: string, r: { status: "resolved" | "rejected"; resolution: NonNullable<TicketRow["resolution"]>; note: string | null; ref: string | null; by: string | null }) {
  return db
    .prepare(
      `UPDATE after_sale_tickets SET status = ?, resolution = ?, resolution_note = ?, resolution_ref = ?, resolved_by = ?,
         resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
         first_responded_at = COALESCE(first_responded_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
       WHERE tenant_id = ? AND id = ? AND status = 'open' RETURNING *`,
    )
    .bind(r.status, r.resolution, r.note, r.ref, r.by, tenantId, id);
}

/** Sets what the resolution produced, once it exists (the refund id is known only after the refund). */
export function setResolutionRefStmt(db: D1Database, tenantId: string, id: string, ref: string) {
  return db.prepare("UPDATE after_sale_tickets SET resolution_ref = ? WHERE tenant_id = ? AND id = ?").bind(ref, tenantId, id);
}

/** A resolution whose action failed after the ticket was claimed: open again. */
export function reopenTicketStmt(db: D1Database, tenantId: string, id: string) {
  return db
    .prepare("UPDATE after_sale_tickets SET status = 'open', resolution = NULL, resolution_note = NULL, resolution_ref = NULL, resolved_by = NULL, resolved_at = NULL WHERE tenant_id = ? AND id = ?")
    .bind(tenantId, id);
}

export function getTicket(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM after_sale_tickets WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<TicketRow>();
}

export async function ticketsOfOrder(db: D1Database, tenantId: string, orderId: string) {
  const { results } = await db.prepare("SELECT * FROM after_sale_tickets WHERE tenant_id = ? AND order_id = ? ORDER BY created_at DESC").bind(tenantId, orderId).all<TicketRow>();
  return results;
}

export async function messagesOf(db: D1Database, tenantId: string, ticketIds: string[]) {
  if (!ticketIds.length) return [];
  const { results } = await db
    .prepare(`SELECT * FROM after_sale_messages WHERE tenant_id = ? AND ticket_id IN (${ticketIds.map(() => "?").join(",")}) ORDER BY created_at, id`)
    .bind(tenantId, ...ticketIds)
    .all<TicketMessageRow>();
  return results;
}

/** The console list, newest first (keyset); `overdueAt` keeps only open tickets past a deadline at that time. */
export async function listTickets(db: D1Database, tenantId: string, f: { status?: string; overdueAt?: string; after?: { createdAt: string; id: string } | null; limit: number }) {
  const where = ["t.tenant_id = ?"];
  const args: unknown[] = [tenantId];
  if (f.status) where.push("t.status = ?"), args.push(f.status);
  if (f.overdueAt) {
    where.push("t.status = 'open' AND (t.resolution_due < ? OR (t.first_responded_at IS NULL AND t.first_response_due < ?))");
    args.push(f.overdueAt, f.overdueAt);
  }
  if (f.after) where.push("(t.created_at < ? OR (t.created_at = ? AND t.id < ?))"), args.push(f.after.createdAt, f.after.createdAt, f.after.id);
  const { results } = await db
    .prepare(
      `SELECT t.*, COALESCE(s.name, p.name) AS product_name FROM after_sale_tickets t
       JOIN orders o ON o.tenant_id = t.tenant_id AND o.id = t.order_id
       LEFT JOIN order_snapshots s ON s.tenant_id = t.tenant_id AND s.order_id = t.order_id
       LEFT JOIN products p ON p.tenant_id = o.tenant_id AND p.id = o.product_id
       WHERE ${where.join(" AND ")} ORDER BY t.created_at DESC, t.id DESC LIMIT ?`,
    )
    .bind(...args, f.limit)
    .all<TicketRow & { product_name: string | null }>();
  return results;
}

/** Open tickets past a deadline not yet alerted on, across tenants (the cron). */
export async function overdueTickets(db: D1Database, nowIso: string, limit: number) {
  const { results } = await db
    .prepare(
      `SELECT * FROM after_sale_tickets WHERE status = 'open' AND (
         (resolution_due < ? AND resolution_alerted_at IS NULL)
         OR (first_responded_at IS NULL AND first_response_due < ? AND response_alerted_at IS NULL)) LIMIT ?`,
    )
    .bind(nowIso, nowIso, limit)
    .all<TicketRow>();
  return results;
}

/** Marks one missed deadline alerted, once (changes() = 1 right after: this run marked it). */
export function markOverdueAlertedStmt(db: D1Database, tenantId: string, id: string, which: "response" | "resolution") {
  const col = which === "response" ? "response_alerted_at" : "resolution_alerted_at";
  return db
    .prepare(`UPDATE after_sale_tickets SET ${col} = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND status = 'open' AND ${col} IS NULL`)
    .bind(tenantId, id);
}

// ── Buyer notices (delivery, ticket replies): one per key ──────────────────────────────────────────────────────

export interface NoticeTarget { buyer_id: string; phone_hash: string | null; slug: string; brand: string; unsubs: string | null }

const TARGET_COLUMNS = `b.id AS buyer_id, b.phone_hash, tn.slug, tn.name AS brand,
  (SELECT group_concat(flow) FROM outreach_unsubscribes u WHERE u.tenant_id = b.tenant_id AND u.buyer_id = b.id) AS unsubs`;

/** What a service notice needs about the buyer: the phone (hash), the store, and whether they stopped all messages. */
export function noticeTargetStmt(db: D1Database, tenantId: string, buyerId: string) {
  return db
    .prepare(`SELECT ${TARGET_COLUMNS} FROM buyers b JOIN tenants tn ON tn.id = b.tenant_id WHERE b.tenant_id = ? AND b.id = ?`)
    .bind(tenantId, buyerId);
}

/**
 * Orders the brand gave rather than the buyer took: lifecycle flows, targeted issuances, member benefits, assist and
 * invite rewards. Each of those tells the person itself (or was told not to: an issuance with notify off), and "您购买的"
 * would misstate a gift, so they get no delivered notice.
 */
const GIFT_SOURCES = ["flow:", "targeted:", "member:", "assist:", "invite:"];

/** A delivered order's notice target and product name, in one read; no row for an order the brand gave (GIFT_SOURCES). */
export function deliveredNoticeStmt(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare(
      `SELECT ${TARGET_COLUMNS}, COALESCE(s.name, p.name) AS product_name FROM orders o
       JOIN buyers b ON b.tenant_id = o.tenant_id AND b.id = o.buyer_id
       JOIN tenants tn ON tn.id = o.tenant_id
       LEFT JOIN order_snapshots s ON s.tenant_id = o.tenant_id AND s.order_id = o.id
       LEFT JOIN products p ON p.tenant_id = o.tenant_id AND p.id = o.product_id
       WHERE o.tenant_id = ? AND o.id = ? AND ${GIFT_SOURCES.map((g) => `o.source NOT LIKE '${g}%'`).join(" AND ")}`,
    )
    .bind(tenantId, orderId);
}

export function insertNoticeStmt(db: D1Database, n: { tenantId: string; key: string; buyerId: string; orderId: string | null; channel: string }) {
  return db
    .prepare("INSERT INTO buyer_notices (tenant_id, notice_key, buyer_id, order_id, channel) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
    .bind(n.tenantId, n.key, n.buyerId, n.orderId, n.channel);
}
