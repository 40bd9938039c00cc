/** Where a walk in (key, id) order stopped: the rows after it come next (a keyset cursor). */
export type Keyset = { at: string; id: string };

/**
 * A condition a statement checks in the same statement (SQL + its bind args). Inside a D1 batch — one transaction —
 * it makes a write depend on the writes before it, e.g. "the order was paid by this very batch".
 */
export interface SqlGuard {
  sql: string;
  args: unknown[];
}

/** The guard's SQL, or a condition that always holds. */
export const guardSql = (guard?: SqlGuard) => (guard ? guard.sql : "1");
export const guardArgs = (guard?: SqlGuard) => guard?.args ?? [];

/** A guard that holds when every one of `guards` does (those not given are left out). */
export function allOf(...guards: (SqlGuard | null | undefined)[]): SqlGuard {
  const given = guards.filter((g): g is SqlGuard => !!g);
  return { sql: given.length ? given.map((g) => g.sql).join(" AND ") : "1", args: given.flatMap((g) => g.args) };
}

/** Runs statements in D1 batches of `size` (each batch one transaction). */
export async function runInBatches(db: D1Database, stmts: D1PreparedStatement[], size = 100): Promise<void> {
  for (let i = 0; i < stmts.length; i += size) await db.batch(stmts.slice(i, i + size));
}

/** Reads of one row each in one round trip: each statement's first row (null where it found none). */
export async function firstRows<T>(db: D1Database, stmts: D1PreparedStatement[]): Promise<(T | null)[]> {
  if (!stmts.length) return [];
  return (await db.batch<T>(stmts)).map((r) => r.results[0] ?? null);
}

/** The cheapest statement D1 can answer (health probe). */
export function pingDatabase(db: D1Database) {
  return db.prepare("SELECT 1").first();
}
