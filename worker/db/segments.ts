/** Segments (schema/d1/0169, 0175): definitions, runs, staged and current members. Big id lists travel as one JSON
 * argument read with json_each (D1 allows 100 bound arguments per statement). */
import type { SqlGuard } from "./statements";

export interface SegmentRow {
  id: string;
  tenant_id: string;
  name: string;
  source: "rules" | "upload";
  rules: string;
  refresh_minutes: number;
  status: "active" | "archived";
  size: number;
  current_run_id: string | null;
  computed_at: string | null;
  created_at: string;
  updated_at: string;
}
export interface SegmentRunRow {
  id: string;
  tenant_id: string;
  segment_id: string;
  status: "running" | "done" | "failed";
  as_of: string;
  cursor: string;
  members: number;
  error: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}
/** A warehouse user id resolved to the buyer it is now (a guest merged into a phone account → that account) and
 * the member facts the edge filters on. */
export interface BuyerFactsRow {
  buyer_id: string;
  tier_id: string | null;
  paid_tier_id: string | null;
  paid_until: string | null;
  tags: string | null;
  city: string | null;
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

export function insertSegment(db: D1Database, s: { id: string; tenantId: string; name: string; source: "rules" | "upload"; rules: string; refreshMinutes: number }) {
  return db
    .prepare("INSERT INTO segments (id, tenant_id, name, source, rules, refresh_minutes) VALUES (?, ?, ?, ?, ?, ?) RETURNING *")
    .bind(s.id, s.tenantId, s.name, s.source, s.rules, s.refreshMinutes);
}

export function getSegment(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM segments WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<SegmentRow>();
}

export async function listSegments(db: D1Database, tenantId: string) {
  return (await db.prepare("SELECT * FROM segments WHERE tenant_id = ? ORDER BY created_at DESC, id LIMIT 200").bind(tenantId).all<SegmentRow>()).results;
}

export function updateSegment(db: D1Database, tenantId: string, id: string, p: { name?: string; rules?: string; refreshMinutes?: number; status?: string }) {
  return db
    .prepare(
      `UPDATE segments SET name = coalesce(?, name), rules = coalesce(?, rules), refresh_minutes = coalesce(?, refresh_minutes),
         status = coalesce(?, status), updated_at = ${NOW} WHERE tenant_id = ? AND id = ? RETURNING *`,
    )
    .bind(p.name ?? null, p.rules ?? null, p.refreshMinutes ?? null, p.status ?? null, tenantId, id)
    .first<SegmentRow>();
}

/** Latest run of each given segment. */
export async function latestRuns(db: D1Database, tenantId: string, segmentIds: string[]) {
  if (!segmentIds.length) return [];
  return (
    await db
      .prepare(
        `SELECT r.* FROM segment_runs r WHERE r.tenant_id = ? AND r.segment_id IN (SELECT value FROM json_each(?))
           AND r.started_at = (SELECT max(started_at) FROM segment_runs x WHERE x.tenant_id = r.tenant_id AND x.segment_id = r.segment_id)`,
      )
      .bind(tenantId, JSON.stringify(segmentIds))
      .all<SegmentRunRow>()
  ).results;
}

export function runningRun(db: D1Database, tenantId: string, segmentId: string) {
  return db.prepare("SELECT * FROM segment_runs WHERE tenant_id = ? AND segment_id = ? AND status = 'running'").bind(tenantId, segmentId).first<SegmentRunRow>();
}

/** A new running run, unless one is running already (the partial unique index): then nothing is inserted. */
export function insertRun(db: D1Database, r: { id: string; tenantId: string; segmentId: string; asOf: string }) {
  return db
    .prepare("INSERT INTO segment_runs (id, tenant_id, segment_id, status, as_of) VALUES (?, ?, ?, 'running', ?) ON CONFLICT DO NOTHING")
    .bind(r.id, r.tenantId, r.segmentId, r.asOf);
}

/** Resolves warehouse user ids to current buyers of the tenant (not erased) with their member facts. */
export async function buyerFacts(db: D1Database, tenantId: string, userIds: string[]): Promise<BuyerFactsRow[]> {
  if (!userIds.length) return [];
  return (
    await db
      .prepare(
        `SELECT DISTINCT coalesce(p.id, b.id) AS buyer_id, m.tier_id, m.paid_tier_id, m.paid_until, m.tags, m.city
         FROM json_each(?) j
         CROSS JOIN buyers b ON b.tenant_id = ? AND b.id = j.value
         LEFT JOIN buyers p ON p.tenant_id = b.tenant_id AND p.id = b.merged_into
         LEFT JOIN members m ON m.tenant_id = b.tenant_id AND m.buyer_id = coalesce(p.id, b.id)
         WHERE coalesce(p.erased_at, b.erased_at) IS NULL`,
      )
      .bind(JSON.stringify(userIds), tenantId)
      .all<BuyerFactsRow>()
  ).results;
}

/** One page of a run: its members staged and the cursor moved, in one batch (a repeated page changes nothing). */
export function stagePageStmts(db: D1Database, tenantId: string, runId: string, buyerIds: string[], cursor: string) {
  return [
    db
      .prepare("INSERT OR IGNORE INTO segment_run_members (tenant_id, run_id, buyer_id) SELECT ?, ?, value FROM json_each(?)")
      .bind(tenantId, runId, JSON.stringify(buyerIds)),
    db
      .prepare(
        `UPDATE segment_runs SET cursor = max(cursor, ?), updated_at = ${NOW},
           members = (SELECT count(*) FROM segment_run_members WHERE tenant_id = ? AND run_id = ?)
         WHERE tenant_id = ? AND id = ? AND status = 'running'`,
      )
      .bind(cursor, tenantId, runId, tenantId, runId),
  ];
}

export const runStillRunning = (tenantId: string, runId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM segment_runs WHERE tenant_id = ? AND id = ? AND status = 'running')",
  args: [tenantId, runId],
});
export const stagedCount = (tenantId: string, runId: string) => ({
  sql: "SELECT count(*) FROM segment_run_members WHERE tenant_id = ? AND run_id = ?",
  args: [tenantId, runId],
});

/**
 * The swap, to be run in one batch (one transaction) with the segment_computed event between: drop members the run
 * does not have, upsert the run's, point the segment at the run with its size, close the run, clear its staging.
 * Every step checks the run is still running, so a second swapper of the same run changes nothing.
 */
export function swapStmts(db: D1Database, tenantId: string, segmentId: string, runId: string) {
  const g = runStillRunning(tenantId, runId);
  const staged = "SELECT buyer_id FROM segment_run_members WHERE tenant_id = ? AND run_id = ?";
  const before = [
    db
      .prepare(`DELETE FROM segment_members WHERE tenant_id = ? AND segment_id = ? AND buyer_id NOT IN (${staged}) AND ${g.sql}`)
      .bind(tenantId, segmentId, tenantId, runId, ...g.args),
    db
      .prepare(
        `INSERT INTO segment_members (tenant_id, segment_id, buyer_id, run_id)
         SELECT ?, ?, buyer_id, ? FROM segment_run_members WHERE tenant_id = ? AND run_id = ? AND ${g.sql}
         ON CONFLICT (tenant_id, segment_id, buyer_id) DO UPDATE SET run_id = excluded.run_id`,
      )
      .bind(tenantId, segmentId, runId, tenantId, runId, ...g.args),
    db
      .prepare(
        `UPDATE segments SET current_run_id = ?, size = (${stagedCount(tenantId, runId).sql}), computed_at = ${NOW}, updated_at = ${NOW}
         WHERE tenant_id = ? AND id = ? AND ${g.sql}`,
      )
      .bind(runId, tenantId, runId, tenantId, segmentId, ...g.args),
  ];
  const after = [
    db
      .prepare(
        `UPDATE segment_runs SET status = 'done', finished_at = ${NOW}, updated_at = ${NOW}, members = (${stagedCount(tenantId, runId).sql})
         WHERE tenant_id = ? AND id = ? AND status = 'running'`,
      )
      .bind(tenantId, runId, tenantId, runId),
    db.prepare("DELETE FROM segment_run_members WHERE tenant_id = ? AND run_id = ?").bind(tenantId, runId),
  ];
  return { before, after };
}

export function failRun(db: D1Database, tenantId: string, runId: string, error: string) {
  return db
    .prepare(`UPDATE segment_runs SET status = 'failed', error = ?, finished_at = ${NOW}, updated_at = ${NOW} WHERE tenant_id = ? AND id = ? AND status = 'running'`)
    .bind(error.slice(0, 500), tenantId, runId)
    .run();
}
export function clearStaging(db: D1Database, tenantId: string, runId: string) {
  return db.prepare("DELETE FROM segment_run_members WHERE tenant_id = ? AND run_id = ?").bind(tenantId, runId).run();
}

/** Rules segments due for a refresh (any tenant), and runs left running by a crash (not touched for 2 minutes). */
export async function dueSegments(db: D1Database, now: string, limit: number) {
  return (
    await db
      .prepare(
        `SELECT s.tenant_id, s.id FROM segments s
         WHERE s.status = 'active' AND s.source = 'rules' AND s.refresh_minutes > 0
           AND (s.computed_at IS NULL OR s.computed_at <= strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-' || s.refresh_minutes || ' minutes'))
           AND NOT EXISTS (SELECT 1 FROM segment_runs r WHERE r.tenant_id = s.tenant_id AND r.segment_id = s.id AND r.status = 'running'
                           AND r.updated_at > strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-2 minutes'))
         UNION
         SELECT r.tenant_id, r.segment_id FROM segment_runs r JOIN segments s ON s.tenant_id = r.tenant_id AND s.id = r.segment_id AND s.status = 'active'
         WHERE r.status = 'running' AND r.updated_at <= strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-2 minutes')
         LIMIT ?`,
      )
      .bind(now, now, now, limit)
      .all<{ tenant_id: string; id: string }>()
  ).results;
}

/** One page of a segment's current members for the CSV export, keyset by buyer id. */
export async function memberPage(db: D1Database, tenantId: string, segmentId: string, after: string, limit: number) {
  return (
    await db
      .prepare(
        `SELECT sm.buyer_id, m.id AS member_id, m.card_no FROM segment_members sm
         JOIN segments s ON s.tenant_id = sm.tenant_id AND s.id = sm.segment_id AND s.current_run_id = sm.run_id
         LEFT JOIN members m ON m.tenant_id = sm.tenant_id AND m.buyer_id = sm.buyer_id
         WHERE sm.tenant_id = ? AND sm.segment_id = ? AND sm.buyer_id > ? ORDER BY sm.buyer_id LIMIT ?`,
      )
      .bind(tenantId, segmentId, after, limit)
      .all<{ buyer_id: string; member_id: string | null; card_no: string | null }>()
  ).results;
}

/** The claim path's check (eligibility): one primary-key lookup plus the segment's current run. */
export function isMemberStmt(db: D1Database, tenantId: string, segmentId: string, buyerId: string) {
  return db
    .prepare(
      `SELECT 1 AS yes FROM segment_members sm JOIN segments s ON s.id = sm.segment_id AND s.current_run_id = sm.run_id
       WHERE sm.tenant_id = ? AND sm.segment_id = ? AND sm.buyer_id = ?`,
    )
    .bind(tenantId, segmentId, buyerId);
}

/** Upload matching: member ids, card numbers or buyer ids → buyers (key = the value that matched). */
export async function buyersByIds(db: D1Database, tenantId: string, ids: string[]) {
  if (!ids.length) return [];
  const list = JSON.stringify(ids);
  return (
    await db
      .prepare(
        // One join per key, json_each first (CROSS JOIN fixes the order): else SQLite walks the tenant's members per value.
        `SELECT j.value AS k, m.buyer_id FROM json_each(?1) j CROSS JOIN members m ON m.id = j.value AND m.tenant_id = ?2
         UNION SELECT j.value, m.buyer_id FROM json_each(?1) j CROSS JOIN members m ON m.tenant_id = ?2 AND m.card_no = j.value
         UNION SELECT j.value, b.id FROM json_each(?1) j CROSS JOIN buyers b ON b.tenant_id = ?2 AND b.id = j.value AND b.erased_at IS NULL AND b.merged_into IS NULL`,
      )
      .bind(list, tenantId)
      .all<{ k: string; buyer_id: string }>()
  ).results;
}

/** Upload matching: phone hashes (computed like buyers.phone_hash) → buyers. */
export async function buyersByPhoneHashes(db: D1Database, tenantId: string, hashes: string[]) {
  if (!hashes.length) return [];
  return (
    await db
      .prepare("SELECT b.phone_hash AS k, b.id AS buyer_id FROM json_each(?) j CROSS JOIN buyers b ON b.tenant_id = ? AND b.phone_hash = j.value AND b.erased_at IS NULL")
      .bind(JSON.stringify(hashes), tenantId)
      .all<{ k: string; buyer_id: string }>()
  ).results;
}
