import type { EventEnvelope } from "../../schema/events";

export async function storeDeadLetters(db: D1Database, items: { event: EventEnvelope; attempts: number }[]) {
  if (items.length === 0) return;
  await db.batch(
    items.map(({ event, attempts }) =>
      db
        .prepare(
          `INSERT INTO event_dead_letters (event_id, tenant_id, type, body, attempts) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(event_id) DO UPDATE SET attempts = excluded.attempts, dead_at = excluded.dead_at, replayed_at = NULL`,
        )
        .bind(event.eventId, event.tenantId, event.type, JSON.stringify(event), attempts),
    ),
  );
}

export interface DeadLetterRow {
  event_id: string;
  tenant_id: string;
  type: string;
  body: string;
  attempts: number;
  dead_at: string;
  replayed_at: string | null;
}

/** Pending dead letters; tenantId null means every tenant (platform operator only). */
export async function listPendingDeadLetters(db: D1Database, tenantId: string | null, limit = 500) {
  const stmt = tenantId
    ? db.prepare("SELECT * FROM event_dead_letters WHERE tenant_id = ? AND replayed_at IS NULL ORDER BY dead_at LIMIT ?").bind(tenantId, limit)
    : db.prepare("SELECT * FROM event_dead_letters WHERE replayed_at IS NULL ORDER BY dead_at LIMIT ?").bind(limit);
  return (await stmt.all<DeadLetterRow>()).results;
}

export async function countPendingDeadLetters(db: D1Database, tenantId: string | null): Promise<number> {
  const stmt = tenantId
    ? db.prepare("SELECT count(*) AS n FROM event_dead_letters WHERE tenant_id = ? AND replayed_at IS NULL").bind(tenantId)
    : db.prepare("SELECT count(*) AS n FROM event_dead_letters WHERE replayed_at IS NULL");
  return (await stmt.first<{ n: number }>())?.n ?? 0;
}

export async function markReplayed(db: D1Database, eventIds: string[]) {
  if (eventIds.length === 0) return;
  await db.batch(
    eventIds.map((id) =>
      db.prepare("UPDATE event_dead_letters SET replayed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE event_id = ?").bind(id),
    ),
  );
}
