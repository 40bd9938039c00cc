import { guardArgs, guardSql, type SqlGuard } from "./statements";

/** A key as delivery needs it: the encrypted secret and its keyed hash, never the plaintext. */
export interface CardKeyRef {
  id: string;
  secret_enc: string;
  secret_hash: string;
  reusable: number;
}

export interface NewCardKey {
  id: string;
  secretEnc: string;
  secretHash: string;
  foldHash: string;
  reusable: boolean;
  line: number;
}

// Query plans: D1 keeps no statistics, so SQLite takes the index matching the most `=` terms. Where that index walks
// every key of a product or tenant while a narrower one exists (the order's, the id's), the other terms are written
// `+column`, which no index can serve. test/worker/rows-read-integration.test.ts holds the rows each path reads.

/** Keys of one import chunk get ids `<chunk>_<n>`, so a statement in the same batch can count what was inserted. */
export const chunkKeyId = (chunk: string, n: number) => `${chunk}_${n.toString(36).padStart(5, "0")}`;

/** `SELECT COUNT(*)` of the keys inserted under this chunk (a scalar subquery for a computed event field or guard). */
export function chunkInserted(tenantId: string, chunk: string): SqlGuard {
  return { sql: "SELECT COUNT(*) FROM card_keys WHERE id >= ? AND id < ? AND +tenant_id = ?", args: [`${chunk}_`, `${chunk}\``, tenantId] };
}

/** One statement per key; `ON CONFLICT DO NOTHING` lets the caller see which rows were duplicates of stock. */
export function insertCardKeyStmt(db: D1Database, tenantId: string, productId: string, batchId: string, k: NewCardKey) {
  return db
    .prepare(
      `INSERT INTO card_keys (id, tenant_id, product_id, secret_enc, secret_hash, fold_hash, reusable, batch_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .bind(k.id, tenantId, productId, k.secretEnc, k.secretHash, k.foldHash, k.reusable ? 1 : 0, batchId);
}

/** Of these refused keys (≤ 45), the stored ones they repeat: the same key, or the same in other letter case. */
export async function keysRepeated(db: D1Database, tenantId: string, keys: Pick<NewCardKey, "secretHash" | "foldHash">[]) {
  const marks = keys.map(() => "?").join(",");
  const { results } = await db
    .prepare(`SELECT secret_hash, fold_hash, batch_id FROM card_keys WHERE tenant_id = ? AND (secret_hash IN (${marks}) OR fold_hash IN (${marks}))`)
    .bind(tenantId, ...keys.map((k) => k.secretHash), ...keys.map((k) => k.foldHash))
    .all<{ secret_hash: string; fold_hash: string | null; batch_id: string | null }>();
  return results;
}

/** Keys not folded yet (from before fold_hash, or a supplier's delivery), oldest first, for the cron. */
export async function unfoldedKeys(db: D1Database, limit: number) {
  const { results } = await db
    .prepare("SELECT id, tenant_id, secret_enc FROM card_keys WHERE fold_hash IS NULL ORDER BY created_at LIMIT ?")
    .bind(limit)
    .all<{ id: string; tenant_id: string; secret_enc: string }>();
  return results;
}

/** Folds one key; a clash with a key already folded (the same key in other letter case) marks this row instead. */
export function foldKeyStmts(db: D1Database, id: string, fold: string): D1PreparedStatement[] {
  return [
    db.prepare("UPDATE OR IGNORE card_keys SET fold_hash = ? WHERE id = ? AND fold_hash IS NULL").bind(fold, id),
    db.prepare("UPDATE card_keys SET fold_hash = 'clash:' || id WHERE id = ? AND fold_hash IS NULL").bind(id),
  ];
}

/**
 * Reserves up to `quantity` one-shot keys for an order in ONE statement. D1 runs statements one at a time, so the
 * sub-select and the guarded update cannot interleave with another buyer's: a key is never reserved twice.
 */
export async function reserveCardKeys(
  db: D1Database,
  tenantId: string,
  productId: string,
  orderId: string,
  quantity: number,
  reservedUntil: string,
): Promise<string[]> {
  const { results } = await reserveCardKeysStmt(db, tenantId, productId, orderId, quantity, reservedUntil).all<{ id: string }>();
  return results.map((r) => r.id);
}

/** reserveCardKeys as one statement (RETURNING id); `guard` adds a condition, e.g. "the order was just inserted". */
export function reserveCardKeysStmt(
  db: D1Database, tenantId: string, productId: string, orderId: string, quantity: number, reservedUntil: string,
  guard?: SqlGuard,
) {
  return db
    .prepare(
      `UPDATE card_keys SET status = 'reserved', order_id = ?, reserved_until = ?
       WHERE id IN (SELECT id FROM card_keys WHERE tenant_id = ? AND product_id = ? AND status = 'available' AND reusable = 0 LIMIT ?)
         AND +status = 'available' AND ${guardSql(guard)}
       RETURNING id`,
    )
    .bind(orderId, reservedUntil, tenantId, productId, quantity, ...guardArgs(guard));
}

/** How many keys this order holds of the product, as a scalar subquery (NULL while fewer than `min`). */
export function keysHeldFor(tenantId: string, productId: string, orderId: string, min = 1) {
  return {
    sql: "SELECT n FROM (SELECT COUNT(*) AS n FROM card_keys WHERE tenant_id = ? AND order_id = ? AND +product_id = ? AND +status = 'reserved') WHERE n >= ?",
    args: [tenantId, orderId, productId, min],
  };
}

/** A key this product may still give (available, or reserved by a lapsed hold). */
export function mayHaveKeysStmt(db: D1Database, tenantId: string, productId: string) {
  return db
    .prepare(
      `SELECT 1 AS y WHERE EXISTS (SELECT 1 FROM card_keys WHERE tenant_id = ? AND product_id = ? AND status = 'available')
         OR EXISTS (SELECT 1 FROM card_keys WHERE tenant_id = ? AND product_id = ? AND status = 'reserved' AND reserved_until < ?)`,
    )
    .bind(tenantId, productId, tenantId, productId, new Date().toISOString());
}

export function findLoopKey(db: D1Database, tenantId: string, productId: string) {
  return db
    .prepare(
      "SELECT id, secret_enc, secret_hash, reusable FROM card_keys WHERE tenant_id = ? AND product_id = ? AND status = 'available' AND reusable = 1 LIMIT 1",
    )
    .bind(tenantId, productId)
    .first<CardKeyRef>();
}

export async function reservedKeysOfOrder(db: D1Database, tenantId: string, orderId: string, productId: string) {
  const { results } = await db
    .prepare(
      "SELECT id, secret_enc, secret_hash, reusable FROM card_keys WHERE tenant_id = ? AND order_id = ? AND +product_id = ? AND +status IN ('reserved', 'delivered') ORDER BY id",
    )
    .bind(tenantId, orderId, productId)
    .all<CardKeyRef>();
  return results;
}

/** The order's reserved keys back to available; `guard` adds a condition checked in the same statement. */
export function releaseOrderKeysStmt(db: D1Database, tenantId: string, orderId: string, guard?: SqlGuard) {
  return db
    .prepare(
      `UPDATE card_keys SET status = 'available', order_id = NULL, reserved_until = NULL
       WHERE tenant_id = ? AND order_id = ? AND status = 'reserved' AND ${guardSql(guard)}`,
    )
    .bind(tenantId, orderId, ...guardArgs(guard));
}

/** reserved → delivered for this order only; `guard` (SQL + args) adds a condition checked in the same statement. */
export function deliverKeyStmt(db: D1Database, tenantId: string, orderId: string, keyId: string, guard?: SqlGuard) {
  return db
    .prepare(
      `UPDATE card_keys SET status = 'delivered', delivered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE tenant_id = ? AND order_id = ? AND id = ? AND status = 'reserved' AND ${guardSql(guard)}`,
    )
    .bind(tenantId, orderId, keyId, ...guardArgs(guard));
}

export function cardKeyOfProduct(db: D1Database, tenantId: string, id: string, productId: string) {
  return db.prepare("SELECT id, secret_enc, secret_hash, reusable FROM card_keys WHERE tenant_id = ? AND id = ? AND product_id = ?").bind(tenantId, id, productId).first<CardKeyRef>();
}

/**
 * Takes one one-shot key for a source (claim, prize) — marked with the source key, so a retry finds the same key and
 * a concurrent duplicate cannot take a second; else the key an earlier call took for it.
 */
export async function takeKeyForSourceStmt(db: D1Database, tenantId: string, productId: string, sourceKey: string): Promise<CardKeyRef | null> {
  const taken = await db
    .prepare(
      `UPDATE card_keys SET status = 'delivered', order_id = ?, delivered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE id = (SELECT id FROM card_keys WHERE tenant_id = ? AND product_id = ? AND status = 'available' AND reusable = 0 LIMIT 1)
         AND status = 'available'
         AND NOT EXISTS (SELECT 1 FROM card_keys WHERE tenant_id = ? AND order_id = ?)
       RETURNING id, secret_enc, secret_hash, reusable`,
    )
    .bind(sourceKey, tenantId, productId, tenantId, sourceKey)
    .first<CardKeyRef>();
  if (taken) return taken;
  return db.prepare("SELECT id, secret_enc, secret_hash, reusable FROM card_keys WHERE tenant_id = ? AND order_id = ? LIMIT 1").bind(tenantId, sourceKey).first<CardKeyRef>();
}
