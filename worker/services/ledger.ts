import type { LedgerEntry, LedgerEntryDraft, LedgerExport, VoucherProvenance } from "../../schema/ledger";
import { checkpointCovering, entriesByPublicCode, entryHashesInRange, listEntries } from "../db/ledger";
import { getTenant } from "../db/tenants";
import { merkleProof } from "../domain/ledger";

function ledger(env: Pick<Env, "TENANT_LEDGER">, tenantId: string) {
  return env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(tenantId));
}

/** Appends to the tenant's provenance ledger through its single writer; idempotent per draft.dedupeKey. */
export async function appendLedger(env: Pick<Env, "TENANT_LEDGER">, tenantId: string, drafts: LedgerEntryDraft[]): Promise<LedgerEntry[]> {
  if (drafts.length === 0) return [];
  return (await ledger(env, tenantId).append(tenantId, drafts)) as LedgerEntry[];
}

export async function checkpointLedger(env: Pick<Env, "TENANT_LEDGER">, tenantId: string) {
  return ledger(env, tenantId).sweepAndCheckpoint(tenantId);
}

export async function exportLedger(env: Pick<Env, "TENANT_LEDGER" | "DB">, tenantId: string): Promise<LedgerExport> {
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

const STATUS_BY_KIND: Record<string, string> = {
  issuance: "issued",
  delivery: "issued",
  redemption: "redeemed",
  void: "voided",
  refund: "refunded",
  expiry: "expired",
  compensation: "replaced",
};

/** A voucher's public provenance, from the ledger alone (so it shows what was recorded, not what a row says now). */
export async function voucherProvenance(env: Pick<Env, "DB">, publicCode: string): Promise<VoucherProvenance | null> {
  const entries = await entriesByPublicCode(env.DB, publicCode);
  if (entries.length === 0) return null;
  const tenantId = entries[0]!.tenantId;
  const own = entries.filter((e) => e.tenantId === tenantId);
  const tenant = await getTenant(env.DB, tenantId);
  if (!tenant) return null;
  const issued = own.find((e) => e.kind === "issuance");
  const redeemed = own.find((e) => e.kind === "redemption");
  const last = own[own.length - 1]!;
  const history = [];
  // Entries of one voucher usually share a checkpoint: load each checkpoint's hashes once.
  const ranges = new Map<number, Promise<string[]>>();
  for (const e of own) {
    const cp = await checkpointCovering(env.DB, tenantId, e.seq);
    let proof: VoucherProvenance["history"][number]["proof"] = null;
    if (cp) {
      if (!ranges.has(cp.seqTo)) ranges.set(cp.seqTo, entryHashesInRange(env.DB, tenantId, cp.seqFrom, cp.seqTo));
      const hashes = await ranges.get(cp.seqTo)!;
      const index = e.seq - cp.seqFrom;
      if (hashes[index] === e.hash) {
        proof = {
          checkpoint: { seqFrom: cp.seqFrom, seqTo: cp.seqTo, merkleRoot: cp.merkleRoot, createdAt: cp.createdAt },
          path: await merkleProof(hashes, index),
        };
      }
    }
    history.push({ seq: e.seq, kind: e.kind, occurredAt: e.occurredAt, prevHash: e.prevHash, hash: e.hash, proof });
  }
  return {
    publicCode,
    brand: { slug: tenant.slug, name: tenant.name },
    status: STATUS_BY_KIND[last.kind] ?? "issued",
    batch: issued?.batch ?? last.batch,
    channel: issued?.channel ?? last.channel,
    issuedAt: issued?.occurredAt ?? null,
    redeemedAt: redeemed?.occurredAt ?? null,
    history,
  };
}
