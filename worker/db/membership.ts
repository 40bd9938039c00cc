/** Membership statements (issue 17): tiers, growth ledger and rules, joins, history, reviews, paid cards, benefits. */
import type { Keyset, SqlGuard } from "./statements";
import { guardArgs, guardSql } from "./statements";
import type { MemberRow } from "./members";

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

export interface TierRow {
  id: string;
  tenant_id: string;
  name: string;
  rank: number;
  growth_threshold: number;
  privileges: string;
}

export function listTierRows(db: D1Database, tenantId: string) {
  return db.prepare("SELECT * FROM member_tiers WHERE tenant_id = ? ORDER BY rank").bind(tenantId).all<TierRow>().then((r) => r.results);
}
export const tiersStmt = (db: D1Database, tenantId: string) => db.prepare("SELECT * FROM member_tiers WHERE tenant_id = ? ORDER BY rank").bind(tenantId);

/** Insert, refused (null) when the rank is taken. */
export function insertTier(db: D1Database, t: Omit<TierRow, "privileges"> & { privileges: string }) {
  return db
    .prepare("INSERT OR IGNORE INTO member_tiers (id, tenant_id, name, rank, growth_threshold, privileges) VALUES (?, ?, ?, ?, ?, ?) RETURNING *")
    .bind(t.id, t.tenant_id, t.name, t.rank, t.growth_threshold, t.privileges)
    .first<TierRow>();
}

export function updateTier(db: D1Database, t: Omit<TierRow, "privileges"> & { privileges: string }) {
  return db
    .prepare(`UPDATE OR IGNORE member_tiers SET name = ?, rank = ?, growth_threshold = ?, privileges = ?, updated_at = ${NOW} WHERE tenant_id = ? AND id = ? RETURNING *`)
    .bind(t.name, t.rank, t.growth_threshold, t.privileges, t.tenant_id, t.id)
    .first<TierRow>();
}

/** Deletes a tier nobody holds (earned or paid) and no paid card grants; false otherwise. */
export async function deleteUnusedTier(db: D1Database, tenantId: string, id: string): Promise<boolean> {
  const r = await db
    .prepare(
      // Members on the tier found by the tier (0242), not by walking the brand's members.
      `DELETE FROM member_tiers WHERE tenant_id = ? AND id = ?
         AND NOT EXISTS (SELECT 1 FROM members WHERE +tenant_id = ? AND tier_id = ?)
         AND NOT EXISTS (SELECT 1 FROM members WHERE +tenant_id = ? AND paid_tier_id = ?)
         AND NOT EXISTS (SELECT 1 FROM paid_card_plans WHERE tenant_id = ? AND tier_id = ?)`,
    )
    .bind(tenantId, id, tenantId, id, tenantId, id, tenantId, id)
    .run();
  return r.meta.changes === 1;
}

export interface GrowthRulesRow {
  per_yuan: number;
  actions: string;
  grace_days: number;
}
export const growthRulesStmt = (db: D1Database, tenantId: string) => db.prepare("SELECT * FROM member_growth_rules WHERE tenant_id = ?").bind(tenantId);

export function putGrowthRules(db: D1Database, tenantId: string, perYuan: number, actions: string, graceDays: number) {
  return db
    .prepare(
      `INSERT INTO member_growth_rules (tenant_id, per_yuan, actions, grace_days) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET per_yuan = excluded.per_yuan, actions = excluded.actions, grace_days = excluded.grace_days, updated_at = ${NOW}`,
    )
    .bind(tenantId, perYuan, actions, graceDays)
    .run();
}

/** A scalar SQL expression with its binds. */
export interface Frag {
  sql: string;
  args: unknown[];
}

/** The member who placed an order (null for a guest). */
export const memberOfBuyer = (tenantId: string, buyerId: string): Frag => ({ sql: "SELECT id FROM members WHERE tenant_id = ? AND buyer_id = ?", args: [tenantId, buyerId] });

/**
 * Growth an order earns: the part paid through a gateway × the brand's per_yuan (1 by default), truncated. The
 * stored-value part earned when it was loaded, so it does not earn again when spent.
 */
export const orderGrowthOf = (tenantId: string, orderId: string): Frag => ({
  sql: `SELECT CAST((o.amount_cents - o.stored_value_cents) / 100.0 * coalesce((SELECT per_yuan FROM member_growth_rules WHERE tenant_id = o.tenant_id), 1) AS INTEGER)
        FROM orders o WHERE o.tenant_id = ? AND o.id = ?`,
  args: [tenantId, orderId],
});

/** The brand's growth for one action kind (growth rules `actions`): null (nothing earned) when the rules name none. */
export const actionGrowthOf = (tenantId: string, kind: string): Frag => ({
  sql: "SELECT CAST(json_extract(actions, '$.' || ?) AS INTEGER) FROM member_growth_rules WHERE tenant_id = ?",
  args: [kind, tenantId],
});

/** Join: one row per (brand, buyer) and per card number; the entry tier is the best one growth 0 reaches. */
export function insertMemberStmt(db: D1Database, m: { id: string; tenantId: string; buyerId: string; cardNo: string; via: string }) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO members (id, tenant_id, buyer_id, card_no, tier_id, joined_via)
       VALUES (?, ?, ?, ?, (SELECT id FROM member_tiers WHERE tenant_id = ? AND growth_threshold <= 0 ORDER BY rank DESC LIMIT 1), ?)`,
    )
    .bind(m.id, m.tenantId, m.buyerId, m.cardNo, m.tenantId, m.via);
}
export const memberInserted = (tenantId: string, id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM members WHERE tenant_id = ? AND id = ?)", args: [tenantId, id] });
export const memberByBuyerStmt = (db: D1Database, tenantId: string, buyerId: string) =>
  db.prepare("SELECT * FROM members WHERE tenant_id = ? AND buyer_id = ?").bind(tenantId, buyerId);

/** A history row, written only when `guard` holds in the batch. */
export function historyStmt(db: D1Database, h: { id: string; tenantId: string; memberId: Frag; kind: string; detail: Frag }, guard?: SqlGuard) {
  return db
    .prepare(`INSERT INTO member_history (id, tenant_id, member_id, kind, detail) SELECT ?, ?, (${h.memberId.sql}), ?, (${h.detail.sql}) WHERE ${guardSql(guard)}`)
    .bind(h.id, h.tenantId, ...h.memberId.args, h.kind, ...h.detail.args, ...guardArgs(guard));
}
export const historyExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM member_history WHERE id = ?)", args: [id] });

export interface HistoryRow {
  id: string;
  kind: string;
  detail: string;
  created_at: string;
}
export function historyOf(db: D1Database, tenantId: string, memberId: string, limit = 50) {
  return db
    .prepare("SELECT id, kind, detail, created_at FROM member_history WHERE tenant_id = ? AND member_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
    .bind(tenantId, memberId, limit)
    .all<HistoryRow>()
    .then((r) => r.results);
}

/**
 * Growth for one source, as statements for the caller's batch: the ledger row (once per member and source — a
 * repeat inserts nothing and so changes nothing), the member's growth, and an upgrade at once when the new growth
 * reaches a better tier (history row, then the member's tier from it). Each later statement is guarded on the row
 * before it having been written by this very batch (fresh ids).
 */
export function growthStmts(
  db: D1Database,
  p: { id: string; historyId: string; tenantId: string; member: Frag; growth: Frag; sourceKind: string; sourceId: string; guard?: SqlGuard },
) {
  const { id, historyId: hid, tenantId: t } = p;
  return [
    db
      .prepare(
        `INSERT OR IGNORE INTO member_growth (id, tenant_id, member_id, growth, source_kind, source_id)
         SELECT ?, ?, mid, g, ?, ? FROM (SELECT (${p.member.sql}) AS mid, (${p.growth.sql}) AS g)
         WHERE mid IS NOT NULL AND g IS NOT NULL AND g <> 0 AND ${guardSql(p.guard)}`,
      )
      .bind(id, t, p.sourceKind, p.sourceId, ...p.member.args, ...p.growth.args, ...guardArgs(p.guard)),
    db
      .prepare("UPDATE members SET growth = max(0, growth + (SELECT growth FROM member_growth WHERE id = ?)) WHERE tenant_id = ? AND id = (SELECT member_id FROM member_growth WHERE id = ?)")
      .bind(id, t, id),
    db
      .prepare(
        `INSERT INTO member_history (id, tenant_id, member_id, kind, detail)
         SELECT ?, m.tenant_id, m.id, 'tier_changed', json_object('direction', 'up', 'fromTierId', m.tier_id, 'toTierId', nt.id, 'toTierName', nt.name,
                'fromRank', cur.rank, 'toRank', nt.rank, 'reason', 'growth', 'growth', m.growth, 'sourceKind', ?, 'sourceId', ?)
         FROM members m
         JOIN member_tiers nt ON nt.id = (SELECT id FROM member_tiers WHERE tenant_id = m.tenant_id AND growth_threshold <= m.growth ORDER BY rank DESC LIMIT 1)
         LEFT JOIN member_tiers cur ON cur.id = m.tier_id
         WHERE m.tenant_id = ? AND m.id = (SELECT member_id FROM member_growth WHERE id = ?) AND nt.rank > coalesce(cur.rank, -1)`,
      )
      .bind(hid, p.sourceKind, p.sourceId, t, id),
    db
      .prepare("UPDATE members SET tier_id = (SELECT json_extract(detail, '$.toTierId') FROM member_history WHERE id = ?) WHERE tenant_id = ? AND id = (SELECT member_id FROM member_history WHERE id = ?)")
      .bind(hid, t, hid),
  ];
}
/**
 * After a refund took a source's growth back (growth row `refundGrowthId`; the source: an order, or the first-purchase
 * task an order earned): the earned tier goes back to the best tier the growth left still reaches, but never below the
 * tier held before the refunded order earned (a tier kept by a review or reached earlier stays). `since` names the
 * growth rows that order stands for (the order's own, and its task's); the earliest of the member's marks "before".
 * Only a tier the refunded growth bought is taken back; history row `historyId` says so (reason order_refunded).
 * Growth left below every threshold, with no tier held before, leaves no tier at all (toTierId null): a brand
 * whose lowest tier needs growth gives it to nobody who has not earned it.
 */
export function refundDowngradeStmts(
  db: D1Database, p: { historyId: string; tenantId: string; refundGrowthId: string; since: { kind: string; id: string }[]; takenKind: string; takenId: string; reason: string },
) {
  const { historyId: hid, tenantId: t } = p;
  const sources = p.since.map(() => "(source_kind = ? AND source_id = ?)").join(" OR ");
  // The tier held before the order earned: the last tier change written before the first of those growth rows.
  const before = `(SELECT coalesce(max(bt.rank), -1) FROM member_tiers bt WHERE bt.tenant_id = m.tenant_id AND bt.id = (
      SELECT json_extract(h.detail, '$.toTierId') FROM member_history h
      WHERE h.tenant_id = m.tenant_id AND h.member_id = m.id AND h.kind = 'tier_changed' AND h.created_at < og.created_at
      ORDER BY h.created_at DESC LIMIT 1))`;
  return [
    db
      .prepare(
        `INSERT INTO member_history (id, tenant_id, member_id, kind, detail)
         SELECT ?, m.tenant_id, m.id, 'tier_changed', json_object('direction', 'down', 'fromTierId', m.tier_id, 'toTierId', nt.id, 'toTierName', nt.name,
                'fromRank', cur.rank, 'toRank', nt.rank, 'reason', ?, 'growth', m.growth, 'sourceKind', ?, 'sourceId', ?)
         FROM member_growth rg
         JOIN members m ON m.tenant_id = rg.tenant_id AND m.id = rg.member_id
         JOIN member_growth og ON og.id = (SELECT id FROM member_growth WHERE tenant_id = rg.tenant_id AND member_id = rg.member_id AND (${sources})
                                           ORDER BY created_at LIMIT 1)
         JOIN member_tiers cur ON cur.id = m.tier_id
         LEFT JOIN member_tiers nt ON nt.id = (SELECT id FROM member_tiers WHERE tenant_id = m.tenant_id AND (growth_threshold <= m.growth OR rank <= ${before})
                                               ORDER BY rank DESC LIMIT 1)
         WHERE rg.id = ? AND rg.tenant_id = ? AND coalesce(nt.rank, -1) < cur.rank`,
      )
      .bind(hid, p.reason, p.takenKind, p.takenId, ...p.since.flatMap((x) => [x.kind, x.id]), p.refundGrowthId, t),
    db
      .prepare("UPDATE members SET tier_id = (SELECT json_extract(detail, '$.toTierId') FROM member_history WHERE id = ?) WHERE tenant_id = ? AND id = (SELECT member_id FROM member_history WHERE id = ?)")
      .bind(hid, t, hid),
  ];
}
export const growthRowExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM member_growth WHERE id = ?)", args: [id] });

/** Growth of the last year (the yearly review). */
export function growthSince(db: D1Database, tenantId: string, memberId: string, since: string) {
  return db
    .prepare("SELECT coalesce(sum(growth), 0) AS n FROM member_growth WHERE tenant_id = ? AND member_id = ? AND created_at > ?")
    .bind(tenantId, memberId, since)
    .first<{ n: number }>()
    .then((r) => r?.n ?? 0);
}

export type ReviewCandidate = MemberRow & { cycle: number; state: string | null; grace_until: string | null };

/** The membership year completed at `?` (cycle 1 = the first anniversary), as the reviews count them. */
const CYCLE = "CAST((julianday(?) - julianday(m.joined_at)) / 365 AS INTEGER)";

/** A page of members due a review step at `now` (review_due_at reached), after `after` (the run's keyset cursor). */
export function reviewCandidates(db: D1Database, now: string, after: Keyset | null, limit = 200) {
  return db
    .prepare(
      `SELECT m.*, ${CYCLE} AS cycle, r.state, r.grace_until FROM members m
       LEFT JOIN member_reviews r ON r.tenant_id = m.tenant_id AND r.member_id = m.id AND r.cycle = ${CYCLE}
       WHERE m.review_due_at <= ? AND (m.review_due_at, m.id) > (?, ?)
       ORDER BY m.review_due_at, m.id LIMIT ?`,
    )
    .bind(now, now, now, after?.at ?? "", after?.id ?? "", limit)
    .all<ReviewCandidate>()
    .then((r) => r.results);
}


/**
 * The member's next review step: the end of a grace period, else the anniversary that starts cycle `cycle + 1`.
 * Guarded by the due date read, so a concurrent run's move is not undone.
 */
export function reviewDueStmt(db: D1Database, tenantId: string, memberId: string, seen: string, cycle: number, graceUntil: string | null) {
  return db
    .prepare(
      `UPDATE members SET review_due_at = coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', julianday(joined_at) + 365 * ?))
       WHERE tenant_id = ? AND id = ? AND review_due_at = ?`,
    )
    .bind(graceUntil, Math.max(cycle, 0) + 1, tenantId, memberId, seen);
}

export function insertReviewStmt(db: D1Database, r: { tenantId: string; memberId: string; cycle: number; state: string; targetTierId: string | null; graceUntil: string | null }) {
  return db
    .prepare("INSERT OR IGNORE INTO member_reviews (tenant_id, member_id, cycle, state, target_tier_id, grace_until) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(r.tenantId, r.memberId, r.cycle, r.state, r.targetTierId, r.graceUntil);
}
export function closeReviewStmt(db: D1Database, tenantId: string, memberId: string, cycle: number, state: "kept" | "down") {
  return db
    .prepare(`UPDATE member_reviews SET state = ?, updated_at = ${NOW} WHERE tenant_id = ? AND member_id = ? AND cycle = ? AND state = 'grace'`)
    .bind(state, tenantId, memberId, cycle);
}

/** The member's growth counts only the last year after a review; `tierId` undefined keeps the tier. */
export function setGrowthAndTierStmt(db: D1Database, tenantId: string, memberId: string, growth: number, tierId: string | null | undefined, guard?: SqlGuard) {
  const setTier = tierId === undefined ? "" : ", tier_id = ?";
  return db
    .prepare(`UPDATE members SET growth = ?${setTier} WHERE tenant_id = ? AND id = ? AND ${guardSql(guard)}`)
    .bind(growth, ...(tierId === undefined ? [] : [tierId]), tenantId, memberId, ...guardArgs(guard));
}

// Paid membership cards.
export interface PaidCardPlanRow {
  product_id: string;
  tenant_id: string;
  tier_id: string;
  months: number;
  gift_product_ids: string;
  monthly_product_ids: string;
}
export function putPaidCardPlan(db: D1Database, r: PaidCardPlanRow) {
  return db
    .prepare(
      `INSERT INTO paid_card_plans (product_id, tenant_id, tier_id, months, gift_product_ids, monthly_product_ids) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (product_id) DO UPDATE SET tier_id = excluded.tier_id, months = excluded.months, gift_product_ids = excluded.gift_product_ids,
         monthly_product_ids = excluded.monthly_product_ids, updated_at = ${NOW}
       WHERE paid_card_plans.tenant_id = excluded.tenant_id RETURNING *`,
    )
    .bind(r.product_id, r.tenant_id, r.tier_id, r.months, r.gift_product_ids, r.monthly_product_ids)
    .first<PaidCardPlanRow>();
}
export const paidCardPlansStmt = (db: D1Database, tenantId: string) => db.prepare("SELECT * FROM paid_card_plans WHERE tenant_id = ?").bind(tenantId);
export const paidCardPlanStmt = (db: D1Database, tenantId: string, productId: string) =>
  db.prepare("SELECT * FROM paid_card_plans WHERE tenant_id = ? AND product_id = ?").bind(tenantId, productId);

/** Holds when a buyer with no membership may order the product: it is no paid card and no tier reserves it for members. */
export const nonMemberMayOrder = (tenantId: string, productId: string): SqlGuard => ({
  sql: `NOT EXISTS (SELECT 1 FROM paid_card_plans WHERE tenant_id = ? AND product_id = ?)
        AND NOT EXISTS (SELECT 1 FROM member_tiers t, json_each(t.privileges, '$.memberOnlyProductIds') j WHERE t.tenant_id = ? AND j.value = ?)`,
  args: [tenantId, productId, tenantId, productId],
});

/**
 * A paid card order, in the batch that marks the order paid (guard: paid by this very notice): its term (once per
 * order: primary key) starting at the end of a running term (renewal) or now, and the member's paid tier and date.
 */
export function paidCardStmts(db: D1Database, tenantId: string, orderId: string, buyerId: string, productId: string, guard: SqlGuard) {
  return [
    db
      .prepare(
        `INSERT OR IGNORE INTO paid_card_terms (order_id, tenant_id, member_id, product_id, tier_id, kind, starts_at, valid_until)
         SELECT ?, m.tenant_id, m.id, p.product_id, p.tier_id,
                CASE WHEN m.paid_until > ${NOW} THEN 'renewed' ELSE 'purchased' END,
                CASE WHEN m.paid_until > ${NOW} THEN m.paid_until ELSE ${NOW} END,
                strftime('%Y-%m-%dT%H:%M:%fZ', CASE WHEN m.paid_until > ${NOW} THEN m.paid_until ELSE ${NOW} END, '+' || p.months || ' months')
         FROM members m JOIN paid_card_plans p ON p.tenant_id = m.tenant_id AND p.product_id = ?
         WHERE m.tenant_id = ? AND m.buyer_id = ? AND ${guardSql(guard)}`,
      )
      .bind(orderId, productId, tenantId, buyerId, ...guardArgs(guard)),
    // changes(): the term was inserted by the statement just before (a repeated notice inserts none).
    db
      .prepare(
        `UPDATE members SET paid_tier_id = (SELECT tier_id FROM paid_card_terms WHERE order_id = ?), paid_until = (SELECT valid_until FROM paid_card_terms WHERE order_id = ?)
         WHERE tenant_id = ? AND id = (SELECT member_id FROM paid_card_terms WHERE order_id = ?) AND changes() = 1`,
      )
      .bind(orderId, orderId, tenantId, orderId),
  ];
}
/** A refunded order's paid-card term, taken back once (see services/membership.ts orderRefundMemberStmts). */
export function paidTermRefundStmts(db: D1Database, tenantId: string, orderId: string, guard: SqlGuard) {
  return [
    db.prepare(`UPDATE paid_card_terms SET kind = 'refunded', gift_issued = 1 WHERE tenant_id = ? AND order_id = ? AND kind != 'refunded' AND ${guardSql(guard)}`)
      .bind(tenantId, orderId, ...guardArgs(guard)),
    // changes(): this batch's statement just before took the term back (a replay takes nothing). What goes back is
    // what this purchase granted (its valid_until - starts_at), whatever the plan's months are now.
    db.prepare(
      `UPDATE members SET paid_until = strftime('%Y-%m-%dT%H:%M:%fZ', julianday(paid_until) - (SELECT julianday(t.valid_until) - julianday(t.starts_at)
         FROM paid_card_terms t WHERE t.order_id = ?1))
       WHERE tenant_id = ?2 AND id = (SELECT member_id FROM paid_card_terms WHERE order_id = ?1) AND paid_until IS NOT NULL AND changes() = 1`,
    ).bind(orderId, tenantId),
  ];
}
export const paidTermOf = (orderId: string, field: string): Frag => ({ sql: `SELECT ${field} FROM paid_card_terms WHERE order_id = ?`, args: [orderId] });

export function paidTermsOf(db: D1Database, tenantId: string, memberId: string) {
  return db
    .prepare("SELECT * FROM paid_card_terms WHERE tenant_id = ? AND member_id = ? ORDER BY created_at DESC")
    .bind(tenantId, memberId)
    .all<{ order_id: string; product_id: string; tier_id: string; kind: string; valid_until: string; created_at: string }>()
    .then((r) => r.results);
}

/** Members whose paid card ran out. */
export function lapsedPaidCards(db: D1Database, now: string, limit = 200) {
  return db
    .prepare(
      `SELECT m.*, (SELECT product_id FROM paid_card_terms t WHERE t.tenant_id = m.tenant_id AND t.member_id = m.id ORDER BY t.valid_until DESC LIMIT 1) AS card_id
       FROM members m WHERE paid_tier_id IS NOT NULL AND paid_until <= ? LIMIT ?`,
    )
    .bind(now, limit)
    .all<MemberRow & { card_id: string | null }>()
    .then((r) => r.results);
}
export function lapseStmt(db: D1Database, tenantId: string, memberId: string, paidUntil: string) {
  return db.prepare("UPDATE members SET paid_tier_id = NULL WHERE tenant_id = ? AND id = ? AND paid_until = ? AND paid_tier_id IS NOT NULL").bind(tenantId, memberId, paidUntil);
}

// Benefits (monthly packs, birthday gifts, paid-card packs): one row per member, kind and period once issued.
export function benefitDoneStmt(db: D1Database, tenantId: string, memberId: string, kind: string, period: string, orderIds: string[]) {
  return db
    .prepare("INSERT OR IGNORE INTO member_benefits (tenant_id, member_id, kind, period, order_ids) VALUES (?, ?, ?, ?, ?)")
    .bind(tenantId, memberId, kind, period, JSON.stringify(orderIds));
}

export type BenefitCandidate = MemberRow & { privileges: string | null; paid_privileges: string | null; plan_monthly: string | null };

/**
 * A page of members not yet looked at for `period`'s benefits (benefits_period before it), after `after` (the run's
 * keyset cursor), with their earned tier's and (valid) paid tier's privileges and the monthly products of their
 * running paid card.
 */
export function benefitCandidates(db: D1Database, now: string, period: string, after: Keyset | null, limit = 200) {
  return db
    .prepare(
      `SELECT m.*, t.privileges, CASE WHEN m.paid_until > ? THEN pt.privileges END AS paid_privileges,
         CASE WHEN m.paid_until > ? THEN (SELECT p.monthly_product_ids FROM paid_card_terms tm JOIN paid_card_plans p ON p.product_id = tm.product_id
           WHERE tm.tenant_id = m.tenant_id AND tm.member_id = m.id ORDER BY tm.valid_until DESC LIMIT 1) END AS plan_monthly
       FROM members m LEFT JOIN member_tiers t ON t.id = m.tier_id LEFT JOIN member_tiers pt ON pt.id = m.paid_tier_id
       WHERE m.benefits_period < ? AND (m.benefits_period, m.id) > (?, ?)
       ORDER BY m.benefits_period, m.id LIMIT ?`,
    )
    .bind(now, now, period, after?.at ?? "", after?.id ?? "", limit)
    .all<BenefitCandidate>()
    .then((r) => r.results);
}
/** Members checked for `period`: its 'checked' rows (what the birthday flow reads) and the cron's cursor column. */
export function benefitsCheckedStmts(db: D1Database, members: { tenant_id: string; id: string }[], period: string) {
  const json = JSON.stringify(members.map((m) => [m.tenant_id, m.id]));
  return [
    db
      .prepare(
        `INSERT OR IGNORE INTO member_benefits (tenant_id, member_id, kind, period, order_ids)
         SELECT value ->> 0, value ->> 1, 'checked', ?, '[]' FROM json_each(?)`,
      )
      .bind(period, json),
    db
      .prepare(
        `UPDATE members SET benefits_period = ?
         WHERE benefits_period < ? AND (tenant_id, id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))`,
      )
      .bind(period, period, json),
  ];
}
export const benefitCandidateStmt = (db: D1Database, tenantId: string, memberId: string, now: string) =>
  db
    .prepare(
      `SELECT m.*, t.privileges, CASE WHEN m.paid_until > ? THEN pt.privileges END AS paid_privileges,
         CASE WHEN m.paid_until > ? THEN (SELECT p.monthly_product_ids FROM paid_card_terms tm JOIN paid_card_plans p ON p.product_id = tm.product_id
           WHERE tm.tenant_id = m.tenant_id AND tm.member_id = m.id ORDER BY tm.valid_until DESC LIMIT 1) END AS plan_monthly
       FROM members m LEFT JOIN member_tiers t ON t.id = m.tier_id LEFT JOIN member_tiers pt ON pt.id = m.paid_tier_id
       WHERE m.tenant_id = ? AND m.id = ?`,
    )
    .bind(now, now, tenantId, memberId);
export function benefitsOf(db: D1Database, tenantId: string, memberId: string) {
  return db
    .prepare("SELECT kind, period FROM member_benefits WHERE tenant_id = ? AND member_id = ?")
    .bind(tenantId, memberId)
    .all<{ kind: string; period: string }>()
    .then((r) => r.results);
}
export type GiftOwed = { order_id: string; tenant_id: string; member_id: string; buyer_id: string; gift_product_ids: string; valid_until: string };
/** Paid card orders whose gift pack is not yet issued (all of them, or the one order `orderId`). */
export function giftsOwed(db: D1Database, orderId?: string, limit = 100) {
  return db
    .prepare(
      `SELECT tm.*, m.buyer_id, p.gift_product_ids FROM paid_card_terms tm JOIN members m ON m.id = tm.member_id JOIN paid_card_plans p ON p.product_id = tm.product_id
       WHERE tm.gift_issued = 0 AND (?1 IS NULL OR tm.order_id = ?1)
         AND NOT EXISTS (SELECT 1 FROM member_benefits b WHERE b.tenant_id = tm.tenant_id AND b.member_id = tm.member_id AND b.kind = 'paid_gift' AND b.period = tm.order_id)
       ORDER BY tm.created_at LIMIT ?2`,
    )
    .bind(orderId ?? null, limit)
    .all<GiftOwed>()
    .then((r) => r.results);
}
/** The gift pack of this paid order issued: its benefit row and the term's flag, together. */
export function giftIssuedStmts(db: D1Database, g: GiftOwed, orderIds: string[]) {
  return [
    benefitDoneStmt(db, g.tenant_id, g.member_id, "paid_gift", g.order_id, orderIds),
    db.prepare("UPDATE paid_card_terms SET gift_issued = 1 WHERE tenant_id = ? AND order_id = ?").bind(g.tenant_id, g.order_id),
  ];
}

// Benefit items owed (migration 0223): what the cron could not issue, tried again until the period ends.
export type OwedItem = { tenantId: string; memberId: string; buyerId: string; kind: string; period: string; item: number; productId: string; keyBase: string; reason: string; until: string };
/** Records an item owed; `guard`ed statements after it (the alert) run only when this row is new. */
export function owedItemStmt(db: D1Database, o: OwedItem, now: string) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO member_benefits_owed (tenant_id, member_id, kind, period, item, product_id, buyer_id, key_base, reason, until, next_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(o.tenantId, o.memberId, o.kind, o.period, o.item, o.productId, o.buyerId, o.keyBase, o.reason, o.until, now);
}
export type OwedRow = { tenant_id: string; member_id: string; buyer_id: string; kind: string; period: string; item: number; product_id: string; key_base: string; attempt: number };
/** Owed items due a retry at `now` whose period has not ended, the longest waiting first. */
export function owedItemsDue(db: D1Database, now: string, limit = 100) {
  return db
    .prepare("SELECT * FROM member_benefits_owed WHERE next_at <= ? AND until > ? ORDER BY next_at LIMIT ?")
    .bind(now, now, limit)
    .all<OwedRow>()
    .then((r) => r.results);
}
/**
 * Whether the product may be issued now: it exists and, for counted stock, has a unit left (card keys and bundles are
 * left to createOrder, which refuses an empty card-key product before writing an order).
 */
export function productIssuable(db: D1Database, tenantId: string, productId: string) {
  return db
    .prepare(
      `SELECT 1 AS y FROM products WHERE tenant_id = ? AND id = ?
         AND (kind IN ('card_key', 'bundle') OR stock_total IS NULL OR stock_total - stock_reserved - stock_sold >= 1)`,
    )
    .bind(tenantId, productId)
    .first<{ y: number }>()
    .then((r) => !!r);
}
const owedKey = "tenant_id = ? AND member_id = ? AND kind = ? AND period = ? AND item = ?";
const owedArgs = (o: OwedRow) => [o.tenant_id, o.member_id, o.kind, o.period, o.item];
const LAPSED_AT = "9999-12-31T23:59:59.999Z";
export type LapsingRow = OwedRow & { reason: string; until: string };
/** Owed items whose period ended unissued (next_at due, until passed), the longest waiting first. */
export function owedItemsLapsing(db: D1Database, now: string, limit = 100) {
  return db
    .prepare("SELECT * FROM member_benefits_owed WHERE next_at <= ?1 AND until <= ?1 ORDER BY next_at LIMIT ?2")
    .bind(now, limit)
    .all<LapsingRow>()
    .then((r) => r.results);
}
/**
 * An owed item whose period ended unissued leaves the due range (its next_at moves past any date), kept as the record
 * of what the member missed: left due, every cron minute read it again, for ever. changes() is 1 only the first time.
 */
export function lapseOwedItemStmt(db: D1Database, o: OwedRow) {
  return db.prepare(`UPDATE member_benefits_owed SET next_at = '${LAPSED_AT}' WHERE ${owedKey} AND next_at < '${LAPSED_AT}'`).bind(...owedArgs(o));
}
/** A retry that did not issue: try again at `nextAt`; `failed` (an order may now exist under this attempt's key) moves to the next key. */
export function owedRetryLaterStmt(db: D1Database, o: OwedRow, nextAt: string, reason: string, failed: boolean) {
  return db
    .prepare(`UPDATE member_benefits_owed SET next_at = ?, reason = ?, attempt = attempt + ? WHERE ${owedKey} AND attempt = ?`)
    .bind(nextAt, reason, failed ? 1 : 0, ...owedArgs(o), o.attempt);
}
/**
 * The item issued: the owed row goes and its order joins the period's member_benefits row, once. A run that met the
 * first try's order still in flight recorded its id before that try was cancelled (sold out): cancelled ids go.
 */
export function owedIssuedStmts(db: D1Database, o: OwedRow, orderId: string) {
  return [
    db.prepare(`DELETE FROM member_benefits_owed WHERE ${owedKey}`).bind(...owedArgs(o)),
    db
      .prepare(
        `UPDATE member_benefits SET order_ids = (
           SELECT json_group_array(v) FROM (
             SELECT j.value AS v FROM json_each(member_benefits.order_ids) j
             WHERE NOT EXISTS (SELECT 1 FROM orders x WHERE x.tenant_id = member_benefits.tenant_id AND x.id = j.value AND x.status = 'cancelled')
             UNION ALL SELECT ?))
         WHERE changes() = 1 AND tenant_id = ? AND member_id = ? AND kind = ? AND period = ?`,
      )
      .bind(orderId, o.tenant_id, o.member_id, o.kind, o.period),
  ];
}

// Operator search.
/**
 * Members by card number (prefix) or the last 4 phone digits, newest first. A query of 3 characters or more reads the
 * matches through indexes (the card range on `(tenant_id, card_no)`, the tail on `buyers_phone_tail`, 0204) and sorts
 * only them; a 1–2 character prefix matches a large share of the cards, so it walks the members newest first until
 * `limit` match. Either way a search no longer reads every member of the brand.
 */
/**
 * The tier in force of the members row `m`, as domain/tiers.ts effectiveTier (the member's own card) decides it: a
 * valid paid card's tier when it ranks above the earned tier (or there is none), else the earned tier.
 */
const TIER_IN_FORCE = `CASE WHEN m.paid_tier_id IS NOT NULL AND m.paid_until > ${NOW} AND EXISTS (SELECT 1 FROM member_tiers pt WHERE pt.id = m.paid_tier_id
    AND pt.rank > coalesce((SELECT rank FROM member_tiers WHERE id = m.tier_id), pt.rank - 1)) THEN m.paid_tier_id ELSE m.tier_id END`;

/** The operator's search; tier_id_in_force / tier_name are the tier in force, and `tierId` filters on it. */
export function searchMembers(db: D1Database, tenantId: string, q: { q?: string; tierId?: string; tag?: string; limit: number }) {
  const where = ["m.tenant_id = ?1"];
  const args: unknown[] = [tenantId, q.limit];
  const arg = (v: unknown) => `?${args.push(v)}`;
  const text = q.q?.trim();
  let from = "members m";
  if (text && text.length >= 3) {
    const card = arg(text);
    const tail = text.length >= 4 ? `UNION SELECT m2.id FROM buyers b2 CROSS JOIN members m2 ON m2.tenant_id = b2.tenant_id AND m2.buyer_id = b2.id
           WHERE b2.tenant_id = ?1 AND b2.phone_masked IS NOT NULL AND substr(b2.phone_masked, -4) = ${arg(text.slice(-4))}` : "";
    from = `(SELECT id FROM members WHERE tenant_id = ?1 AND card_no >= ${card} AND card_no < ${card} || char(1114111) ${tail}) h CROSS JOIN members m ON m.id = h.id`;
  } else if (text) {
    const card = arg(text);
    where.push(`+m.card_no >= ${card} AND +m.card_no < ${card} || char(1114111)`);
  }
  if (q.tierId) {
    const tier = arg(q.tierId);
    where.push(`(m.tier_id = ${tier} OR m.paid_tier_id = ${tier}) AND (${TIER_IN_FORCE}) = ${tier}`);
  }
  if (q.tag) where.push(`EXISTS (SELECT 1 FROM json_each(m.tags) WHERE value = ${arg(q.tag)})`);
  return db
    .prepare(
      `SELECT m.*, b.phone_masked, t.id AS tier_id_in_force, t.name AS tier_name FROM ${from} JOIN buyers b ON b.id = m.buyer_id
       LEFT JOIN member_tiers t ON t.id = (${TIER_IN_FORCE})
       WHERE ${where.join(" AND ")} ORDER BY m.joined_at DESC, m.id DESC LIMIT ?2`,
    )
    .bind(...args)
    .all<MemberRow & { phone_masked: string | null; tier_id_in_force: string | null; tier_name: string | null }>()
    .then((r) => r.results);
}

export function setTagsStmt(db: D1Database, tenantId: string, memberId: string, tags: string) {
  return db.prepare("UPDATE members SET tags = ? WHERE tenant_id = ? AND id = ? RETURNING *").bind(tags, tenantId, memberId);
}
export function setBirthdayStmt(db: D1Database, tenantId: string, buyerId: string, birthday: string | null) {
  return db.prepare("UPDATE members SET birthday = ? WHERE tenant_id = ? AND buyer_id = ?").bind(birthday, tenantId, buyerId);
}

/** A guest's membership follows the guest onto the phone account it attaches to (when that account has none). */
export function moveGuestMemberStmt(db: D1Database, tenantId: string, guestId: string, phoneBuyerId: string) {
  return db
    .prepare("UPDATE members SET buyer_id = ? WHERE tenant_id = ? AND buyer_id = ? AND NOT EXISTS (SELECT 1 FROM members WHERE tenant_id = ? AND buyer_id = ?)")
    .bind(phoneBuyerId, tenantId, guestId, tenantId, phoneBuyerId);
}

/** The member price an order is placed at, in the order's own batch (only if the order row is there). */
export type MemberDiscount = { memberId: string; tierId: string; percentOff: number; listUnitCents: number };
export function memberDiscountStmt(db: D1Database, tenantId: string, orderId: string, r: MemberDiscount) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO member_order_discounts (order_id, tenant_id, member_id, tier_id, percent_off, list_unit_cents)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM orders WHERE tenant_id = ?2 AND id = ?1)`,
    )
    .bind(orderId, tenantId, r.memberId, r.tierId, r.percentOff, r.listUnitCents);
}

/** The member price an order was placed at: the list unit price and the tier's percent off (null: not a member price). */
export function memberDiscountOfOrder(db: D1Database, tenantId: string, orderId: string) {
  return db
    .prepare("SELECT percent_off, list_unit_cents FROM member_order_discounts WHERE tenant_id = ? AND order_id = ?")
    .bind(tenantId, orderId)
    .first<{ percent_off: number; list_unit_cents: number }>();
}

/** Whether any of the tenant's tiers gives extra lottery chances. */
export async function tenantHasLotteryBonus(db: D1Database, tenantId: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT EXISTS (SELECT 1 FROM member_tiers WHERE tenant_id = ? AND coalesce(json_extract(privileges, '$.extraLotteryChances'), 0) > 0) AS n")
    .bind(tenantId)
    .first<{ n: number }>();
  return !!row?.n;
}

/** The extra lottery chances of the buyer's tier in force: the better-ranked of the earned one and a valid paid one. */
export async function lotteryBonusOf(db: D1Database, tenantId: string, buyerId: string): Promise<number> {
  const row = await db
    .prepare(
      `SELECT coalesce(json_extract(t.privileges, '$.extraLotteryChances'), 0) AS n FROM members m
       JOIN member_tiers t ON t.id = m.tier_id OR (t.id = m.paid_tier_id AND m.paid_until > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
       WHERE m.tenant_id = ? AND m.buyer_id = ? ORDER BY t.rank DESC LIMIT 1`,
    )
    .bind(tenantId, buyerId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** A member's city, by buyer; null when the buyer is not a member. */
export function setCityOfBuyer(db: D1Database, tenantId: string, buyerId: string, city: string | null) {
  return db.prepare("UPDATE members SET city = ? WHERE tenant_id = ? AND buyer_id = ? RETURNING *").bind(city, tenantId, buyerId).first<MemberRow>();
}

/** A member's birthday (MM-DD), by buyer; null when the buyer is not a member. */
export function setBirthdayOfBuyer(db: D1Database, tenantId: string, buyerId: string, birthday: string) {
  return db.prepare("UPDATE members SET birthday = ? WHERE tenant_id = ? AND buyer_id = ? RETURNING *").bind(birthday, tenantId, buyerId).first<MemberRow>();
}

export function paidCardTermOfOrder(db: D1Database, orderId: string) {
  return db.prepare("SELECT member_id FROM paid_card_terms WHERE order_id = ?").bind(orderId).first<{ member_id: string }>();
}
