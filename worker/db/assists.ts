import type { SqlGuard } from "./statements";

/** Friend assist (助力) rows: schema/d1/0164. */
export interface AssistRow {
  id: string; tenant_id: string; name: string; product_id: string; goal: number; hours: number; starts_at: string; ends_at: string;
  require_phone: number; one_per_device: number; rules: string; status: "active" | "closed"; created_at: string; product_name?: string | null;
}
export interface AssistRequestRow {
  id: string; tenant_id: string; assist_id: string; requester_id: string; member_id: string; code: string; device_id: string | null;
  goal: number; helps: number; expires_at: string; status: "open" | "reached" | "expired"; reached_help_id: string | null;
  reached_at: string | null; reward_order_id: string | null; created_at: string;
}

const ASSIST = "SELECT a.*, p.name AS product_name FROM assists a LEFT JOIN products p ON p.tenant_id = a.tenant_id AND p.id = a.product_id";

export function insertAssist(db: D1Database, a: Omit<AssistRow, "status" | "created_at" | "product_name">) {
  return db
    .prepare(`INSERT INTO assists (id, tenant_id, name, product_id, goal, hours, starts_at, ends_at, require_phone, one_per_device, rules)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(a.id, a.tenant_id, a.name, a.product_id, a.goal, a.hours, a.starts_at, a.ends_at, a.require_phone, a.one_per_device, a.rules)
    .run();
}

export const getAssist = (db: D1Database, tenantId: string, id: string) =>
  db.prepare(`${ASSIST} WHERE a.tenant_id = ? AND a.id = ?`).bind(tenantId, id).first<AssistRow>();

export async function listAssists(db: D1Database, tenantId: string) {
  return (await db.prepare(`${ASSIST} WHERE a.tenant_id = ? ORDER BY a.created_at DESC LIMIT 100`).bind(tenantId).all<AssistRow>()).results;
}

export const setAssistStatus = (db: D1Database, tenantId: string, id: string, status: string) =>
  db.prepare("UPDATE assists SET status = ? WHERE tenant_id = ? AND id = ? RETURNING id").bind(status, tenantId, id).first<{ id: string }>();

/** Open requests whose time ran out become expired (so the one-open-request index frees the member's slot). */
export const expireRequestsStmt = (db: D1Database, tenantId: string, now: string, assistId?: string) =>
  db
    .prepare(`UPDATE assist_requests SET status = 'expired' WHERE tenant_id = ? AND status = 'open' AND expires_at <= ?${assistId ? " AND assist_id = ?" : ""}`)
    .bind(tenantId, now, ...(assistId ? [assistId] : []));

/** The request, only when no other open request of the member in this activity exists (the unique index refuses a racer). */
export const insertRequestStmt = (db: D1Database, r: Pick<AssistRequestRow, "id" | "tenant_id" | "assist_id" | "requester_id" | "member_id" | "code" | "device_id" | "goal" | "expires_at">) =>
  db
    .prepare(`INSERT OR IGNORE INTO assist_requests (id, tenant_id, assist_id, requester_id, member_id, code, device_id, goal, expires_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(r.id, r.tenant_id, r.assist_id, r.requester_id, r.member_id, r.code, r.device_id, r.goal, r.expires_at);

export const requestExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM assist_requests WHERE id = ?)", args: [id] });

export const openRequestOf = (db: D1Database, tenantId: string, assistId: string, requesterId: string) =>
  db.prepare("SELECT * FROM assist_requests WHERE tenant_id = ? AND assist_id = ? AND requester_id = ? ORDER BY (status = 'open') DESC, created_at DESC LIMIT 1")
    .bind(tenantId, assistId, requesterId).first<AssistRequestRow>();

export const requestByCode = (db: D1Database, tenantId: string, code: string) =>
  db.prepare("SELECT * FROM assist_requests WHERE tenant_id = ? AND code = ?").bind(tenantId, code).first<AssistRequestRow>();

export const requestById = (db: D1Database, tenantId: string, id: string) =>
  db.prepare("SELECT * FROM assist_requests WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<AssistRequestRow>();

/**
 * One help as three statements of one batch: the help is inserted only while its request is open, in time and short
 * of its goal (and never twice per helper or device in the activity: the unique indexes); the count moves only for the
 * help just inserted; the request turns reached in the batch whose help made the count reach the goal.
 */
export function helpStmts(db: D1Database, h: { id: string; tenantId: string; assistId: string; requestId: string; helperId: string; deviceId: string | null; now: string }) {
  const inserted: SqlGuard = { sql: "EXISTS (SELECT 1 FROM assist_helps WHERE id = ?)", args: [h.id] };
  return {
    inserted,
    reached: { sql: "EXISTS (SELECT 1 FROM assist_requests WHERE id = ? AND status = 'reached' AND reached_help_id = ?)", args: [h.requestId, h.id] } as SqlGuard,
    stmts: [
      db.prepare(`INSERT OR IGNORE INTO assist_helps (id, tenant_id, assist_id, request_id, helper_id, device_id)
                  SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM assist_requests WHERE tenant_id = ? AND id = ? AND status = 'open' AND expires_at > ? AND helps < goal)`)
        .bind(h.id, h.tenantId, h.assistId, h.requestId, h.helperId, h.deviceId, h.tenantId, h.requestId, h.now),
      db.prepare(`UPDATE assist_requests SET helps = helps + 1 WHERE tenant_id = ? AND id = ? AND ${inserted.sql}`).bind(h.tenantId, h.requestId, ...inserted.args),
      db.prepare(`UPDATE assist_requests SET status = 'reached', reached_help_id = ?, reached_at = ? WHERE tenant_id = ? AND id = ? AND status = 'open' AND helps >= goal AND ${inserted.sql}`)
        .bind(h.id, h.now, h.tenantId, h.requestId, ...inserted.args),
      db.prepare("SELECT helps, goal, status FROM assist_requests WHERE tenant_id = ? AND id = ?").bind(h.tenantId, h.requestId),
    ],
  };
}

/** Why a help would not be counted (read after a refused insert), in the order a helper should hear it. */
export async function helpFacts(db: D1Database, tenantId: string, assistId: string, helperId: string, deviceId: string | null) {
  const [byHelper, byDevice] = await db.batch([
    db.prepare("SELECT request_id FROM assist_helps WHERE tenant_id = ? AND assist_id = ? AND helper_id = ?").bind(tenantId, assistId, helperId),
    db.prepare("SELECT request_id FROM assist_helps WHERE tenant_id = ? AND assist_id = ? AND device_id = ?").bind(tenantId, assistId, deviceId ?? ""),
  ]);
  const helpedRequestId = (byHelper!.results[0] as { request_id: string } | undefined)?.request_id ?? null;
  /** helped: this helper helped in the activity (once per activity), helpedRequestId: which request that was. */
  return { helped: helpedRequestId !== null, helpedRequestId, deviceUsed: byDevice!.results.length > 0 };
}

export const countRefusalStmt = (db: D1Database, tenantId: string, assistId: string, reason: string) =>
  db.prepare("INSERT INTO assist_refusals (tenant_id, assist_id, reason, n) VALUES (?, ?, ?, 1) ON CONFLICT (tenant_id, assist_id, reason) DO UPDATE SET n = n + 1")
    .bind(tenantId, assistId, reason);

export const setRewardOrderStmt = (db: D1Database, tenantId: string, requestId: string, orderId: string) =>
  db.prepare("UPDATE assist_requests SET reward_order_id = ? WHERE tenant_id = ? AND id = ? AND status = 'reached' AND reward_order_id IS NULL").bind(orderId, tenantId, requestId);

export const rewardSet = (tenantId: string, requestId: string, orderId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM assist_requests WHERE tenant_id = ? AND id = ? AND reward_order_id = ?)",
  args: [tenantId, requestId, orderId],
});

/** Reached requests whose reward was not yet recorded (a crash between reaching and the free order): re-run. */
export async function unrewarded(db: D1Database, tenantId: string | null) {
  const q = tenantId
    ? db.prepare("SELECT * FROM assist_requests WHERE tenant_id = ? AND status = 'reached' AND reward_order_id IS NULL LIMIT 100").bind(tenantId)
    : db.prepare("SELECT * FROM assist_requests WHERE status = 'reached' AND reward_order_id IS NULL LIMIT 100");
  return (await q.all<AssistRequestRow>()).results;
}

export async function helpersOf(db: D1Database, tenantId: string, requestId: string) {
  const { results } = await db
    .prepare(`SELECT h.created_at AS at, b.phone_masked AS phone, h.helper_id AS helper FROM assist_helps h LEFT JOIN buyers b ON b.tenant_id = h.tenant_id AND b.id = h.helper_id
              WHERE h.tenant_id = ? AND h.request_id = ? ORDER BY h.created_at LIMIT 100`)
    .bind(tenantId, requestId)
    .all<{ at: string; phone: string | null; helper: string }>();
  return results;
}

export async function assistStats(db: D1Database, tenantId: string, assistId: string) {
  const [counts, helps, refusals, recent] = await db.batch([
    db.prepare(`SELECT COUNT(*) AS requests, SUM(status = 'open') AS open, SUM(status = 'reached') AS reached, SUM(status = 'expired') AS expired,
                SUM(reward_order_id IS NOT NULL) AS rewards FROM assist_requests WHERE tenant_id = ? AND assist_id = ?`).bind(tenantId, assistId),
    db.prepare("SELECT COUNT(*) AS n FROM assist_helps WHERE tenant_id = ? AND assist_id = ?").bind(tenantId, assistId),
    db.prepare("SELECT reason, n FROM assist_refusals WHERE tenant_id = ? AND assist_id = ?").bind(tenantId, assistId),
    db.prepare("SELECT * FROM assist_requests WHERE tenant_id = ? AND assist_id = ? ORDER BY created_at DESC LIMIT 20").bind(tenantId, assistId),
  ]);
  return {
    counts: counts!.results[0] as { requests: number; open: number | null; reached: number | null; expired: number | null; rewards: number | null },
    helps: (helps!.results[0] as { n: number }).n,
    refusals: refusals!.results as { reason: string; n: number }[],
    recent: recent!.results as AssistRequestRow[],
  };
}
