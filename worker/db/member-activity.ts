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
  return db.prepare("SELECT task_id, completion FROM member_task_completions WHERE tenant_id = ? AND member_id = ?")
    .bind(tenantId, memberId).all<{ task_id: string; completion: string }>().then((r) => r.results);
}

export function insertCompletionStmt(
  db: D1Database, c: { id: string; tenantId: string; taskId: string; memberId: string; completion: string; points: number; growth: number },
) {
  return db.prepare(
    "INSERT OR IGNORE INTO member_task_completions (id, tenant_id, task_id, member_id, completion, points, growth) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).bind(c.id, c.tenantId, c.taskId, c.memberId, c.completion, c.points, c.growth);
}

export const completionExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM member_task_completions WHERE id = ?)", args: [id] });


export function setCompletionVoucher(db: D1Database, id: string, voucherId: string) {
  return db.prepare("UPDATE member_task_completions SET voucher_id = ? WHERE id = ?").bind(voucherId, id).run();
}

/**
 * The facts a task is completed by, for one member: the profile (a birthday given), paid orders, redemptions of the
 * member's vouchers at a store, and friends they invited who joined (buyers acquired through their share links).
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
       WHERE m.id = ? AND r.tenant_id = ? AND r.outcome = 'succeeded' ORDER BY r.created_at LIMIT 200`,
    ).bind(memberId, tenantId),
    db.prepare(
      `SELECT f.id FROM members f JOIN buyers fb ON fb.id = f.buyer_id JOIN members m ON m.tenant_id = f.tenant_id
       WHERE m.id = ? AND f.tenant_id = ? AND fb.referrer_id = m.buyer_id ORDER BY f.joined_at LIMIT 200`,
    ).bind(memberId, tenantId),
  ]);
}
