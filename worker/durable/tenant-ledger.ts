import { DurableObject } from "cloudflare:workers";
import type { LedgerCheckpoint, LedgerEntry, LedgerEntryDraft, LedgerHead } from "../../schema/ledger";
import { entriesByDedupeKeys, entryHashesInRange, hashesAfter, insertCheckpointStatement, insertEntryStatement, lastEntry, quarantineAfterStatements } from "../db/ledger";
import { GENESIS_HASH, merkleRoot, sealEntry, type LedgerSegment } from "../domain/ledger";
import { plusParamsSql, withPlusParams } from "../db/plus-params";

/** Entries since the last checkpoint are sealed into a new one at least this often. */
export const CHECKPOINT_INTERVAL_MS = 60 * 60 * 1000;
export const CHECKPOINT_MAX_ENTRIES = 10_000;

type PendingEntry = { seq: number; hash: string; publicCode: string | null };
type CheckpointRow = { seq_from: number; seq_to: number; head_hash: string; merkle_root: string; created_at: string };
const toCheckpoint = (tenantId: string, r: CheckpointRow): LedgerCheckpoint => ({
  tenantId,
  seqFrom: r.seq_from,
  seqTo: r.seq_to,
  headHash: r.head_hash,
  merkleRoot: r.merkle_root,
  createdAt: r.created_at,
});

/**
 * One per tenant: the only writer of that tenant's ledger, so appends are serialised and the chain never forks.
 * Rows go to D1 (queried and exported from there); the head and the published checkpoints are also kept here,
 * in the object's own SQLite, so a consistent rewrite of the D1 rows is still detected against them.
 */
export class TenantLedger extends DurableObject<Env> {
  private sql: SqlStorage;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, withPlusParams(env));
    this.sql = plusParamsSql(ctx.storage.sql);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS head (id INTEGER PRIMARY KEY CHECK (id = 1), tenant_id TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS checkpoints (seq_to INTEGER PRIMARY KEY, seq_from INTEGER NOT NULL, head_hash TEXT NOT NULL,
        merkle_root TEXT NOT NULL, created_at TEXT NOT NULL)`,
    );
    // Which entries each voucher's public code has, kept by the writer itself: a voucher's public proof checks every
    // one of them, so deleting or rewriting its latest step in D1 cannot leave the earlier steps looking complete.
    // Entries before `from_seq` (written before this index existed, or while the object's storage was lost) are not in it.
    this.sql.exec(`CREATE TABLE IF NOT EXISTS code_seqs (public_code TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (public_code, seq)) WITHOUT ROWID`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS code_index (id INTEGER PRIMARY KEY CHECK (id = 1), from_seq INTEGER NOT NULL)`);
    this.sql.exec(`INSERT OR IGNORE INTO code_index (id, from_seq) SELECT 1, COALESCE((SELECT seq FROM head WHERE id = 1), 0)`);
    // The batch being written to D1, recorded here first: after a crash between D1's commit and the head's save, the
    // rows D1 holds past the head are adopted only if they are exactly these. Anything else past the head was not
    // written by this object and is quarantined, never taken as the head (the object stays the reference).
    this.sql.exec(`CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY CHECK (id = 1), entries TEXT NOT NULL)`);
  }

  /**
   * Appends drafts in order (skipping those whose dedupe key is already in the ledger); returns every entry.
   * Group commit: calls arriving while a write is in flight are chained and written together in one D1 batch.
   */
  append(tenantId: string, drafts: LedgerEntryDraft[]): Promise<LedgerEntry[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ tenantId, drafts, resolve, reject });
      if (this.waiting.length === 1) void this.serial(() => this.flush());
    });
  }

  private waiting: { tenantId: string; drafts: LedgerEntryDraft[]; resolve: (e: LedgerEntry[]) => void; reject: (e: unknown) => void }[] = [];

  private async flush() {
    const group = this.waiting.splice(0);
    if (group.length === 0) return;
    try {
      const all = await this.appendNow(group[0]!.tenantId, group.flatMap((g) => g.drafts));
      let i = 0;
      for (const g of group) {
        g.resolve(all.slice(i, i + g.drafts.length));
        i += g.drafts.length;
      }
    } catch (e) {
      for (const g of group) g.reject(e);
    }
  }

  head(tenantId: string): Promise<LedgerHead> {
    return this.serial(async () => this.loadHead(tenantId));
  }

  /** Seals the entries since the last checkpoint; null when there are none. */
  checkpoint(tenantId: string): Promise<LedgerCheckpoint | null> {
    return this.serial(() => this.checkpointNow(tenantId));
  }

  checkpoints(tenantId: string): LedgerCheckpoint[] {
    return this.sql.exec<CheckpointRow>("SELECT * FROM checkpoints ORDER BY seq_to").toArray().map((r) => toCheckpoint(tenantId, r));
  }

  /**
   * The object's own record of the stretches holding these seqs: the covering checkpoint (and the head hash it
   * continues from) or, past the last checkpoint, the entries up to the head. What the public view checks D1 rows against.
   */
  segments(tenantId: string, seqs: number[], publicCode?: string): Promise<{ head: LedgerHead; segments: LedgerSegment[]; recorded: { fromSeq: number; seqs: number[] } }> {
    return this.serial(async () => {
      const head = await this.loadHead(tenantId);
      const fromSeq = this.sql.exec<{ from_seq: number }>("SELECT from_seq FROM code_index WHERE id = 1").toArray()[0]?.from_seq ?? head.seq;
      const recorded = publicCode
        ? this.sql.exec<{ seq: number }>("SELECT seq FROM code_seqs WHERE public_code = ? ORDER BY seq", publicCode).toArray().map((r) => r.seq)
        : [];
      const out = new Map<number, LedgerSegment>();
      for (const seq of [...new Set([...seqs, ...recorded])].sort((a, b) => a - b)) {
        if (seq < 1 || seq > head.seq || [...out.values()].some((s) => s.seqFrom <= seq && seq <= s.seqTo)) continue;
        const cp = this.sql.exec<CheckpointRow>("SELECT * FROM checkpoints WHERE seq_to >= ? ORDER BY seq_to LIMIT 1", seq).toArray()[0];
        const from = cp && cp.seq_from <= seq ? cp.seq_from : this.lastCheckpointSeq() + 1;
        const prev =
          from === 1
            ? GENESIS_HASH
            : this.sql.exec<{ head_hash: string }>("SELECT head_hash FROM checkpoints WHERE seq_to = ?", from - 1).toArray()[0]?.head_hash;
        if (prev === undefined) continue; // checkpoints are contiguous; a gap means this object's storage was lost
        out.set(
          from,
          cp && cp.seq_from <= seq
            ? { seqFrom: from, seqTo: cp.seq_to, prevHash: prev, headHash: cp.head_hash, merkleRoot: cp.merkle_root, createdAt: cp.created_at }
            : { seqFrom: from, seqTo: head.seq, prevHash: prev, headHash: head.hash, merkleRoot: null, createdAt: null },
        );
      }
      return { head, segments: [...out.values()], recorded: { fromSeq, seqs: recorded } };
    });
  }

  // Entries arrive from the event dispatcher (worker/queue/dispatch.ts) in the tenant's event order; nothing to sweep.
  override async alarm() {
    const tenantId = this.storedTenant();
    if (!tenantId) return;
    await this.checkpoint(tenantId);
  }

  // D1 calls are real I/O and would let a second append interleave; this chain keeps them one at a time.
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private lastCheckpointSeq(): number {
    return this.sql.exec<{ s: number | null }>("SELECT max(seq_to) AS s FROM checkpoints").toArray()[0]?.s ?? 0;
  }

  private storedTenant(): string | null {
    return this.sql.exec<{ tenant_id: string }>("SELECT tenant_id FROM head WHERE id = 1").toArray()[0]?.tenant_id ?? null;
  }

  private async loadHead(tenantId: string): Promise<LedgerHead> {
    const row = this.sql.exec<{ tenant_id: string; seq: number; hash: string }>("SELECT * FROM head WHERE id = 1").toArray()[0];
    if (row) {
      if (row.tenant_id !== tenantId) throw new Error("ledger object addressed with another tenant id");
      const head = { seq: row.seq, hash: row.hash };
      const pending = this.pending();
      if (!pending) return head;
      // A write whose outcome this object did not see (it stopped, or D1's answer was lost): adopt it if D1 has it.
      return this.settlePending(tenantId, head, pending, await hashesAfter(this.env.DB, tenantId, head.seq));
    }
    const known = this.lastWrittenSeq();
    if (known === 0) {
      // First use (or the whole storage lost): continue from the rows already in D1; the code index starts from there.
      const last = await lastEntry(this.env.DB, tenantId);
      const head = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
      const indexed = this.sql.exec<{ from_seq: number }>("SELECT from_seq FROM code_index WHERE id = 1").toArray()[0]?.from_seq ?? 0;
      if (head.seq > indexed) this.sql.exec("INSERT OR REPLACE INTO code_index (id, from_seq) VALUES (1, ?)", head.seq);
      this.saveHead(tenantId, head);
      return head;
    }
    // The head is gone but the object's checkpoints or code index are not: it was removed from this storage, this is
    // no first use. Continue from the last entry the object knows it wrote, never from rows D1 holds past it: those
    // the object cannot vouch for, and the next append sets them aside like any rows planted past the head. The code
    // index keeps its start, so the public view still names an entry it never wrote for a voucher.
    const head = await this.resumeFromOwnRecords(tenantId, known, "head_lost");
    const pending = this.pending();
    return pending ? this.settlePending(tenantId, head, pending, await hashesAfter(this.env.DB, tenantId, head.seq)) : head;
  }

  /**
   * The head set back to the last entry the object's own records (checkpoints, code index) say it wrote: its last
   * checkpoint's own head hash when that is the one, else D1's row at that seq.
   */
  private async resumeFromOwnRecords(tenantId: string, known: number, problem: "head_lost" | "head_behind_own_records"): Promise<LedgerHead> {
    const cp = this.sql.exec<CheckpointRow>("SELECT * FROM checkpoints ORDER BY seq_to DESC LIMIT 1").toArray()[0];
    const last = cp && cp.seq_to >= known ? null : await lastEntry(this.env.DB, tenantId, known);
    const head =
      last && (!cp || last.seq > cp.seq_to)
        ? { seq: last.seq, hash: last.hash }
        : cp
          ? { seq: cp.seq_to, hash: cp.head_hash }
          : { seq: 0, hash: GENESIS_HASH };
    console.error(JSON.stringify({ at: "ledger", problem, tenantId, knownSeq: known, resumedAt: head.seq }));
    this.saveHead(tenantId, head);
    return head;
  }

  /** The highest seq this object's own records say it wrote (checkpoints, code index); 0 when it holds none. */
  private lastWrittenSeq(): number {
    return (
      this.sql
        .exec<{ s: number | null }>("SELECT max(s) AS s FROM (SELECT max(seq_to) AS s FROM checkpoints UNION ALL SELECT max(seq) AS s FROM code_seqs)")
        .toArray()[0]?.s ?? 0
    );
  }

  private pending(): PendingEntry[] | null {
    const r = this.sql.exec<{ entries: string }>("SELECT entries FROM pending WHERE id = 1").toArray()[0];
    return r ? (JSON.parse(r.entries) as PendingEntry[]) : null;
  }

  /** The head after a pending write: its last entry when D1 holds exactly what was written, else unchanged. */
  private settlePending(tenantId: string, head: LedgerHead, pending: PendingEntry[], after: { seq: number; hash: string }[]): LedgerHead {
    this.sql.exec("DELETE FROM pending WHERE id = 1");
    const landed = pending.length > 0 && pending.every((p, i) => after[i]?.seq === p.seq && after[i]?.hash === p.hash);
    if (!landed) return head;
    for (const p of pending) if (p.publicCode) this.sql.exec("INSERT OR IGNORE INTO code_seqs (public_code, seq) VALUES (?, ?)", p.publicCode, p.seq);
    const last = pending[pending.length - 1]!;
    const adopted = { seq: last.seq, hash: last.hash };
    this.saveHead(tenantId, adopted);
    return adopted;
  }

  private saveHead(tenantId: string, head: LedgerHead) {
    this.sql.exec("INSERT OR REPLACE INTO head (id, tenant_id, seq, hash) VALUES (1, ?, ?, ?)", tenantId, head.seq, head.hash);
  }

  private async appendNow(tenantId: string, drafts: LedgerEntryDraft[], resumed = false): Promise<LedgerEntry[]> {
    if (drafts.length === 0) return [];
    let head = await this.loadHead(tenantId);
    const base = head;
    // Only rows this object wrote (up to its head) can make a draft a repeat; a row planted past it cannot.
    const existing = await entriesByDedupeKeys(this.env.DB, tenantId, [...new Set(drafts.map((d) => d.dedupeKey))], head.seq);
    const out: LedgerEntry[] = [];
    const fresh: { entry: LedgerEntry; key: string }[] = [];
    const seen = new Map<string, LedgerEntry>();
    for (const d of drafts) {
      const prior = existing.get(d.dedupeKey) ?? seen.get(d.dedupeKey);
      if (prior) {
        out.push(prior);
        continue;
      }
      const entry = await sealEntry(tenantId, head, d);
      head = { seq: entry.seq, hash: entry.hash };
      seen.set(d.dedupeKey, entry);
      fresh.push({ entry, key: d.dedupeKey });
      out.push(entry);
    }
    if (fresh.length > 0) {
      const pending: PendingEntry[] = fresh.map(({ entry }) => ({ seq: entry.seq, hash: entry.hash, publicCode: entry.publicCode }));
      this.sql.exec("INSERT OR REPLACE INTO pending (id, entries) VALUES (1, ?)", JSON.stringify(pending));
      const insert = () => this.env.DB.batch(fresh.map((f) => insertEntryStatement(this.env.DB, tenantId, f.entry, f.key)));
      try {
        await insert();
      } catch (e) {
        const after = await hashesAfter(this.env.DB, tenantId, base.seq);
        if (after.length === 0) {
          this.sql.exec("DELETE FROM pending WHERE id = 1");
          throw e;
        }
        // Else what failed had landed after all (settlePending adopted it): carry on as a success.
        if (this.settlePending(tenantId, base, pending, after).seq === base.seq) {
          // Rows past the head that the object's own records say it wrote: the head was set back in its storage (a
          // head behind its own code index or checkpoints never happens otherwise: both are saved in the same turn).
          // Those rows are the object's; move the head up to them and append after them, never set them aside.
          const known = this.lastWrittenSeq();
          if (known > base.seq && !resumed) {
            this.sql.exec("DELETE FROM pending WHERE id = 1");
            await this.resumeFromOwnRecords(tenantId, known, "head_behind_own_records");
            return this.appendNow(tenantId, drafts, true);
          }
          // Rows past our head that we did not write: set them aside as evidence and write ours in their place.
          console.error(JSON.stringify({ at: "ledger", problem: "foreign_rows_quarantined", tenantId, headSeq: base.seq, rows: after.map((r) => r.seq) }));
          await this.env.DB.batch(quarantineAfterStatements(this.env.DB, tenantId, base.seq));
          this.sql.exec("INSERT OR REPLACE INTO pending (id, entries) VALUES (1, ?)", JSON.stringify(pending));
          try {
            await insert();
          } catch (again) {
            this.sql.exec("DELETE FROM pending WHERE id = 1");
            throw again;
          }
        }
      }
      this.sql.exec("DELETE FROM pending WHERE id = 1");
      for (const { entry } of fresh) {
        if (entry.publicCode) this.sql.exec("INSERT OR IGNORE INTO code_seqs (public_code, seq) VALUES (?, ?)", entry.publicCode, entry.seq);
      }
      this.saveHead(tenantId, head);
      const lastCp = this.sql.exec<{ s: number | null }>("SELECT max(seq_to) AS s FROM checkpoints").toArray()[0]?.s ?? 0;
      // A busy brand checkpoints by size too, so one Merkle tree never grows past CHECKPOINT_MAX_ENTRIES leaves.
      if (head.seq - lastCp >= CHECKPOINT_MAX_ENTRIES) await this.ctx.storage.setAlarm(Date.now());
      else if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + CHECKPOINT_INTERVAL_MS);
    }
    return out;
  }

  private async checkpointNow(tenantId: string): Promise<LedgerCheckpoint | null> {
    const head = await this.loadHead(tenantId);
    const last = this.lastCheckpointSeq();
    // The object records a checkpoint before publishing it to D1; a publish that failed is made good here.
    const prior = this.sql.exec<CheckpointRow>("SELECT * FROM checkpoints WHERE seq_to = ?", last).toArray()[0];
    if (prior) await insertCheckpointStatement(this.env.DB, toCheckpoint(tenantId, prior)).run();
    if (head.seq <= last) return null;
    const hashes = await entryHashesInRange(this.env.DB, tenantId, last + 1, head.seq);
    if (hashes.length !== head.seq - last || hashes[hashes.length - 1] !== head.hash) {
      throw new Error(`ledger rows ${last + 1}..${head.seq} in D1 do not match the head; run the verifier`);
    }
    const cp: LedgerCheckpoint = {
      tenantId,
      seqFrom: last + 1,
      seqTo: head.seq,
      headHash: head.hash,
      merkleRoot: await merkleRoot(hashes),
      createdAt: new Date().toISOString(),
    };
    this.sql.exec(
      "INSERT INTO checkpoints (seq_to, seq_from, head_hash, merkle_root, created_at) VALUES (?, ?, ?, ?, ?)",
      cp.seqTo,
      cp.seqFrom,
      cp.headHash,
      cp.merkleRoot,
      cp.createdAt,
    );
    await insertCheckpointStatement(this.env.DB, cp).run();
    await this.ctx.storage.setAlarm(Date.now() + CHECKPOINT_INTERVAL_MS);
    return cp;
  }
}
