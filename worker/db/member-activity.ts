/** Check-ins and member tasks (schema/d1/0156). */
import type { SqlGuard } from "./statements";
import { guardArgs, guardSql } from "./statements";

export interface CheckInRow {
  tenant_id: string;
  member_id: string;
  day: string;
  streak: number;
  points: number;
  created_at: string;
}

export interface TaskRow {
  id: string;
  tenant_id: string;
  kind: "complete_profile" | "first_purchase" | "invite_friend" | "redeem_at_store";
  name: string;
  repeatable: number;
  points: number;
  growth: number;
  coupon_product_id: string | null;
  active: number;
  created_at: string;
}

export function lastCheckIn(db: D1Database, tenantId: string, memberId: string) {
  return db.prepare("SELECT * FROM member_check_ins WHERE tenant_id = ? AND member_id = ? ORDER BY day DESC LIMIT 1").bind(tenantId, memberId).first<CheckInRow>();
}

/** Once per member per day: the primary key refuses the second (INSERT OR IGNORE; check changes() right after). */
export function insertCheckInStmt(db: D1Database, tenantId: string, memberId: string, day: string, streak: number, points: number) {
  return db.prepare("INSERT OR IGNORE INTO member_check_ins (tenant_id, member_id, day, streak, points) VALUES (?, ?, ?, ?, ?)")
    .bind(tenantId, memberId, day, streak, points);
}

export function insertTask(db: D1Database, t: Omit<TaskRow, "created_at">) {
  return db.prepare(
    "INSERT INTO member_tasks (id, tenant_id, kind, name, repeatable, points, growth, coupon_product_id, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
  ).bind(t.id, t.tenant_id, t.kind, t.name, t.repeatable, t.points, t.growth, t.coupon_product_id, t.active).first<TaskRow>();
}

export function updateTask(db: D1Database, t: Omit<TaskRow, "created_at">) {
  return db.prepare(
    "UPDATE member_tasks SET kind = ?, name = ?, repeatable = ?, points = ?, growth = ?, coupon_product_id = ?, active = ? WHERE tenant_id = ? AND id = ? RETURNING *",
  ).bind(t.kind, t.name, t.repeatable, t.points, t.growth, t.coupon_product_id, t.active, t.tenant_id, t.id).first<TaskRow>();
}

export function listTasks(db: D1Database, tenantId: string, activeOnly: boolean) {
  return db.prepare(`SELECT * FROM member_tasks WHERE tenant_id = ? ${activeOnly ? "AND active = 1" : ""} ORDER BY created_at, id`)
    .bind(tenantId).all<TaskRow>().then((r) => r.results);
}

export function getTask(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM member_tasks WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<TaskRow>();
}

export function completionsOf(db: D1Database, tenantId: string, memberId: string) {
  return db.prepare("SELECT task_id, completion, reversed_at FROM member_task_completions WHERE tenant_id = ? AND member_id = ?")
    .bind(tenantId, memberId).all<{ task_id: string; completion: string; reversed_at: string | null }>().then((r) => r.results);
}

/**
 * `orderId`: the paid order a first-purchase completion stands on (its refund takes the reward back); written only
 * while that order is still paid, so a refund under way (the order claimed) cannot miss a completion made meanwhile.
 */
export function insertCompletionStmt(
  db: D1Database, c: { id: string; tenantId: string; taskId: string; memberId: string; completion: string; points: number; growth: number; orderId: string | null },
) {
  return db.prepare(
    `INSERT OR IGNORE INTO member_task_completions (id, tenant_id, task_id, member_id, completion, points, growth, order_id) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
     WHERE ?8 IS NULL OR EXISTS (SELECT 1 FROM orders WHERE tenant_id = ?2 AND id = ?8 AND status IN ('paid', 'delivered'))`,
  ).bind(c.id, c.tenantId, c.taskId, c.memberId, c.completion, c.points, c.growth, c.orderId);
}

export interface CompletionRow { id: string; task_id: string; member_id: string; completion: string; points: number; growth: number; voucher_id: string | null; buyer_id: string; task_name: string }

/** The completions an order stands on that were not taken back yet. */
export function completionsOfOrder(db: D1Database, tenantId: string, orderId: string) {
  return db.prepare(
    `SELECT c.id, c.task_id, c.member_id, c.completion, c.points, c.growth, c.voucher_id, m.buyer_id, t.name AS task_name FROM member_task_completions c
     JOIN members m ON m.id = c.member_id JOIN member_tasks t ON t.id = c.task_id
     WHERE c.tenant_id = ? AND c.order_id = ? AND c.reversed_at IS NULL`,
  ).bind(tenantId, orderId).all<CompletionRow>().then((r) => r.results);
}

/** Taken back once, only while the order is refunded: the rest of the take-back's batch is guarded on this. */
export function reverseCompletionStmt(db: D1Database, tenantId: string, id: string, orderId: string) {
  return db.prepare(
    `UPDATE member_task_completions SET reversed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND reversed_at IS NULL
     AND EXISTS (SELECT 1 FROM orders WHERE tenant_id = ? AND id = ? AND status = 'refunded')`,
  ).bind(tenantId, id, tenantId, orderId);
}

export const completionExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM member_task_completions WHERE id = ?)", args: [id] });
/** Holds in the take-back's batch once reverseCompletionStmt marked the completion. */
export const completionReversed = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM member_task_completions WHERE id = ? AND reversed_at IS NOT NULL)", args: [id] });


export function setCompletionVoucher(db: D1Database, id: string, voucherId: string) {
  return db.prepare("UPDATE member_task_completions SET voucher_id = ? WHERE id = ?").bind(voucherId, id).run();
}

/**
 * The facts a task is completed by, for one member: the profile (a birthday given), paid orders, redemptions of the
 * member's vouchers at a store, and friends they invited who joined (through their share or invite links).
 */
export function taskFacts(db: D1Database, tenantId: string, memberId: string) {
  return db.batch([
    db.prepare("SELECT birthday FROM members WHERE tenant_id = ? AND id = ?").bind(tenantId, memberId),
    db.prepare(
      `SELECT o.id FROM orders o JOIN members m ON m.tenant_id = o.tenant_id AND m.buyer_id = o.buyer_id
       WHERE m.id = ? AND o.tenant_id = ? AND o.status IN ('paid', 'delivered') AND o.amount_cents > 0 ORDER BY o.created_at LIMIT 1`,
    ).bind(memberId, tenantId),
    db.prepare(
      `SELECT r.id FROM redemptions r JOIN members m ON m.tenant_id = r.tenant_id AND m.buyer_id = r.holder_id
       WHERE m.id = ? AND r.tenant_id = ? AND r.outcome = 'succeeded' AND r.reversed_at IS NULL ORDER BY r.created_at LIMIT 200`,
    ).bind(memberId, tenantId),
    // A friend came through a share link (the buyer's referrer) or joined through the member's invite link (the
    // plain ?invite= link shares nothing): a refused invite (self-invite, already a member) is no friend brought.
    db.prepare(
      `SELECT f.id FROM members f JOIN buyers fb ON fb.id = f.buyer_id JOIN members m ON m.tenant_id = f.tenant_id
       WHERE m.id = ? AND f.tenant_id = ? AND (fb.referrer_id = m.buyer_id OR EXISTS (SELECT 1 FROM invites i
         WHERE i.tenant_id = f.tenant_id AND i.invitee_id = f.buyer_id AND i.inviter_id = m.buyer_id AND i.status <> 'refused'))
       ORDER BY f.joined_at LIMIT 200`,
    ).bind(memberId, tenantId),
  ]);
}
