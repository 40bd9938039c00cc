import type { LedgerCheckpoint, LedgerEntry, LedgerKind, LedgerPayload } from "../../schema/ledger";
import { canonicalJson } from "../domain/ledger";
import type { z } from "zod";

export interface EntryRow {
  tenant_id: string;
  seq: number;
  kind: string;
  subject_id: string;
  public_code: string | null;
  batch: string | null;
  channel: string | null;
  occurred_at: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  tenant_id: string;
  seq_from: number;
  seq_to: number;
  head_hash: string;
  merkle_root: string;
  created_at: string;
}

export const toEntry = (r: EntryRow): LedgerEntry => ({
  tenantId: r.tenant_id,
  seq: r.seq,
  kind: r.kind as LedgerKind,
  subjectId: r.subject_id,
  publicCode: r.public_code,
  batch: r.batch,
  channel: r.channel,
  occurredAt: r.occurred_at,
  // A row whose payload no longer parses was tampered with; keep it verifiable (its hash will not match).
  payload: safeParse(r.payload),
  prevHash: r.prev_hash,
  hash: r.hash,
});

function safeParse(s: string): z.infer<typeof LedgerPayload> {
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as z.infer<typeof LedgerPayload>) : { _raw: s };
  } catch {
    return { _raw: s };
  }
}

export const toCheckpoint = (r: CheckpointRow): LedgerCheckpoint => ({
  tenantId: r.tenant_id,
  seqFrom: r.seq_from,
  seqTo: r.seq_to,
  headHash: r.head_hash,
  merkleRoot: r.merkle_root,
  createdAt: r.created_at,
});

export function insertEntryStatement(db: D1Database, tenantId: string, e: LedgerEntry, dedupeKey: string) {
  return db
    .prepare(
      `INSERT INTO ledger_entries (tenant_id, seq, kind, subject_id, public_code, batch, channel, occurred_at, payload, prev_hash, hash, dedupe_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(tenantId, e.seq, e.kind, e.subjectId, e.publicCode, e.batch, e.channel, e.occurredAt, canonicalJson(e.payload), e.prevHash, e.hash, dedupeKey);
}

/**
 * Entries already appended for these dedupe keys (retries of the same business fact), up to the writer's head.
 * `+seq`: with a plain `seq <= ?` SQLite walked the tenant's whole ledger by its primary key (one range term beside
 * the `=`) instead of the dedupe index — ~1,100 rows per append after 1,000 orders, growing with every entry.
 */
export async function entriesByDedupeKeys(db: D1Database, tenantId: string, keys: string[], maxSeq: number): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>();
  for (let i = 0; i < keys.length; i += 50) {
    const chunk = keys.slice(i, i + 50);
    const { results } = await db
      .prepare(`SELECT *, dedupe_key FROM ledger_entries WHERE tenant_id = ? AND dedupe_key IN (${chunk.map(() => "?").join(",")}) AND +seq <= ?`)
      .bind(tenantId, ...chunk, maxSeq)
      .all<EntryRow & { dedupe_key: string }>();
    for (const r of results) out.set(r.dedupe_key, toEntry(r));
  }
  return out;
}

export async function lastEntry(db: D1Database, tenantId: string, maxSeq = Number.MAX_SAFE_INTEGER): Promise<LedgerEntry | null> {
  const r = await db.prepare("SELECT * FROM ledger_entries WHERE tenant_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1").bind(tenantId, maxSeq).first<EntryRow>();
  return r ? toEntry(r) : null;
}

/** The (seq, hash) of every row past `seq`: what the ledger object compares with what it wrote. */
export async function hashesAfter(db: D1Database, tenantId: string, seq: number): Promise<{ seq: number; hash: string }[]> {
  const { results } = await db.prepare("SELECT seq, hash FROM ledger_entries WHERE tenant_id = ? AND seq > ? ORDER BY seq").bind(tenantId, seq).all<{ seq: number; hash: string }>();
  return results;
}

/** Moves the rows past the object's head into ledger_quarantine (as they were), in one batch. */
export function quarantineAfterStatements(db: D1Database, tenantId: string, headSeq: number) {
  return [
    db
      .prepare(
        `INSERT INTO ledger_quarantine (tenant_id, seq, kind, subject_id, public_code, batch, channel, occurred_at, payload, prev_hash, hash, dedupe_key, object_head_seq)
         SELECT tenant_id, seq, kind, subject_id, public_code, batch, channel, occurred_at, payload, prev_hash, hash, dedupe_key, ? FROM ledger_entries WHERE tenant_id = ? AND seq > ?`,
      )
      .bind(headSeq, tenantId, headSeq),
    db.prepare("DELETE FROM ledger_entries WHERE tenant_id = ? AND seq > ?").bind(tenantId, headSeq),
  ];
}

export async function quarantinedEntries(db: D1Database, tenantId: string, limit = 1000) {
  const { results } = await db
    .prepare("SELECT seq, kind, subject_id, hash, quarantined_at, object_head_seq FROM ledger_quarantine WHERE tenant_id = ? ORDER BY quarantined_at, seq LIMIT ?")
    .bind(tenantId, limit)
    .all<{ seq: number; kind: string; subject_id: string; hash: string; quarantined_at: string; object_head_seq: number }>();
  return results;
}

export async function listEntries(db: D1Database, tenantId: string, afterSeq = 0, limit = 100_000): Promise<LedgerEntry[]> {
  const { results } = await db
    .prepare("SELECT * FROM ledger_entries WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?")
    .bind(tenantId, afterSeq, limit)
    .all<EntryRow>();
  return results.map(toEntry);
}

export async function entryHashesInRange(db: D1Database, tenantId: string, from: number, to: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT hash FROM ledger_entries WHERE tenant_id = ? AND seq BETWEEN ? AND ? ORDER BY seq")
    .bind(tenantId, from, to)
    .all<{ hash: string }>();
  return results.map((r) => r.hash);
}

/** Public lookup by a voucher's public code; the code is globally unique, so this is not tenant-scoped. */
export async function entriesByPublicCode(db: D1Database, publicCode: string): Promise<LedgerEntry[]> {
  const { results } = await db
    .prepare("SELECT * FROM ledger_entries WHERE public_code = ? ORDER BY tenant_id, seq LIMIT 200")
    .bind(publicCode)
    .all<EntryRow>();
  return results.map(toEntry);
}

/** The brand a voucher's public code belongs to (the vouchers table), for a code with no ledger rows left in D1. */
export async function voucherTenantByCode(db: D1Database, publicCode: string): Promise<string | null> {
  const r = await db.prepare("SELECT tenant_id FROM vouchers WHERE code = ?").bind(publicCode).first<{ tenant_id: string }>();
  return r?.tenant_id ?? null;
}

export function insertCheckpointStatement(db: D1Database, c: LedgerCheckpoint) {
  return db
    .prepare(
      `INSERT OR IGNORE INTO ledger_checkpoints (tenant_id, seq_from, seq_to, head_hash, merkle_root, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .bind(c.tenantId, c.seqFrom, c.seqTo, c.headHash, c.merkleRoot, c.createdAt);
}

export async function listCheckpoints(db: D1Database, tenantId: string, limit = 1000): Promise<LedgerCheckpoint[]> {
  const { results } = await db
    .prepare("SELECT * FROM ledger_checkpoints WHERE tenant_id = ? ORDER BY seq_to DESC LIMIT ?")
    .bind(tenantId, limit)
    .all<CheckpointRow>();
  return results.map(toCheckpoint).reverse();
}

/** The checkpoint that covers `seq`, if one was published. */
export async function checkpointCovering(db: D1Database, tenantId: string, seq: number): Promise<LedgerCheckpoint | null> {
  const r = await db
    .prepare("SELECT * FROM ledger_checkpoints WHERE tenant_id = ? AND seq_from <= ? AND seq_to >= ? LIMIT 1")
    .bind(tenantId, seq, seq)
    .first<CheckpointRow>();
  return r ? toCheckpoint(r) : null;
}
