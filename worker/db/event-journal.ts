/** One events-Queue message held until the warehouse confirms it (schema/d1/0198_create_event_journal.sql). */
export interface JournalRow {
  id: string;
  body: string;
  events: number;
  resends: number;
}

/**
 * Records messages before they are sent, 20 (~2 MB at most) a transaction: each message is journaled whole or not at
 * all. `also` (the caller's statements, e.g. marking the journaled outbox rows sent) commits with the last 20, so only
 * once every message is journaled; returns their results.
 */
export async function recordJournal(
  db: D1Database, rows: { id: string; body: string; events: number }[], now: number, resendAt: number, also: D1PreparedStatement[] = [],
): Promise<D1Result[]> {
  const stmt = db.prepare("INSERT OR IGNORE INTO event_journal (id, body, events, created_at, resend_at) VALUES (?, ?, ?, ?, ?)");
  const bound = rows.map((r) => stmt.bind(r.id, r.body, r.events, now, resendAt));
  const lastStart = Math.max(0, Math.ceil(bound.length / 20) - 1) * 20;
  for (let i = 0; i < lastStart; i += 20) await db.batch(bound.slice(i, i + 20));
  const last = [...bound.slice(lastStart), ...also];
  return last.length ? (await db.batch(last)).slice(bound.length - lastStart) : [];
}

/** The messages whose events the warehouse stored (or the dead-letter queue parked): nothing left to resend. */
export async function settleJournal(db: D1Database, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await db.prepare("DELETE FROM event_journal WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(ids)).run();
}

/** Messages the consumer is retrying: alive in the Queue, so no resend before `resendAt` (epoch ms). */
export async function postponeJournal(db: D1Database, ids: string[], resendAt: number): Promise<void> {
  if (!ids.length) return;
  await db
    .prepare("UPDATE event_journal SET resend_at = max(resend_at, ?) WHERE id IN (SELECT value FROM json_each(?))")
    .bind(resendAt, JSON.stringify(ids))
    .run();
}

/**
 * Takes the messages due for a resend by `dueBy` (epoch ms; Infinity: all), created before `createdBefore` (the
 * Queue's oldest waiting message: anything newer may still be in it) and journaled after row `afterSeq`, in journal
 * order, and moves each one's next resend to `now` + `baseS`·2^resends (at most `capS`) in the same statement, so
 * two runs never send the same row at once.
 */
export async function takeDueJournal(db: D1Database, o: { now: number; dueBy: number; createdBefore: number; afterSeq: number; limit: number; baseS: number; capS: number }): Promise<(JournalRow & { seq: number })[]> {
  const { results } = await db
    .prepare(
      `UPDATE event_journal SET resends = resends + 1, resend_at = ?1 + 1000 * min(?4, ?3 * (1 << min(resends + 1, 20)))
       WHERE id IN (SELECT id FROM event_journal WHERE resend_at <= ?6 AND created_at < ?2 AND rowid > ?7 ORDER BY rowid LIMIT ?5)
       RETURNING rowid AS seq, id, body, events, resends`,
    )
    .bind(o.now, o.createdBefore, o.baseS, o.capS, o.limit, Math.min(o.dueBy, Number.MAX_SAFE_INTEGER), o.afterSeq)
    .all<JournalRow & { seq: number }>();
  // RETURNING comes in no particular order: sent in the order they were journaled.
  return results.sort((a, b) => a.seq - b.seq);
}

/** Messages sent but not yet confirmed stored, their events, and when the oldest was journaled (platform health). */
export async function journalBacklog(db: D1Database): Promise<{ messages: number; pending: number; oldestAt: string | null }> {
  const row = await db
    .prepare("SELECT count(*) AS messages, coalesce(sum(events), 0) AS pending, min(created_at) AS oldest FROM event_journal")
    .first<{ messages: number; pending: number; oldest: number | null }>();
  return { messages: row?.messages ?? 0, pending: row?.pending ?? 0, oldestAt: row?.oldest == null ? null : new Date(row.oldest).toISOString() };
}
