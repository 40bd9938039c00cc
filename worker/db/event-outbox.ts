import type { EventEnvelope } from "../../schema/events";
import { runInBatches } from "./statements";

export interface ParkedEventRow {
  event_id: string;
  body: string;
  attempts: number;
}

export async function parkEvents(db: D1Database, events: EventEnvelope[], error: string): Promise<void> {
  const stmt = db.prepare("INSERT OR IGNORE INTO event_outbox (event_id, tenant_id, body, last_error) VALUES (?, ?, ?, ?)");
  await runInBatches(db, events.map((e) => stmt.bind(e.eventId, e.tenantId, JSON.stringify(e), error.slice(0, 500))));
}

export async function dueParkedEvents(db: D1Database, now: number, limit: number): Promise<ParkedEventRow[]> {
  const { results } = await db
    .prepare("SELECT event_id, body, attempts FROM event_outbox WHERE next_at <= ? ORDER BY next_at, event_id LIMIT ?")
    .bind(now, limit)
    .all<ParkedEventRow>();
  return results;
}

export async function deleteParkedEvents(db: D1Database, eventIds: string[]): Promise<void> {
  const stmt = db.prepare("DELETE FROM event_outbox WHERE event_id = ?");
  await runInBatches(db, eventIds.map((id) => stmt.bind(id)));
}

export async function deferParkedEvents(db: D1Database, rows: ParkedEventRow[], nextAt: (attempts: number) => number, error: string): Promise<void> {
  const stmt = db.prepare("UPDATE event_outbox SET attempts = ?, next_at = ?, last_error = ? WHERE event_id = ?");
  await runInBatches(db, rows.map((r) => stmt.bind(r.attempts + 1, nextAt(r.attempts + 1), error.slice(0, 500), r.event_id)));
}

export async function parkedEventCount(db: D1Database): Promise<number> {
  return (await db.prepare("SELECT count(*) AS n FROM event_outbox").first<{ n: number }>())?.n ?? 0;
}

/** Events parked because the Queue refused them, and when the oldest was parked (platform health). */
export async function outboxBacklog(db: D1Database): Promise<{ pending: number; oldestAt: string | null }> {
  const row = await db.prepare("SELECT count(*) AS pending, min(parked_at) AS oldestAt FROM event_outbox").first<{ pending: number; oldestAt: string | null }>();
  return { pending: row?.pending ?? 0, oldestAt: row?.oldestAt ?? null };
}
