import type { Voucher } from "../../schema/vouchers";
import { guardArgs, guardSql, type SqlGuard } from "./statements";

export interface VoucherRow {
  id: string;
  tenant_id: string;
  holder_id: string;
  product_id: string;
  kind: Voucher["kind"];
  order_id: string | null;
  campaign_id: string | null;
  source_key: string;
  code: string;
  secret_enc: string | null;
  secret_hash: string | null;
  card_key_id: string | null;
  title: string;
  face_value_cents: number;
  status: Voucher["status"];
  valid_from: string;
  valid_to: string | null;
  meta: string;
  issued_at: string;
  status_changed_at: string | null;
  /** How many of its redemptions were undone (撤销核销). */
  reversals: number;
}

export const toVoucher = (r: VoucherRow): Voucher => ({
  id: r.id,
  code: r.code,
  tenantId: r.tenant_id,
  holderId: r.holder_id,
  productId: r.product_id,
  kind: r.kind,
  orderId: r.order_id,
  campaignId: r.campaign_id,
  title: r.title,
  faceValueCents: r.face_value_cents,
  status: r.status,
  validFrom: r.valid_from,
  validTo: r.valid_to,
  issuedAt: r.issued_at,
  meta: JSON.parse(r.meta) as Voucher["meta"],
});

export type NewVoucherRow = Omit<VoucherRow, "status" | "issued_at" | "status_changed_at" | "reversals">;

/**
 * Insert-if-new by (tenant_id, source_key): issuing the same right twice is a no-op. `guard` (SQL + args) makes the
 * insert conditional inside a batch, e.g. "the card key was just marked delivered for this order".
 */
export function insertVoucherStmt(db: D1Database, v: NewVoucherRow, guard?: SqlGuard): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO vouchers (id, tenant_id, holder_id, product_id, kind, order_id, campaign_id, source_key, code,
         secret_enc, secret_hash, card_key_id, title, face_value_cents, valid_from, valid_to, meta)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${guardSql(guard)}
       ON CONFLICT (tenant_id, source_key) DO NOTHING`,
    )
    .bind(
      v.id, v.tenant_id, v.holder_id, v.product_id, v.kind, v.order_id, v.campaign_id, v.source_key, v.code,
      v.secret_enc, v.secret_hash, v.card_key_id, v.title, v.face_value_cents, v.valid_from, v.valid_to, v.meta,
      ...guardArgs(guard),
    );
}

export function getVoucherBySource(db: D1Database, tenantId: string, sourceKey: string) {
  return db.prepare("SELECT * FROM vouchers WHERE tenant_id = ? AND source_key = ?").bind(tenantId, sourceKey).first<VoucherRow>();
}

export function getVoucherById(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM vouchers WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<VoucherRow>();
}

export function getVoucherByCode(db: D1Database, tenantId: string, code: string) {
  return db.prepare("SELECT * FROM vouchers WHERE tenant_id = ? AND code = ?").bind(tenantId, code).first<VoucherRow>();
}

/** Redemption look-up by the keyed hashes of a presented card key / coupon code (the forms it may be stored as). */
export async function getVouchersBySecretHashes(db: D1Database, tenantId: string, hashes: string[]): Promise<VoucherRow[]> {
  if (!hashes.length) return [];
  const { results } = await db
    .prepare(`SELECT * FROM vouchers WHERE tenant_id = ? AND secret_hash IN (${hashes.map(() => "?").join(",")})`)
    .bind(tenantId, ...hashes)
    .all<VoucherRow>();
  return results;
}

export async function listVouchersByOrder(db: D1Database, tenantId: string, orderId: string) {
  const { results } = await db
    .prepare("SELECT * FROM vouchers WHERE tenant_id = ? AND order_id = ? ORDER BY +source_key")
    .bind(tenantId, orderId)
    .all<VoucherRow>();
  return results;
}

export async function listVouchersByHolders(db: D1Database, tenantId: string, holderIds: string[]) {
  if (!holderIds.length) return [];
  const { results } = await db
    .prepare(
      `SELECT * FROM vouchers WHERE tenant_id = ? AND holder_id IN (${holderIds.map(() => "?").join(",")})
       ORDER BY issued_at DESC LIMIT 200`,
    )
    .bind(tenantId, ...holderIds)
    .all<VoucherRow>();
  return results;
}

/** Moves a voucher between statuses only from an allowed one; returns null when it was not in `from`. */
/** Moves a voucher between statuses; `also` (e.g. its event rows, guarded on the new status) runs in the same batch. */
export async function setVoucherStatus(
  db: D1Database, tenantId: string, id: string, from: Voucher["status"][], to: Voucher["status"], also: D1PreparedStatement[] = [],
): Promise<VoucherRow | null> {
  const [moved] = await db.batch([
    db
      .prepare(
        `UPDATE vouchers SET status = ?, status_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE tenant_id = ? AND id = ? AND status IN (${from.map(() => "?").join(",")}) RETURNING *`,
      )
      .bind(to, tenantId, id, ...from),
    ...also,
  ]);
  return (moved!.results[0] as VoucherRow | undefined) ?? null;
}

/** A reward's still-issued voucher voided (issued → voided), as voucher-void does, for a take-back's batch. */
export const voidVoucherStmt = (db: D1Database, tenantId: string, voucherId: string, guard?: SqlGuard) =>
  db.prepare(`UPDATE vouchers SET status = 'voided', status_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND status = 'issued' AND ${guardSql(guard)}`)
    .bind(tenantId, voucherId, ...guardArgs(guard));

/** Holds inside a batch once the voucher has this status (for event rows of a guarded status change). */
export const voucherIs = (tenantId: string, id: string, status: Voucher["status"]): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ? AND status = ?)",
  args: [tenantId, id, status],
});

export type VoucherWithBatch = VoucherRow & { batch_id: string | null };
// A voucher with its card key's batch (VoucherWithBatch), for the vouchers `v` of a FROM clause.
const WITH_BATCH = "v.*, k.batch_id";
const BATCH_JOIN = "LEFT JOIN card_keys k ON k.tenant_id = v.tenant_id AND k.id = v.card_key_id";

/**
 * As vouchersWithBatch, for the vouchers that the outbox rows `rowsSql` (a SELECT of tenant_id, type, body; its
 * arguments `rowsArgs`) name in `$.payload.voucherId`, of the event `types` only: read in the same batch as the rows.
 */
export function vouchersNamedByStmt(db: D1Database, rowsSql: string, rowsArgs: unknown[], types: readonly string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT ${WITH_BATCH} FROM (SELECT DISTINCT tenant_id AS t, json_extract(body, '$.payload.voucherId') AS vid FROM (${rowsSql})
         WHERE type IN (SELECT value FROM json_each(?))) p
       JOIN vouchers v ON v.id = p.vid AND v.tenant_id = p.t ${BATCH_JOIN}`,
    )
    .bind(...rowsArgs, JSON.stringify(types));
}

/** Vouchers of one tenant with their card key's batch: the facts ledger entries are built from. */
export async function vouchersWithBatch(db: D1Database, tenantId: string, ids: string[]): Promise<VoucherWithBatch[]> {
  const out: VoucherWithBatch[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const { results } = await db
      .prepare(
        // `+v.tenant_id`: by id; with three ids or more SQLite would walk the tenant's vouchers (see db/card-keys.ts).
        `SELECT ${WITH_BATCH} FROM vouchers v ${BATCH_JOIN}
         WHERE +v.tenant_id = ? AND v.id IN (${chunk.map(() => "?").join(",")})`,
      )
      .bind(tenantId, ...chunk)
      .all<VoucherWithBatch>();
    out.push(...results);
  }
  return out;
}

/** Issued vouchers past their window (all tenants), oldest first in no particular order; at most `limit`. */
export async function dueForExpiry(db: D1Database, now: string, limit: number): Promise<VoucherRow[]> {
  const { results } = await db.prepare("SELECT * FROM vouchers WHERE status = 'issued' AND valid_to IS NOT NULL AND valid_to < ? LIMIT ?").bind(now, limit).all<VoucherRow>();
  return results;
}

/** issued → expired at `now` (guarded: a voucher redeemed or voided meanwhile is left alone). */
export function expireVoucherStmt(db: D1Database, v: Pick<VoucherRow, "tenant_id" | "id">, now: string): D1PreparedStatement {
  return db.prepare("UPDATE vouchers SET status = 'expired', status_changed_at = ? WHERE tenant_id = ? AND id = ? AND status = 'issued'").bind(now, v.tenant_id, v.id);
}

/** issued → `to` for one voucher, as a statement for a batch (guard its event rows with voucherIs). */
export function moveIssuedVoucherStmt(db: D1Database, tenantId: string, id: string, to: "voided" | "refunded", guard?: SqlGuard) {
  return db
    .prepare(`UPDATE vouchers SET status = ?, status_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND status = 'issued' AND ${guardSql(guard)}`)
    .bind(to, tenantId, id, ...guardArgs(guard));
}

/**
 * Every issued voucher of an order → refunded by the order's whole refund `refundId`, as a statement for a batch
 * (RETURNING id); refund_id names that refund, so a refusal after it was recorded gives back exactly these rights.
 */
export function refundIssuedOfOrderStmt(db: D1Database, tenantId: string, orderId: string, refundId: string) {
  return db
    .prepare("UPDATE vouchers SET status = 'refunded', status_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), refund_id = ? WHERE tenant_id = ? AND order_id = ? AND +status = 'issued' RETURNING id")
    .bind(refundId, tenantId, orderId);
}

export function getVoucherRow(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM vouchers WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<VoucherRow>();
}
