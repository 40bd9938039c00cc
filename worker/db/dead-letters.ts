import type { EventEnvelope } from "../../schema/events";
import { runInBatches } from "./statements";

/** `next_at` of a letter that fails its contract: never due, so never re-driven on its own. */
const NEVER_DUE = Number.MAX_SAFE_INTEGER;

/** A parked letter's body, or null when it is not JSON. */
export function parkedBody(row: { body: string }): unknown {
  try {
    return JSON.parse(row.body);
  } catch {
    return null;
  }
}

/** Events (and won-claim facts, type `claim_won`) the queue gave up on, due for a re-drive at once. */
export async function storeDeadLetters(db: D1Database, items: { event: Pick<EventEnvelope, "eventId" | "tenantId"> & { type: string }; attempts: number }[]) {
  if (items.length === 0) return;
  await db.batch(
    items.map(({ event, attempts }) =>
      db
        .prepare(
          `INSERT INTO event_dead_letters (event_id, tenant_id, type, body, attempts) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(event_id) DO UPDATE SET attempts = excluded.attempts, dead_at = excluded.dead_at, replayed_at = NULL,
             redrives = 0, next_at = 0, last_error = NULL`,
        )
        .bind(event.eventId, event.tenantId, event.type, JSON.stringify(event), attempts),
    ),
  );
}

/**
 * Envelopes that do not match their type's schema: never re-driven on their own (next_at far ahead), kept visible
 * with the field path that failed, so a fixed producer or an operator can replay them.
 */
export async function storeInvalidEvents(db: D1Database, items: { eventId: string; tenantId: string; type: string; body: string; error: string }[]) {
  if (items.length === 0) return;
  const stmt = db.prepare(
    `INSERT INTO event_dead_letters (event_id, tenant_id, type, body, attempts, next_at, last_error) VALUES (?, ?, ?, ?, 0, ?, ?)
     ON CONFLICT(event_id) DO UPDATE SET body = excluded.body, next_at = excluded.next_at, last_error = excluded.last_error, replayed_at = NULL`,
  );
  await runInBatches(db, items.map((i) => stmt.bind(i.eventId, i.tenantId, i.type.slice(0, 64), i.body, NEVER_DUE, i.error.slice(0, 500))));
}

export interface DeadLetterRow {
  event_id: string;
  tenant_id: string;
  type: string;
  body: string;
  attempts: number;
  dead_at: string;
  replayed_at: string | null;
  redrives: number;
  next_at: number;
  last_error: string | null;
}

/** Pending dead letters; tenantId null means every tenant (platform operator only). */
export async function listPendingDeadLetters(db: D1Database, tenantId: string | null, limit = 500) {
  const stmt = tenantId
    ? db.prepare("SELECT * FROM event_dead_letters WHERE tenant_id = ? AND replayed_at IS NULL ORDER BY dead_at LIMIT ?").bind(tenantId, limit)
    : db.prepare("SELECT * FROM event_dead_letters WHERE replayed_at IS NULL ORDER BY dead_at LIMIT ?").bind(limit);
  return (await stmt.all<DeadLetterRow>()).results;
}

/**
 * A tenant's pending letters in one round trip: how many, how many fail their contract (never re-driven on their
 * own), and the latest of those with their field.
 */
export async function deadLetterStatus(db: D1Database, tenantId: string, limit = 20) {
  const [pending, invalid, latest] = await db.batch([
    pendingCountStmt(db, tenantId),
    db.prepare("SELECT count(*) AS n FROM event_dead_letters WHERE tenant_id = ? AND replayed_at IS NULL AND next_at = ?").bind(tenantId, NEVER_DUE),
    db
      .prepare("SELECT event_id, type, dead_at, last_error FROM event_dead_letters WHERE tenant_id = ? AND replayed_at IS NULL AND next_at = ? ORDER BY dead_at DESC LIMIT ?")
      .bind(tenantId, NEVER_DUE, limit),
  ]);
  return {
    pending: (pending!.results[0] as { n: number }).n,
    invalid: (invalid!.results[0] as { n: number }).n,
    latestInvalid: latest!.results as Pick<DeadLetterRow, "event_id" | "type" | "dead_at" | "last_error">[],
  };
}

function pendingCountStmt(db: D1Database, tenantId: string | null) {
  return tenantId
    ? db.prepare("SELECT count(*) AS n FROM event_dead_letters WHERE tenant_id = ? AND replayed_at IS NULL").bind(tenantId)
    : db.prepare("SELECT count(*) AS n FROM event_dead_letters WHERE replayed_at IS NULL");
}

export async function countPendingDeadLetters(db: D1Database, tenantId: string | null): Promise<number> {
  return (await pendingCountStmt(db, tenantId).first<{ n: number }>())?.n ?? 0;
}

export async function markReplayed(db: D1Database, eventIds: string[]) {
  if (eventIds.length === 0) return;
  await db.batch(
    eventIds.map((id) =>
      db.prepare("UPDATE event_dead_letters SET replayed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE event_id = ?").bind(id),
    ),
  );
}

/** Letters a replay found still failing their contract: kept pending, with the field path that failed now. */
export async function noteStillInvalid(db: D1Database, items: { eventId: string; error: string }[]) {
  if (items.length === 0) return;
  const stmt = db.prepare("UPDATE event_dead_letters SET next_at = ?, last_error = ? WHERE event_id = ?");
  await runInBatches(db, items.map((i) => stmt.bind(NEVER_DUE, i.error.slice(0, 500), i.eventId)));
}

export interface DueDeadLetter {
  event_id: string;
  body: string;
  redrives: number;
}

/**
 * Takes up to `limit` pending dead letters that are due (oldest first) and leases them until `leaseUntil` in the same
 * statement, so runs that overlap never take the same rows; a run that dies leaves them due again after the lease.
 */
export async function claimDueDeadLetters(db: D1Database, now: number, leaseUntil: number, limit: number): Promise<DueDeadLetter[]> {
  const { results } = await db
    .prepare(
      `UPDATE event_dead_letters SET next_at = ?1
       WHERE event_id IN (SELECT event_id FROM event_dead_letters WHERE replayed_at IS NULL AND next_at <= ?2
                          ORDER BY next_at, dead_at LIMIT ?3)
       RETURNING event_id, body, redrives`,
    )
    .bind(leaseUntil, now, limit)
    .all<DueDeadLetter>();
  return results;
}

/** The warehouse has them: they are no longer dead letters. */
export async function deleteDeadLetters(db: D1Database, eventIds: string[]): Promise<void> {
  const stmt = db.prepare("DELETE FROM event_dead_letters WHERE event_id = ?");
  await runInBatches(db, eventIds.map((id) => stmt.bind(id)));
}

export async function deferDeadLetters(db: D1Database, rows: DueDeadLetter[], nextAt: (redrives: number) => number, error: string): Promise<void> {
  const stmt = db.prepare("UPDATE event_dead_letters SET redrives = ?, next_at = ?, last_error = ? WHERE event_id = ?");
  await runInBatches(db, rows.map((r) => stmt.bind(r.redrives + 1, nextAt(r.redrives + 1), error.slice(0, 500), r.event_id)));
}

/** Pending dead letters of every tenant and when the oldest died (platform health). */
export async function deadLetterBacklog(db: D1Database): Promise<{ pending: number; oldestAt: string | null }> {
  const row = await db
    .prepare("SELECT count(*) AS pending, min(dead_at) AS oldestAt FROM event_dead_letters WHERE replayed_at IS NULL")
    .first<{ pending: number; oldestAt: string | null }>();
  return { pending: row?.pending ?? 0, oldestAt: row?.oldestAt ?? null };
}
