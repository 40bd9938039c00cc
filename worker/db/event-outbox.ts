import type { EventEnvelope } from "../../schema/events";
import { guardArgs, guardSql, runInBatches, type SqlGuard } from "./statements";
import { vouchersNamedByStmt, type VoucherWithBatch } from "./vouchers";

export interface OutboxRow {
  seq: number;
  event_id: string;
  tenant_id: string;
  type: string;
  body: string;
  attempts: number;
  next_at: number;
}

/**
 * The statements that record events in the outbox: put them in the SAME db.batch as the change they describe.
 * With a guard, the row is written only when the guard holds inside that batch (e.g. "the order is now 'paid'"),
 * so a guarded UPDATE that changed nothing records nothing; INSERT OR IGNORE on the event id (derive it from the
 * change where a call can repeat) records a repeated change once.
 */
export function eventStatements(db: D1Database, events: EventEnvelope[], guard?: SqlGuard, computed: ComputedField[] = []): D1PreparedStatement[] {
  const body = computed.length ? `json_set(?, ${computed.map((f) => `'${f.path}', (${f.sql})`).join(", ")})` : "?";
  const stmt = db.prepare(
    `INSERT OR IGNORE INTO event_outbox (event_id, tenant_id, type, body) SELECT ?, ?, ?, ${body} WHERE ${guardSql(guard)}`,
  );
  const fieldArgs = computed.flatMap((f) => f.args);
  return events.map((e) => stmt.bind(e.eventId, e.tenantId, e.type, JSON.stringify(e), ...fieldArgs, ...guardArgs(guard)));
}

/**
 * A value of the envelope only the batch itself knows (the stock left after a hold, the account a sign-in found):
 * a scalar subquery set at `path` (a JSON path such as `$.payload.available`, a constant, never user input).
 */
export interface ComputedField {
  path: `$.${string}`;
  sql: string;
  args: unknown[];
}

/** Records events on their own (no state change to share a batch with: alerts, refusals, backfill fallbacks). */
export async function recordEvents(db: D1Database, events: EventEnvelope[]): Promise<void> {
  await runInBatches(db, eventStatements(db, events));
}

const PENDING = "SELECT seq, event_id, tenant_id, type, body, attempts, next_at FROM event_outbox WHERE sent_at IS NULL";
const OLDEST = "SELECT seq, next_at FROM event_outbox WHERE sent_at IS NULL ORDER BY seq LIMIT 1";

/** Which of these event ids the outbox holds (sent or not; a purged one is free again). */
export async function recordedEventIds(db: D1Database, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { results } = await db.prepare(`SELECT event_id FROM event_outbox WHERE event_id IN (${ids.map(() => "?").join(",")})`).bind(...ids).all<{ event_id: string }>();
  return new Set(results.map((r) => r.event_id));
}

/** The oldest pending rows, in seq order (the dispatcher forwards them in this order). */
export async function pendingEvents(db: D1Database, limit: number): Promise<OutboxRow[]> {
  const { results } = await db.prepare(`${PENDING} ORDER BY seq LIMIT ?`).bind(limit).all<OutboxRow>();
  return results;
}

// Contiguous in practice: one range update instead of one statement per row.
export function markSentStatements(db: D1Database, seqs: number[]): D1PreparedStatement[] {
  const stmt = db.prepare("UPDATE event_outbox SET sent_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE seq BETWEEN ? AND ? AND sent_at IS NULL");
  return ranges(seqs).map(([a, b]) => stmt.bind(a, b));
}

function ranges(seqs: number[]): [number, number][] {
  const sorted = [...seqs].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

export async function deferEvents(db: D1Database, rows: OutboxRow[], nextAt: (attempts: number) => number, error: string): Promise<void> {
  const stmt = db.prepare("UPDATE event_outbox SET attempts = ?, next_at = ?, last_error = ? WHERE seq = ?");
  await runInBatches(db, rows.map((r) => stmt.bind(r.attempts + 1, nextAt(r.attempts + 1), error.slice(0, 500), r.seq)));
}

/** Sent rows older than `before` (ISO): their ids no longer need to block a repeat. */
export async function purgeSentEvents(db: D1Database, before: string, limit = 5000): Promise<number> {
  const r = await db
    .prepare("DELETE FROM event_outbox WHERE seq IN (SELECT seq FROM event_outbox WHERE sent_at IS NOT NULL AND sent_at < ? LIMIT ?)")
    .bind(before, limit)
    .run();
  return r.meta.changes ?? 0;
}

/**
 * The pending rows a dispatcher holding the lease reads, with the vouchers that those of the `ledgerTypes` name (for
 * their ledger drafts), both from the same statement snapshot.
 */
export interface PendingRead {
  rows: OutboxRow[];
  vouchers?: VoucherWithBatch[];
}

/** The oldest pending rows (at most `limit`) while `holder` holds the lease (`leaseSql`, arguments first), and their vouchers. */
function pendingUnderLease(db: D1Database, leaseSql: string, leaseArgs: unknown[], limit: number, ledgerTypes: readonly string[]): D1PreparedStatement[] {
  const rowsSql = `${PENDING} AND EXISTS (SELECT 1 FROM event_dispatch_lease WHERE id = 1 AND ${leaseSql}) ORDER BY seq LIMIT ?`;
  return [db.prepare(rowsSql).bind(...leaseArgs, limit), vouchersNamedByStmt(db, rowsSql, [...leaseArgs, limit], ledgerTypes)];
}

/** The rows and vouchers that leaseWithPending's or chainRoundStatements' batch read (its last two statements). */
export const pendingRead = (results: D1Result[]): PendingRead => ({
  rows: results[results.length - 2]!.results as OutboxRow[],
  vouchers: results[results.length - 1]!.results as VoucherWithBatch[],
});

/**
 * A dispatch round's start in one round trip: takes the lease (as acquireDispatchLease) and, only if taken, reads
 * the oldest pending rows (as pendingEvents) and their vouchers. One transaction, so the rows are read under the lease.
 */
export async function leaseWithPending(
  db: D1Database, holder: string, now: number, until: number, limit: number, ledgerTypes: readonly string[],
): Promise<{ held: boolean } & PendingRead> {
  const results = await db.batch([leaseStmt(db, holder, now, until), ...pendingUnderLease(db, "holder = ?", [holder], limit, ledgerTypes)]);
  const held = (results[0]!.meta.changes ?? 0) > 0;
  return held ? { held, ...pendingRead(results) } : { held, rows: [], vouchers: [] };
}

/**
 * A dispatch round's end in one round trip: marks the last rows sent, gives the lease back, and returns the oldest
 * row still pending (one a request recorded while the lease was held), or null.
 */
export async function finishDispatchRound(db: D1Database, holder: string, sentSeqs: number[]): Promise<NextPending> {
  return nextPending(await db.batch(finishRoundStatements(db, holder, sentSeqs)));
}

export type NextPending = Pick<OutboxRow, "seq" | "next_at"> | null;

/**
 * A round's end that may run on into the next one, for the journal's batch: marks the rows sent, then keeps the
 * lease (renewed until `until`) only when the oldest pending row is due, and reads the pending rows under it — those
 * recorded while the round ran — with their vouchers. Nothing due: the lease is given back and the read finds
 * nothing. Read the answer with pendingRead.
 */
export function chainRoundStatements(
  db: D1Database, holder: string, sentSeqs: number[], now: number, until: number, limit: number, ledgerTypes: readonly string[],
): D1PreparedStatement[] {
  return [
    ...markSentStatements(db, sentSeqs),
    db.prepare(
      `UPDATE event_dispatch_lease SET until = CASE WHEN EXISTS (SELECT 1 FROM (${OLDEST}) WHERE next_at <= ?) THEN ? ELSE 0 END WHERE id = 1 AND holder = ?`,
    ).bind(now, until, holder),
    ...pendingUnderLease(db, "holder = ? AND until > ?", [holder, now], limit, ledgerTypes),
  ];
}

/** finishDispatchRound's statements, for a batch of the caller's (the journal's); read the answer with nextPending. */
export function finishRoundStatements(db: D1Database, holder: string, sentSeqs: number[]): D1PreparedStatement[] {
  return [...markSentStatements(db, sentSeqs), releaseStmt(db, holder), db.prepare(OLDEST)];
}

/** The oldest row still pending, from the results of finishRoundStatements (they end with its look-up). */
export const nextPending = (results: D1Result[]): NextPending => (results[results.length - 1]!.results[0] as NextPending | undefined) ?? null;

/** Takes the single dispatch lease until `until` (epoch ms); false while another holder's lease runs. */
export async function acquireDispatchLease(db: D1Database, holder: string, now: number, until: number): Promise<boolean> {
  const r = await leaseStmt(db, holder, now, until).run();
  return (r.meta.changes ?? 0) > 0;
}

export async function releaseDispatchLease(db: D1Database, holder: string): Promise<void> {
  await releaseStmt(db, holder).run();
}

const leaseStmt = (db: D1Database, holder: string, now: number, until: number) =>
  db.prepare("UPDATE event_dispatch_lease SET holder = ?, until = ? WHERE id = 1 AND (until <= ? OR holder = ?)").bind(holder, until, now, holder);
const releaseStmt = (db: D1Database, holder: string) =>
  db.prepare("UPDATE event_dispatch_lease SET until = 0 WHERE id = 1 AND holder = ?").bind(holder);

export async function pendingEventCount(db: D1Database): Promise<number> {
  return (await db.prepare("SELECT count(*) AS n FROM event_outbox WHERE sent_at IS NULL").first<{ n: number }>())?.n ?? 0;
}

/** Events recorded but not yet dispatched, and when the oldest was recorded (platform health). */
export async function outboxBacklog(db: D1Database): Promise<{ pending: number; oldestAt: string | null }> {
  const row = await db
    .prepare("SELECT count(*) AS pending, min(created_at) AS oldestAt FROM event_outbox WHERE sent_at IS NULL")
    .first<{ pending: number; oldestAt: string | null }>();
  return { pending: row?.pending ?? 0, oldestAt: row?.oldestAt ?? null };
}
