/** Group buys (拼团): the durable record of definitions, teams and seats (schema/d1/0162). */
import type { SqlGuard } from "./statements";
import { guardArgs, guardSql } from "./statements";
import type { OrderRow } from "./orders";

export interface GroupBuyRow {
  id: string;
  tenant_id: string;
  product_id: string;
  product_name: string;
  price_cents: number;
  name: string;
  group_price_cents: number;
  team_size: number;
  team_minutes: number;
  starts_at: string;
  ends_at: string;
  auto_complete: number;
  status: "active" | "closed";
  created_at: string;
  closed_at: string | null;
}

export interface GroupTeamRow {
  id: string;
  tenant_id: string;
  group_buy_id: string;
  leader_id: string;
  size: number;
  status: "open" | "completed" | "failed";
  expires_at: string;
  opened_at: string;
  settled_at: string | null;
  fail_reason: string | null;
  auto_completed: number;
}

export interface GroupMemberRow {
  tenant_id: string;
  team_id: string;
  buyer_id: string;
  order_id: string;
  seat: number;
  status: "held" | "paid" | "refused";
  joined_at: string;
  paid_at: string | null;
  phone_masked: string | null;
  order_status: string;
  /** The seat's order's buyer now: the account a guest who took the seat was attached to since (its orders moved). */
  order_buyer_id: string;
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
const BUY = `SELECT g.*, p.name AS product_name, p.price_cents FROM group_buys g JOIN products p ON p.tenant_id = g.tenant_id AND p.id = g.product_id`;

export function insertGroupBuy(db: D1Database, r: Omit<GroupBuyRow, "product_name" | "price_cents" | "status" | "created_at" | "closed_at">) {
  return db
    .prepare(`INSERT INTO group_buys (id, tenant_id, product_id, name, group_price_cents, team_size, team_minutes, starts_at, ends_at, auto_complete)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(r.id, r.tenant_id, r.product_id, r.name, r.group_price_cents, r.team_size, r.team_minutes, r.starts_at, r.ends_at, r.auto_complete)
    .run();
}

export function getGroupBuy(db: D1Database, tenantId: string, id: string) {
  return db.prepare(`${BUY} WHERE g.tenant_id = ? AND g.id = ?`).bind(tenantId, id).first<GroupBuyRow>();
}

export interface TeamCountsRow {
  open_teams: number;
  completed_teams: number;
  failed_teams: number;
}

/** The newest 200 with how many of their teams are filling, full and failed (one grouped read of the tenant's teams). */
export async function listGroupBuys(db: D1Database, tenantId: string) {
  const { results } = await db
    .prepare(`SELECT g.*, p.name AS product_name, p.price_cents,
                     coalesce(c.open_teams, 0) AS open_teams, coalesce(c.completed_teams, 0) AS completed_teams, coalesce(c.failed_teams, 0) AS failed_teams
              FROM group_buys g JOIN products p ON p.tenant_id = g.tenant_id AND p.id = g.product_id
              LEFT JOIN (SELECT group_buy_id, sum(status = 'open') AS open_teams, sum(status = 'completed') AS completed_teams, sum(status = 'failed') AS failed_teams
                         FROM group_teams WHERE tenant_id = ? GROUP BY group_buy_id) c ON c.group_buy_id = g.id
              WHERE g.tenant_id = ? ORDER BY g.created_at DESC LIMIT 200`)
    .bind(tenantId, tenantId)
    .all<GroupBuyRow & TeamCountsRow>();
  return results;
}

/** Active now (window open, not closed), optionally of one product or one group buy. */
export async function activeGroupBuys(db: D1Database, tenantId: string, nowIso: string, productId: string | null, groupBuyId: string | null = null) {
  const { results } = await db
    .prepare(`${BUY} WHERE g.tenant_id = ? AND g.status = 'active' AND g.starts_at <= ? AND g.ends_at > ? AND p.status = 'published'
              AND (? IS NULL OR g.product_id = ?) AND (? IS NULL OR g.id = ?) ORDER BY g.created_at DESC LIMIT 20`)
    .bind(tenantId, nowIso, nowIso, productId, productId, groupBuyId, groupBuyId)
    .all<GroupBuyRow>();
  return results;
}

/** Not started yet (not closed), soonest first, optionally of one product or one group buy. */
export async function upcomingGroupBuys(db: D1Database, tenantId: string, nowIso: string, productId: string | null, groupBuyId: string | null = null) {
  const { results } = await db
    .prepare(`${BUY} WHERE g.tenant_id = ? AND g.status = 'active' AND g.starts_at > ? AND p.status = 'published'
              AND (? IS NULL OR g.product_id = ?) AND (? IS NULL OR g.id = ?) ORDER BY g.starts_at LIMIT 5`)
    .bind(tenantId, nowIso, productId, productId, groupBuyId, groupBuyId)
    .all<GroupBuyRow>();
  return results;
}

export function closeGroupBuy(db: D1Database, tenantId: string, id: string) {
  return db.prepare(`UPDATE group_buys SET status = 'closed', closed_at = ${NOW} WHERE tenant_id = ? AND id = ? AND status = 'active'`).bind(tenantId, id).run();
}

export function insertTeamStmt(db: D1Database, t: Pick<GroupTeamRow, "id" | "tenant_id" | "group_buy_id" | "leader_id" | "size" | "expires_at">) {
  return db
    .prepare("INSERT INTO group_teams (id, tenant_id, group_buy_id, leader_id, size, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(t.id, t.tenant_id, t.group_buy_id, t.leader_id, t.size, t.expires_at);
}

export function getTeam(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM group_teams WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<GroupTeamRow>();
}

export async function teamsOfBuy(db: D1Database, tenantId: string, groupBuyId: string) {
  const { results } = await db
    .prepare("SELECT * FROM group_teams WHERE tenant_id = ? AND group_buy_id = ? ORDER BY opened_at DESC LIMIT 200")
    .bind(tenantId, groupBuyId)
    .all<GroupTeamRow>();
  return results;
}

/** Seats of these teams with their order's status and the buyer's masked phone (for the page). */
export async function membersOfTeams(db: D1Database, tenantId: string, teamIds: string[]) {
  if (!teamIds.length) return [];
  const { results } = await db
    .prepare(
      `SELECT m.*, b.phone_masked, o.status AS order_status, o.buyer_id AS order_buyer_id FROM group_members m
       JOIN orders o ON o.tenant_id = m.tenant_id AND o.id = m.order_id
       LEFT JOIN buyers b ON b.tenant_id = m.tenant_id AND b.id = m.buyer_id
       WHERE m.tenant_id = ? AND m.team_id IN (SELECT value FROM json_each(?)) ORDER BY m.paid_at IS NULL, m.paid_at, m.seat`,
    )
    .bind(tenantId, JSON.stringify(teamIds))
    .all<GroupMemberRow>();
  return results;
}

/** A seat for a buyer, once per team (the seat number is the join order). */
export function insertMemberStmt(db: D1Database, tenantId: string, teamId: string, buyerId: string, orderId: string) {
  return db
    .prepare(
      `INSERT INTO group_members (tenant_id, team_id, buyer_id, order_id, seat)
       SELECT ?, ?, ?, ?, (SELECT COUNT(*) + 1 FROM group_members WHERE team_id = ?) ON CONFLICT DO NOTHING`,
    )
    .bind(tenantId, teamId, buyerId, orderId, teamId);
}

/** A held seat whose order lapsed unpaid gets the buyer's new order (only if it still names the lapsed one). */
export function replaceSeatOrderStmt(db: D1Database, tenantId: string, teamId: string, buyerId: string, lapsedOrderId: string, orderId: string) {
  return db
    .prepare(`UPDATE group_members SET order_id = ?, joined_at = ${NOW} WHERE tenant_id = ? AND team_id = ? AND buyer_id = ? AND order_id = ? AND status = 'held'`)
    .bind(orderId, tenantId, teamId, buyerId, lapsedOrderId);
}

/** The buyer's seat: taken by them, or by a guest of theirs attached to them since (the seat's order is theirs now). */
export function memberOfBuyer(db: D1Database, tenantId: string, teamId: string, buyerId: string) {
  return db
    .prepare(
      `SELECT m.*, NULL AS phone_masked, o.status AS order_status, o.buyer_id AS order_buyer_id FROM group_members m
       JOIN orders o ON o.tenant_id = m.tenant_id AND o.id = m.order_id
       WHERE m.tenant_id = ?1 AND m.team_id = ?2 AND (m.buyer_id = ?3 OR o.buyer_id = ?3) ORDER BY m.buyer_id = ?3 DESC LIMIT 1`,
    )
    .bind(tenantId, teamId, buyerId)
    .first<GroupMemberRow>();
}

/** held → paid | refused, once (the statement's own change is the guard of the events after it). */
export function settleMemberStmt(db: D1Database, tenantId: string, orderId: string, to: "paid" | "refused") {
  return db
    .prepare(`UPDATE group_members SET status = ?, paid_at = ${NOW} WHERE tenant_id = ? AND order_id = ? AND status = 'held'`)
    .bind(to, tenantId, orderId);
}

export const memberIs = (tenantId: string, orderId: string, status: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM group_members WHERE tenant_id = ? AND order_id = ? AND status = ?)",
  args: [tenantId, orderId, status],
});

export const teamIs = (tenantId: string, teamId: string, status: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM group_teams WHERE tenant_id = ? AND id = ? AND status = ?)",
  args: [tenantId, teamId, status],
});

/** open → completed | failed, once; RETURNING the row when this statement moved it. */
export function endTeamStmt(db: D1Database, tenantId: string, teamId: string, to: "completed" | "failed", extra: { reason?: string; auto?: boolean } = {}, guard?: SqlGuard) {
  return db
    .prepare(
      `UPDATE group_teams SET status = ?, settled_at = ${NOW}, fail_reason = ?, auto_completed = ?
       WHERE tenant_id = ? AND id = ? AND status = 'open' AND ${guardSql(guard)} RETURNING *`,
    )
    .bind(to, extra.reason ?? null, extra.auto ? 1 : 0, tenantId, teamId, ...guardArgs(guard));
}

/** Paid seats (D1's record) of a team: how a lost team object is rebuilt. */
export async function paidSeats(db: D1Database, tenantId: string, teamId: string) {
  const { results } = await db
    .prepare("SELECT order_id, buyer_id FROM group_members WHERE tenant_id = ? AND team_id = ? AND status = 'paid' ORDER BY paid_at, seat")
    .bind(tenantId, teamId)
    .all<{ order_id: string; buyer_id: string }>();
  return results;
}

/**
 * Orders of a team still 'paid' (waiting for the team's end, or for their delivery / refund after it). confirmedOnly:
 * only seats the team object confirmed — a payment still being refused is paid too, and must never be delivered.
 */
export async function paidOrdersOfTeam(db: D1Database, tenantId: string, teamId: string, confirmedOnly: boolean) {
  const { results } = await db
    .prepare(`SELECT o.* FROM group_members m JOIN orders o ON o.tenant_id = m.tenant_id AND o.id = m.order_id
              WHERE m.tenant_id = ? AND m.team_id = ? AND o.status = 'paid' AND (? = 0 OR m.status = 'paid')`)
    .bind(tenantId, teamId, confirmedOnly ? 1 : 0)
    .all<OrderRow>();
  return results;
}

// The cron sweep (across tenants): what is due, each then settled under its own tenant.

/** Paid orders whose seat was never settled (the request that took the payment died before asking the team). */
export async function unsettledPaidSeats(db: D1Database, paidBeforeIso: string, limit: number) {
  const { results } = await db
    .prepare(
      `SELECT o.* FROM group_members m JOIN orders o ON o.tenant_id = m.tenant_id AND o.id = m.order_id
       WHERE m.status = 'held' AND o.status = 'paid' AND o.paid_at <= ? LIMIT ?`,
    )
    .bind(paidBeforeIso, limit)
    .all<OrderRow>();
  return results;
}

export async function dueTeams(db: D1Database, nowIso: string, limit: number) {
  const { results } = await db
    .prepare("SELECT * FROM group_teams WHERE status = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?")
    .bind(nowIso, limit)
    .all<GroupTeamRow>();
  return results;
}

/** Ended teams with a member order still 'paid': a completed team's delivery or a failed team's refund left unfinished. */
export async function unfinishedTeams(db: D1Database, limit: number) {
  const { results } = await db
    .prepare(
      `SELECT DISTINCT g.* FROM group_teams g JOIN group_members m ON m.team_id = g.id JOIN orders o ON o.tenant_id = m.tenant_id AND o.id = m.order_id
       WHERE g.status IN ('completed', 'failed') AND m.status = 'paid' AND o.status = 'paid' LIMIT ?`,
    )
    .bind(limit)
    .all<GroupTeamRow>();
  return results;
}

/**
 * Ended teams with a seat whose order is still unpaid: the close of their unpaid seats did not finish (a crash after
 * the team ended, a gateway that could not be asked). Found from the unpaid orders (by orders.status), not the teams' history.
 */
export async function endedTeamsWithUnpaidSeats(db: D1Database, limit: number) {
  const { results } = await db
    .prepare(
      `SELECT DISTINCT g.* FROM orders o JOIN group_members m ON m.tenant_id = o.tenant_id AND m.order_id = o.id
       JOIN group_teams g ON g.tenant_id = m.tenant_id AND g.id = m.team_id
       WHERE o.status = 'created' AND o.source LIKE 'group:%' AND m.status = 'held' AND g.status IN ('completed', 'failed') LIMIT ?`,
    )
    .bind(limit)
    .all<GroupTeamRow>();
  return results;
}

/**
 * For the delivery cron (db/orders dueDeliveries, stuckOrders): a paid group order is not due for delivery until its
 * seat is confirmed and its team completed (a failed team's orders are refunded by the group sweep instead).
 */
export const GROUP_ORDER_WAITS_SQL = `NOT (status = 'paid' AND source LIKE 'group:%' AND NOT EXISTS
  (SELECT 1 FROM group_members gm JOIN group_teams gt ON gt.id = gm.team_id
   WHERE gm.order_id = orders.id AND gm.status = 'paid' AND gt.status = 'completed'))`;
