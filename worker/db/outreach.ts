/** SQL of targeted issuance and lifecycle messaging (schema/d1/0177). Every query takes the tenant first. */
import type { Keyset, SqlGuard } from "./statements";

export interface IssuanceRow {
  id: string; tenant_id: string; kind: "segment" | "direct"; segment_id: string | null; run_id: string | null; coupon_product_id: string;
  holdout_pct: number; notify: number; status: "running" | "done" | "stopped"; stop_reason: string | null; cursor: string | null;
  total: number; issued: number; holdout: number; failed: number; created_at: string; finished_at: string | null;
  segment_name?: string | null; coupon_name?: string | null;
}
const ISSUANCE_COLS = `i.*, (SELECT name FROM segments s WHERE s.tenant_id = i.tenant_id AND s.id = i.segment_id) AS segment_name,
  (SELECT name FROM products p WHERE p.tenant_id = i.tenant_id AND p.id = i.coupon_product_id) AS coupon_name`;

export const getSettingsRow = (db: D1Database, t: string) => db.prepare("SELECT settings FROM outreach_settings WHERE tenant_id = ?").bind(t).first<{ settings: string }>();
export const putSettings = (db: D1Database, t: string, json: string) =>
  db.prepare(`INSERT INTO outreach_settings (tenant_id, settings) VALUES (?, ?)
    ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`).bind(t, json).run();
/** Tenants that turned on at least one flow (the cron visits only these). */
export async function tenantsWithFlows(db: D1Database) {
  const { results } = await db.prepare("SELECT tenant_id, settings FROM outreach_settings WHERE settings LIKE '%\"enabled\":true%'").all<{ tenant_id: string; settings: string }>();
  return results;
}

export interface PersonRow { member_id: string | null; kind: string; phone_hash: string | null; consent: string | null; sent7: number; unsubs: string | null; slug: string; brand: string }
/** One read of what a send decision needs: phone (hash), the latest marketing consent, unsubscribes, messages sent in 7 days. */
export const personRow = (db: D1Database, t: string, buyerId: string, since: string) =>
  db.prepare(`SELECT b.kind, b.phone_hash, tn.slug, tn.name AS brand,
      (SELECT id FROM members mb WHERE mb.tenant_id = b.tenant_id AND mb.buyer_id = b.id) AS member_id,
      (SELECT action FROM consents c WHERE c.tenant_id = b.tenant_id AND c.buyer_id = b.id AND c.purpose = 'marketing' ORDER BY c.created_at DESC, c.rowid DESC LIMIT 1) AS consent,
      (SELECT COUNT(*) FROM outreach_messages m WHERE m.tenant_id = b.tenant_id AND m.buyer_id = b.id AND m.status = 'sent' AND m.sent_at >= ?) AS sent7,
      (SELECT group_concat(flow) FROM outreach_unsubscribes u WHERE u.tenant_id = b.tenant_id AND u.buyer_id = b.id) AS unsubs
    FROM buyers b JOIN tenants tn ON tn.id = b.tenant_id WHERE b.tenant_id = ? AND b.id = ?`).bind(since, t, buyerId).first<PersonRow>();

export interface MessageInsert {
  id: string; tenantId: string; buyerId: string; flow: string; triggerKey: string; channel: string; status: string; reason: string | null;
  body: string; voucherId: string | null; couponProductId: string | null; orderId: string | null; issuanceId: string | null; sendAfter: string | null; sentAt: string | null;
}
/** The one row per (flow, person, trigger): a second insert for the same trigger does nothing (changes() = 0). */
export const insertMessageStmt = (db: D1Database, m: MessageInsert) =>
  db.prepare(`INSERT OR IGNORE INTO outreach_messages (id, tenant_id, buyer_id, flow, trigger_key, channel, status, reason, body, voucher_id, coupon_product_id, order_id, issuance_id, send_after, sent_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(m.id, m.tenantId, m.buyerId, m.flow, m.triggerKey, m.channel, m.status, m.reason, m.body, m.voucherId, m.couponProductId, m.orderId, m.issuanceId, m.sendAfter, m.sentAt);
export const messageExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM outreach_messages WHERE id = ?)", args: [id] });
export const triggerDone = (db: D1Database, t: string, flow: string, buyerId: string, triggerKey: string) =>
  db.prepare("SELECT id FROM outreach_messages WHERE tenant_id = ? AND flow = ? AND buyer_id = ? AND trigger_key = ?").bind(t, flow, buyerId, triggerKey).first<{ id: string }>();

export interface DeferredRow { id: string; tenant_id: string; buyer_id: string; flow: string; trigger_key: string; channel: string; body: string;
  voucher_id: string | null; coupon_product_id: string | null; order_id: string | null; issuance_id: string | null }
export async function deferredDue(db: D1Database, now: string, limit: number) {
  const { results } = await db.prepare("SELECT * FROM outreach_messages WHERE status = 'deferred' AND send_after <= ? ORDER BY send_after LIMIT ?").bind(now, limit).all<DeferredRow>();
  return results;
}
/** A deferred message goes out (or is suppressed after all) once: only from 'deferred'. */
export const settleDeferredStmt = (db: D1Database, id: string, status: "sent" | "suppressed", reason: string | null, now: string) =>
  db.prepare("UPDATE outreach_messages SET status = ?, reason = ?, sent_at = CASE WHEN ? = 'sent' THEN ? END WHERE id = ? AND status = 'deferred'").bind(status, reason, status, now, id);

export const insertUnsubscribeStmt = (db: D1Database, t: string, buyerId: string, flow: string) =>
  db.prepare("INSERT OR IGNORE INTO outreach_unsubscribes (tenant_id, buyer_id, flow) VALUES (?, ?, ?)").bind(t, buyerId, flow);
export const unsubscribed = (db: D1Database, t: string, buyerId: string, flow: string) =>
  db.prepare("SELECT 1 AS x FROM outreach_unsubscribes WHERE tenant_id = ? AND buyer_id = ? AND flow = ?").bind(t, buyerId, flow).first();

export async function recentMessages(db: D1Database, t: string, limit: number) {
  const { results } = await db.prepare(`SELECT m.*, b.phone_masked FROM outreach_messages m LEFT JOIN buyers b ON b.tenant_id = m.tenant_id AND b.id = m.buyer_id
    WHERE m.tenant_id = ? ORDER BY m.created_at DESC, m.id DESC LIMIT ?`).bind(t, limit).all<DeferredRow & { status: string; reason: string | null; send_after: string | null; sent_at: string | null; created_at: string; phone_masked: string | null }>();
  return results;
}
/**
 * Messages by flow and status: the brand's from the counts the triggers keep (0209), or one issuance's through
 * outreach_messages_issuance (0207).
 */
export async function messageCounts(db: D1Database, t: string, issuanceId?: string) {
  const stmt = issuanceId
    ? db.prepare(`SELECT flow, status, COUNT(*) AS count FROM outreach_messages WHERE tenant_id = ? AND issuance_id = ? GROUP BY flow, status ORDER BY flow, status`).bind(t, issuanceId)
    : db.prepare(`SELECT flow, status, n AS count FROM outreach_message_counts WHERE tenant_id = ? AND n > 0 ORDER BY flow, status`).bind(t);
  return (await stmt.all<{ flow: string; status: string; count: number }>()).results;
}

// ── Issuances ──
export const insertIssuanceStmt = (db: D1Database, i: { id: string; tenantId: string; kind: string; segmentId: string | null; runId: string | null; couponProductId: string; holdoutPct: number; notify: boolean; total: number }) =>
  db.prepare(`INSERT OR IGNORE INTO issuances (id, tenant_id, kind, segment_id, run_id, coupon_product_id, holdout_pct, notify, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(i.id, i.tenantId, i.kind, i.segmentId, i.runId, i.couponProductId, i.holdoutPct, i.notify ? 1 : 0, i.total);
export const getIssuance = (db: D1Database, t: string, id: string) => db.prepare(`SELECT ${ISSUANCE_COLS} FROM issuances i WHERE i.tenant_id = ? AND i.id = ?`).bind(t, id).first<IssuanceRow>();
export async function listIssuances(db: D1Database, t: string, limit = 50) {
  const { results } = await db.prepare(`SELECT ${ISSUANCE_COLS} FROM issuances i WHERE i.tenant_id = ? AND i.kind = 'segment' ORDER BY i.created_at DESC LIMIT ?`).bind(t, limit).all<IssuanceRow>();
  return results;
}
export async function runningIssuances(db: D1Database, limit = 20) {
  const { results } = await db.prepare("SELECT * FROM issuances WHERE status = 'running' AND kind = 'segment' ORDER BY created_at LIMIT ?").bind(limit).all<IssuanceRow>();
  return results;
}
export const segmentRow = (db: D1Database, t: string, id: string) =>
  db.prepare("SELECT id, name, current_run_id, status FROM segments WHERE tenant_id = ? AND id = ?").bind(t, id).first<{ id: string; name: string; current_run_id: string | null; status: string }>();
export const runSize = (db: D1Database, t: string, segmentId: string, runId: string) =>
  db.prepare("SELECT COUNT(*) AS n FROM segment_members WHERE tenant_id = ? AND segment_id = ? AND run_id = ?").bind(t, segmentId, runId).first<{ n: number }>();
/** The next page of the run's members after `cursor` (buyer id order: the primary key's). */
export async function memberPage(db: D1Database, i: IssuanceRow, limit: number) {
  const { results } = await db.prepare("SELECT buyer_id FROM segment_members WHERE tenant_id = ? AND segment_id = ? AND run_id = ? AND buyer_id > ? ORDER BY buyer_id LIMIT ?")
    .bind(i.tenant_id, i.segment_id, i.run_id, i.cursor ?? "", limit).all<{ buyer_id: string }>();
  return results.map((r) => r.buyer_id);
}
export async function peopleDone(db: D1Database, t: string, issuanceId: string, buyerIds: string[]) {
  if (!buyerIds.length) return new Map<string, { outcome: string; order_id: string | null }>();
  const { results } = await db.prepare(`SELECT buyer_id, outcome, order_id FROM issuance_people WHERE tenant_id = ? AND issuance_id = ? AND buyer_id IN (SELECT value FROM json_each(?))`)
    .bind(t, issuanceId, JSON.stringify(buyerIds)).all<{ buyer_id: string; outcome: string; order_id: string | null }>();
  return new Map(results.map((r) => [r.buyer_id, r]));
}
const COUNTER = { issued: "issued", holdout: "holdout", failed: "failed" } as const;
/** The person's one outcome, and the issuance's counter moved only when this row is new. */
export function personStmts(db: D1Database, t: string, issuanceId: string, buyerId: string, outcome: keyof typeof COUNTER, orderId: string | null, reason: string | null) {
  return [
    db.prepare("INSERT OR IGNORE INTO issuance_people (tenant_id, issuance_id, buyer_id, outcome, order_id, reason) VALUES (?, ?, ?, ?, ?, ?)").bind(t, issuanceId, buyerId, outcome, orderId, reason),
    db.prepare(`UPDATE issuances SET ${COUNTER[outcome]} = ${COUNTER[outcome]} + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND changes() = 1`).bind(t, issuanceId),
  ];
}
export const advanceCursorStmt = (db: D1Database, t: string, id: string, cursor: string) =>
  db.prepare("UPDATE issuances SET cursor = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND (cursor IS NULL OR cursor < ?)").bind(cursor, t, id, cursor);
export const finishIssuanceStmt = (db: D1Database, t: string, id: string, status: "done" | "stopped", reason: string | null) =>
  db.prepare("UPDATE issuances SET status = ?, stop_reason = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND status = 'running'").bind(status, reason, t, id);
export async function failuresByReason(db: D1Database, t: string, id: string) {
  const { results } = await db.prepare("SELECT reason, COUNT(*) AS count FROM issuance_people WHERE tenant_id = ? AND issuance_id = ? AND outcome = 'failed' GROUP BY reason ORDER BY count DESC")
    .bind(t, id).all<{ reason: string; count: number }>();
  return results;
}
export const couponProduct = (db: D1Database, t: string, id: string) =>
  db.prepare("SELECT id, name, kind, status FROM products WHERE tenant_id = ? AND id = ?").bind(t, id).first<{ id: string; name: string; kind: string; status: string }>();
export const memberBuyer = (db: D1Database, t: string, memberId: string) =>
  db.prepare("SELECT buyer_id FROM members WHERE tenant_id = ? AND id = ?").bind(t, memberId).first<{ buyer_id: string }>();
export const buyerExistsRow = (db: D1Database, t: string, buyerId: string) => db.prepare("SELECT id FROM buyers WHERE tenant_id = ? AND id = ?").bind(t, buyerId).first<{ id: string }>();

// ── Lifecycle flow candidates (each excludes people whose trigger already has its message row) ──
const NOT_DONE = (flow: string, buyer: string, trigger: string) =>
  `NOT EXISTS (SELECT 1 FROM outreach_messages om WHERE om.tenant_id = ? AND om.flow = '${flow}' AND om.buyer_id = ${buyer} AND om.trigger_key = ${trigger})`;

export interface VoucherCandidate { id: string; holder_id: string; product_id: string; title: string; valid_to: string }
/**
 * Coupons still usable that lapse within the window and were not reminded yet (a revival is not reminded: its message
 * named its date). The partial index holds only those (schema/d1/0203): reminded ones are not read again each minute.
 */
export async function expiringCoupons(db: D1Database, t: string, now: string, until: string, limit: number) {
  const { results } = await db.prepare(`SELECT v.id, v.holder_id, v.product_id, v.title, v.valid_to FROM vouchers v INDEXED BY vouchers_remind_window
    WHERE v.tenant_id = ? AND v.kind = 'coupon' AND v.status = 'issued' AND v.flow_reminded = 0 AND v.valid_to > ? AND v.valid_to <= ?
      AND ${NOT_DONE("expiry_reminder", "v.holder_id", "v.id")}
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = v.tenant_id AND o.id = v.order_id AND o.source = 'flow:revive')
    ORDER BY v.valid_to LIMIT ?`).bind(t, now, until, t, limit).all<VoucherCandidate>();
  return results;
}
/**
 * Coupons that expired within the window (valid_to from `since` to `now`), not revived yet and not themselves a revival
 * (their order's source); through the partial index of those waiting (schema/d1/0203).
 */
export async function expiredCoupons(db: D1Database, t: string, since: string, now: string, limit: number) {
  const { results } = await db.prepare(`SELECT v.id, v.holder_id, v.product_id, v.title, v.valid_to FROM vouchers v INDEXED BY vouchers_revive_window
    WHERE v.tenant_id = ? AND v.kind = 'coupon' AND v.status = 'expired' AND v.flow_revived = 0 AND v.valid_to >= ? AND v.valid_to <= ?
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = v.tenant_id AND o.id = v.order_id AND o.source = 'flow:revive')
      AND ${NOT_DONE("revive", "v.holder_id", "v.id")}
    ORDER BY v.valid_to LIMIT ?`).bind(t, since, now, t, limit).all<VoucherCandidate>();
  return results;
}
/** The new voucher(s) of a revival order get the short validity (never longer than they had), and neither flow again. */
export const shortenOrderVouchersStmt = (db: D1Database, t: string, orderId: string, validTo: string) =>
  db.prepare(`UPDATE vouchers SET valid_to = CASE WHEN valid_to IS NULL OR valid_to > ?1 THEN ?1 ELSE valid_to END, flow_reminded = 1, flow_revived = 1
    WHERE tenant_id = ?2 AND order_id = ?3`).bind(validTo, t, orderId);

export const flowCursor = (db: D1Database, t: string, flow: string, period: string) =>
  db.prepare("SELECT at, id FROM outreach_cursors WHERE tenant_id = ? AND flow = ? AND period = ?").bind(t, flow, period).first<Keyset>();
/** The flow's cursor moved to `c` (a new period starts over; within one it only moves forward). */
export const moveFlowCursorStmt = (db: D1Database, t: string, flow: string, period: string, c: Keyset) =>
  db.prepare(
    `INSERT INTO outreach_cursors (tenant_id, flow, period, at, id) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant_id, flow) DO UPDATE SET period = excluded.period, at = excluded.at, id = excluded.id, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE outreach_cursors.period < excluded.period OR (outreach_cursors.period = excluded.period AND (outreach_cursors.at, outreach_cursors.id) < (excluded.at, excluded.id))`,
  ).bind(t, flow, period, c.at, c.id);

/**
 * Members with no paid order (amount > 0) and no check-in since `before`, joined before it, after the flow's cursor in
 * (active_at, id) order. The trigger is the last activity's time (active_at, schema/d1/0201), so a member who comes
 * back and goes dormant again is a new trigger.
 */
export async function dormantMembers(db: D1Database, t: string, before: string, after: Keyset | null, limit: number) {
  const { results } = await db.prepare(`SELECT m.id, m.buyer_id, m.active_at AS trigger_key FROM members m
    WHERE m.tenant_id = ? AND m.active_at < ? AND (m.active_at, m.id) > (?, ?) AND ${NOT_DONE("win_back", "m.buyer_id", "m.active_at")}
    ORDER BY m.active_at, m.id LIMIT ?`).bind(t, before, after?.at ?? "", after?.id ?? "", t, limit).all<{ id: string; buyer_id: string; trigger_key: string }>();
  return results;
}
/**
 * Members whose birthday month it is and who have no birthday message this year, after the flow's cursor in
 * (birthday, id) order; `checked`: the membership cron checked them this month (so their tier's birthday gift is known).
 */
export async function birthdayMembers(db: D1Database, t: string, month: string, period: string, year: string, after: Keyset | null, limit: number) {
  const { results } = await db.prepare(`SELECT m.id, m.buyer_id, m.birthday,
      (SELECT order_ids FROM member_benefits b WHERE b.tenant_id = m.tenant_id AND b.member_id = m.id AND b.kind = 'birthday_gift' AND b.period = ?) AS tier_gift,
      EXISTS (SELECT 1 FROM member_benefits b WHERE b.tenant_id = m.tenant_id AND b.member_id = m.id AND b.kind = 'checked' AND b.period = ?) AS checked
    FROM members m WHERE m.tenant_id = ? AND (m.birthday, m.id) > (?, ?) AND m.birthday <= ? || '-99'
      AND ${NOT_DONE("birthday", "m.buyer_id", "?")} ORDER BY m.birthday, m.id LIMIT ?`)
    .bind(year, period, t, after?.at ?? `${month}-00`, after?.id ?? "", month, t, year, limit)
    .all<{ id: string; buyer_id: string; birthday: string; tier_gift: string | null; checked: number }>();
  return results;
}
