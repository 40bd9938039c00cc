/**
 * The buyer facts an eligibility rule reads (issue 19), each an O(1) primary-key or unique-index lookup: the claim
 * path loads only those the rule names (domain/eligibility.ts factsNeeded) and never calls the warehouse.
 */
import type { CampaignRow } from "./campaigns";

/** Which of these segments the buyer is in now: a segment_members row of the segment's current run. */
export async function segmentsOfBuyer(db: D1Database, tenantId: string, buyerId: string, segmentIds: readonly string[]): Promise<string[]> {
  if (!segmentIds.length) return [];
  const { results } = await db
    .prepare(
      `SELECT sm.segment_id AS id FROM segment_members sm
       JOIN segments s ON s.id = sm.segment_id AND s.tenant_id = sm.tenant_id AND s.current_run_id = sm.run_id AND s.status = 'active'
       WHERE sm.tenant_id = ? AND sm.buyer_id = ? AND sm.segment_id IN (${segmentIds.map(() => "?").join(",")})`,
    )
    .bind(tenantId, buyerId, ...segmentIds)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** When the buyer signed up with the brand: a member's join date, else the buyer account's creation. */
export function signedUpAt(db: D1Database, tenantId: string, buyerId: string) {
  return db
    .prepare(
      `SELECT coalesce((SELECT m.joined_at FROM members m WHERE m.tenant_id = b.tenant_id AND m.buyer_id = b.id), b.created_at) AS at
       FROM buyers b WHERE b.tenant_id = ? AND b.id = ?`,
    )
    .bind(tenantId, buyerId)
    .first<{ at: string }>();
}

/** Whether the buyer has a paid (or delivered) order with the brand: "first order" needs none. */
export async function hasPaidOrder(db: D1Database, tenantId: string, buyerId: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT 1 AS y FROM orders WHERE tenant_id = ? AND buyer_id = ? AND status IN ('paid', 'delivered') LIMIT 1")
    .bind(tenantId, buyerId)
    .first<{ y: number }>();
  return !!row;
}

export interface MemberFactsRow {
  tier_id: string | null;
  birthday: string | null;
  city: string | null;
}

/** The member's tier in force (the better of earned and a valid paid card), birthday and city; null for a non-member. */
export function memberFacts(db: D1Database, tenantId: string, buyerId: string) {
  return db
    .prepare(
      `SELECT (SELECT t.id FROM member_tiers t
                WHERE t.id = m.tier_id OR (t.id = m.paid_tier_id AND m.paid_until > strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                ORDER BY t.rank DESC LIMIT 1) AS tier_id,
              m.birthday, m.city
       FROM members m WHERE m.tenant_id = ? AND m.buyer_id = ?`,
    )
    .bind(tenantId, buyerId)
    .first<MemberFactsRow>();
}

/** A coupon product's config JSON (its own eligibility lives at config.coupon.eligibility). */
export function productConfigOf(db: D1Database, tenantId: string, productId: string) {
  return db.prepare("SELECT config FROM products WHERE tenant_id = ? AND id = ?").bind(tenantId, productId).first<{ config: string }>();
}

/** Which of these ids name the tenant's own segments / member tiers (a campaign may only target its own). */
export async function ownIds(db: D1Database, table: "segments" | "member_tiers", tenantId: string, ids: readonly string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { results } = await db
    .prepare(`SELECT id FROM ${table} WHERE tenant_id = ? AND id IN (${ids.map(() => "?").join(",")})`)
    .bind(tenantId, ...ids)
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

/** The tenant's campaigns running at `now` and not paused (qualifications), soonest end first. */
export async function runningCampaigns(db: D1Database, tenantId: string, now: string) {
  // julianday: definitions keep the operator's offset (e.g. +08:00), so instants are compared, not strings.
  const { results } = await db
    .prepare(
      "SELECT * FROM campaigns WHERE tenant_id = ? AND julianday(starts_at) <= julianday(?) AND julianday(ends_at) > julianday(?) AND paused_at IS NULL ORDER BY julianday(ends_at) LIMIT 50",
    )
    .bind(tenantId, now, now)
    .all<CampaignRow>();
  return results;
}

export interface UsableCouponRow {
  id: string; code: string; product_id: string; title: string; face_value_cents: number; valid_from: string; valid_to: string | null; config: string | null;
}

/** Coupons the buyer holds that can be used at `now`: issued and inside their validity, soonest expiry first. */
export async function usableCoupons(db: D1Database, tenantId: string, buyerId: string, now: string) {
  const { results } = await db
    .prepare(
      `SELECT v.id, v.code, v.product_id, v.title, v.face_value_cents, v.valid_from, v.valid_to, p.config
       FROM vouchers v LEFT JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
       WHERE v.tenant_id = ? AND v.holder_id = ? AND v.kind = 'coupon' AND v.status = 'issued' AND v.valid_from <= ? AND (v.valid_to IS NULL OR v.valid_to > ?)
       ORDER BY coalesce(v.valid_to, '9999') LIMIT 100`,
    )
    .bind(tenantId, buyerId, now, now)
    .all<UsableCouponRow>();
  return results;
}
