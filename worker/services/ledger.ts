import type { LedgerEntry, LedgerEntryDraft, LedgerExport, LedgerFinding, VoucherProvenance } from "../../schema/ledger";
import { checkpointCovering, entriesByPublicCode, voucherTenantByCode, listCheckpoints, listEntries, quarantinedEntries, hashesAfter } from "../db/ledger";
import { getTenant, getTenantBySlug } from "../db/tenants";
import { ApiError } from "../errors";
import { LEDGER_KIND_BY_STATUS } from "../domain/voucher-ledger";
import { dispatchEvents, withDispatchLease } from "../queue/dispatch";
import { GENESIS_HASH, compareCheckpoints, entryHash, merkleProof, uncheckpointedMismatch, verifyChain, verifySegment, type ChainReport, type LedgerSegment } from "../domain/ledger";

function ledger(env: Pick<Env, "TENANT_LEDGER">, tenantId: string) {
  return env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(tenantId));
}

/** Appends to the tenant's provenance ledger through its single writer; idempotent per draft.dedupeKey. */
export async function appendLedger(env: Pick<Env, "TENANT_LEDGER">, tenantId: string, drafts: LedgerEntryDraft[]): Promise<LedgerEntry[]> {
  if (drafts.length === 0) return [];
  return (await ledger(env, tenantId).append(tenantId, drafts)) as LedgerEntry[];
}

/**
 * Publishes a checkpoint now, covering every fact committed before the call: it holds the dispatcher's lease (waiting
 * for a dispatcher mid-round to finish its appends), forwards what is pending, then seals.
 */
export async function checkpointLedger(env: Pick<Env, "TENANT_LEDGER" | "DB" | "EVENTS">, tenantId: string) {
  return afterLease(env, async () => {
    await assertSealable(env, tenantId);
    try {
      return await ledger(env, tenantId).checkpoint(tenantId);
    } catch (e) {
      // Rows appended (and tampered with) between the check and the seal: the object refuses them too, say why.
      await assertSealable(env, tenantId);
      throw e;
    }
  });
}

/**
 * A checkpoint seals D1's rows under the ledger object's head. When the two disagree (rows edited, deleted or planted
 * in D1) nothing is published: 409 ledger_mismatch names what disagrees, and GET /ledger/verify locates it.
 */
async function assertSealable(env: Pick<Env, "TENANT_LEDGER" | "DB">, tenantId: string) {
  const stub = ledger(env, tenantId);
  const head = await stub.head(tenantId);
  const last = (await stub.checkpoints(tenantId)).at(-1);
  const after = last ? { seq: last.seqTo, hash: last.headHash } : { seq: 0, hash: GENESIS_HASH };
  if (head.seq <= after.seq) return;
  const [page, past] = await Promise.all([listEntries(env.DB, tenantId, after.seq, head.seq - after.seq), hashesAfter(env.DB, tenantId, head.seq)]);
  const rows = page.filter((r) => r.seq <= head.seq);
  // Each row re-hashed from its fields too: an edit that left the stored hash (and so every link) as it was is named.
  const edited = (await Promise.all(rows.map(async (r) => ((await entryHash(r)) === r.hash ? null : r.seq)))).filter((s): s is number => s !== null);
  const mismatch = uncheckpointedMismatch(after, head, rows, { count: past.length, maxSeq: past.at(-1)?.seq ?? null }, edited);
  if (mismatch) throw ApiError.conflict("ledger_mismatch", `${mismatch}. No checkpoint was published; GET /ledger/verify (or npm run verify:ledger) locates the rows`);
}

/** Runs fn under the dispatcher's lease; rows other requests recorded meanwhile (and left to the holder) go out after. */
async function afterLease<T>(env: Pick<Env, "TENANT_LEDGER" | "DB" | "EVENTS">, fn: () => Promise<T>): Promise<T> {
  const out = await withDispatchLease(env, fn);
  await dispatchEvents(env).catch(() => undefined);
  return out;
}

/** A brand's published checkpoints, by its slug (public; 404 for an unknown brand). */
export async function publishedCheckpoints(env: Pick<Env, "DB">, slug: string) {
  const tenant = await getTenantBySlug(env.DB, slug);
  if (!tenant) throw ApiError.notFound("Brand");
  return { checkpoints: await listCheckpoints(env.DB, tenant.id) };
}

export async function exportLedger(env: Pick<Env, "TENANT_LEDGER" | "DB" | "EVENTS">, tenantId: string): Promise<LedgerExport> {
  // Facts already committed are in the export, and no append lands between the head and the rows read below.
  return afterLease(env, () => readLedger(env, tenantId));
}

async function readLedger(env: Pick<Env, "TENANT_LEDGER" | "DB">, tenantId: string): Promise<LedgerExport> {
  const stub = ledger(env, tenantId);
  // Head and checkpoints come from the ledger object, rows from D1: the two are held apart on purpose.
  const head = await stub.head(tenantId);
  const checkpoints = await stub.checkpoints(tenantId);
  const entries: LedgerEntry[] = [];
  for (let after = 0; ; ) {
    const page = await listEntries(env.DB, tenantId, after, 5000);
    entries.push(...page);
    if (page.length < 5000) break;
    after = page[page.length - 1]!.seq;
  }
  return {
    format: "kaquan-ledger/1",
    tenantId,
    exportedAt: new Date().toISOString(),
    head: head.seq === 0 ? null : head,
    entries,
    checkpoints,
  };
}

/** Ledger kind → the voucher status it leaves: the inverse of the one mapping (domain/voucher-ledger.ts), plus the steps that are not a status change. */
const STATUS_BY_KIND: Record<string, string> = {
  issuance: "issued",
  delivery: "issued",
  compensation: "replaced",
  redemption_reversal: "issued",
  ...Object.fromEntries(Object.entries(LEDGER_KIND_BY_STATUS).map(([status, kind]) => [kind, status])),
};

const SEGMENT_WIDE = new Set<string>(["checkpoint_mismatch", "head_mismatch", "truncated"]);

/** A voucher's public provenance, from the ledger alone (so it shows what was recorded, not what a row says now). */
export async function voucherProvenance(env: Pick<Env, "DB" | "TENANT_LEDGER">, publicCode: string): Promise<VoucherProvenance | null> {
  const entries = await entriesByPublicCode(env.DB, publicCode);
  // No row under this code in D1: when it is a brand's voucher whose ledger object wrote entries for it, they were
  // deleted from D1, and the proof says so (below) instead of "no record".
  const tenantId = entries[0]?.tenantId ?? (await voucherTenantByCode(env.DB, publicCode));
  if (!tenantId) return null;
  const own = entries.filter((e) => e.tenantId === tenantId);
  const tenant = await getTenant(env.DB, tenantId);
  if (!tenant) return null;

  // The rows come from D1; what they are checked against comes from the ledger object, which D1 edits cannot reach.
  const { segments, recorded } = await ledger(env, tenantId).segments(tenantId, own.map((e) => e.seq), publicCode);
  if (own.length === 0 && recorded.seqs.length === 0) return null; // not in the ledger (yet): nothing was deleted
  const findings: LedgerFinding[] = [];
  // Steps the ledger object wrote for this voucher that D1 no longer lists under its code (deleted, or rewritten to
  // another code): their stretches are checked below too, and the voucher's history is not complete without them.
  const listed = new Set(own.map((e) => e.seq));
  for (const seq of recorded.seqs) {
    if (!listed.has(seq)) findings.push({ seq, problem: "deleted", detail: `entry ${seq} of this voucher, written by the ledger object, is missing from its history` });
  }
  const written = new Set(recorded.seqs);
  const fromIndex = own.filter((e) => e.seq > recorded.fromSeq && !written.has(e.seq));
  for (const e of fromIndex) findings.push({ seq: e.seq, problem: "edited", detail: `entry ${e.seq} was not written for this voucher by the ledger object` });
  const checked = new Map<number, { seg: LedgerSegment; hashes: string[]; bad: Set<number> | null }>();
  let entriesChecked = 0;
  for (const seg of segments) {
    const rows = await listEntries(env.DB, tenantId, seg.seqFrom - 1, seg.seqTo - seg.seqFrom + 1);
    entriesChecked += rows.length;
    const report = await verifySegment(tenantId, rows, seg);
    // A stretch the object has not sealed is checked against D1's published checkpoints too: one there that covers it
    // was never made by this object (whose storage was wiped or rolled back), so the object cannot vouch for it.
    const published = seg.merkleRoot
      ? await checkpointCovering(env.DB, tenantId, seg.seqTo)
      : ((await checkpointCovering(env.DB, tenantId, seg.seqFrom)) ?? (await checkpointCovering(env.DB, tenantId, seg.seqTo)));
    const cpFindings = compareCheckpoints(seg.merkleRoot ? [{ ...seg, merkleRoot: seg.merkleRoot }] : [], published ? [published] : []);
    const all = [...report.findings, ...cpFindings];
    findings.push(...all);
    // A finding about the whole stretch discredits every entry in it; otherwise only the entry it names.
    const whole = all.some((f) => SEGMENT_WIDE.has(f.problem));
    checked.set(seg.seqFrom, { seg, hashes: rows.map((r) => r.hash), bad: whole ? null : new Set(all.map((f) => f.seq)) });
  }

  const history: VoucherProvenance["history"] = [];
  for (const e of own) {
    const c = [...checked.values()].find(({ seg }) => seg.seqFrom <= e.seq && e.seq <= seg.seqTo);
    if (!c) findings.push({ seq: e.seq, problem: "head_mismatch", detail: `entry ${e.seq} is not in the ledger object's chain` });
    let proof: VoucherProvenance["history"][number]["proof"] = null;
    const index = c ? e.seq - c.seg.seqFrom : -1;
    if (c?.seg.merkleRoot && c.hashes[index] === e.hash) {
      proof = {
        checkpoint: { seqFrom: c.seg.seqFrom, seqTo: c.seg.seqTo, merkleRoot: c.seg.merkleRoot, createdAt: c.seg.createdAt! },
        path: await merkleProof(c.hashes, index),
      };
    }
    history.push({ seq: e.seq, kind: e.kind, occurredAt: e.occurredAt, prevHash: e.prevHash, hash: e.hash, proof, verified: !!c?.bad && !c.bad.has(e.seq) });
  }
  findings.sort((a, b) => a.seq - b.seq);

  const issued = own.find((e) => e.kind === "issuance");
  // The redemption that stands: the last one, unless a reversal (撤销核销) came after it.
  const lastUse = own.findLast((e) => e.kind === "redemption" || e.kind === "redemption_reversal");
  const redeemed = lastUse?.kind === "redemption" ? lastUse : undefined;
  const last = own[own.length - 1];
  // A compensation paid in money (a goodwill refund, a ticket's answer) leaves the right as it was; only a replacement
  // ends it.
  const lastChange = own.findLast((e) => e.kind !== "compensation" || !!e.payload.replacementVoucherId) ?? last;
  return {
    publicCode,
    brand: { slug: tenant.slug, name: tenant.name },
    // Every step deleted: nothing left says what became of the voucher.
    status: lastChange ? (STATUS_BY_KIND[lastChange.kind] ?? "issued") : "unknown",
    batch: issued?.batch ?? last?.batch ?? null,
    channel: issued?.channel ?? last?.channel ?? null,
    issuedAt: issued?.occurredAt ?? null,
    redeemedAt: redeemed?.occurredAt ?? null,
    history,
    verification: {
      ok: findings.length === 0,
      entriesChecked,
      checkpointsChecked: segments.filter((s) => s.merkleRoot).length,
      findings,
    },
  };
}

/** GET /ledger/verify: the whole chain against the object's head and checkpoints, and D1's checkpoints against the object's. */
export async function verifyLedger(env: Pick<Env, "TENANT_LEDGER" | "DB" | "EVENTS">, tenantId: string): Promise<ChainReport> {
  const x = await exportLedger(env, tenantId);
  const report = await verifyChain(x.tenantId, x.entries, { checkpoints: x.checkpoints, head: x.head });
  const published = compareCheckpoints(x.checkpoints, await listCheckpoints(env.DB, tenantId, 1_000_000));
  const planted = (await quarantinedEntries(env.DB, tenantId)).map((q): LedgerFinding => ({
    seq: q.seq, problem: "quarantined",
    detail: `a ${q.kind} row for ${q.subject_id} (hash ${q.hash.slice(0, 12)}…) was in D1 past the ledger object's head (seq ${q.object_head_seq}) and was set aside at ${q.quarantined_at}`,
  }));
  const findings = [...report.findings, ...published, ...planted].sort((a, b) => a.seq - b.seq);
  return { ...report, ok: findings.length === 0, findings };
}
