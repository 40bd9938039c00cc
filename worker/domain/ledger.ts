// Hash chain and Merkle tree of the provenance ledger. Pure: shared by the worker, the DO and scripts/verify-ledger.ts.
import type { LedgerCheckpoint, LedgerEntry, LedgerEntryDraft, LedgerFinding } from "../../schema/ledger";
import { fromHex, sha256Hex } from "./crypto";

export const GENESIS_HASH = "0".repeat(64);
export const LEDGER_HASH_VERSION = 1;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON with object keys sorted at every level, so equal values always encode to equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value as Json));
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = sortKeys(v[k]!);
    return out;
  }
  return v;
}

/** The exact bytes hashed for an entry: a fixed-order array, so no field can be moved or dropped unnoticed. */
export function entryPreimage(e: Omit<LedgerEntry, "hash">): string {
  return canonicalJson([
    LEDGER_HASH_VERSION,
    e.tenantId,
    e.seq,
    e.kind,
    e.subjectId,
    e.publicCode,
    e.batch,
    e.channel,
    e.occurredAt,
    e.payload,
    e.prevHash,
  ]);
}

export function entryHash(e: Omit<LedgerEntry, "hash">): Promise<string> {
  return sha256Hex(entryPreimage(e));
}

/** Links a draft after the given head; the caller serialises calls per tenant. */
export async function sealEntry(
  tenantId: string,
  head: { seq: number; hash: string },
  draft: LedgerEntryDraft,
): Promise<LedgerEntry> {
  const body = {
    tenantId,
    seq: head.seq + 1,
    kind: draft.kind,
    subjectId: draft.subjectId,
    publicCode: draft.publicCode ?? null,
    batch: draft.batch ?? null,
    channel: draft.channel ?? null,
    occurredAt: draft.occurredAt,
    payload: draft.payload ?? {},
    prevHash: head.hash,
  };
  return { ...body, hash: await entryHash(body) };
}

// RFC 6962-style domain separation: a leaf can never be passed off as an inner node.
async function leafHash(entryHashHex: string): Promise<string> {
  return sha256Hex(concat(new Uint8Array([0]), fromHex(entryHashHex)));
}
async function nodeHash(left: string, right: string): Promise<string> {
  return sha256Hex(concat(new Uint8Array([1]), fromHex(left), fromHex(right)));
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Merkle root over entry hashes in order; an odd node is promoted unchanged to the next level. */
export async function merkleRoot(hashes: string[]): Promise<string> {
  if (hashes.length === 0) return GENESIS_HASH;
  let level = await Promise.all(hashes.map(leafHash));
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? await nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    }
    level = next;
  }
  return level[0]!;
}

export interface MerkleStep {
  side: "left" | "right";
  hash: string;
}

/** Inclusion proof for hashes[index]: the sibling at each level (none when the node was promoted). */
export async function merkleProof(hashes: string[], index: number): Promise<MerkleStep[]> {
  if (index < 0 || index >= hashes.length) throw new Error("index out of range");
  let level = await Promise.all(hashes.map(leafHash));
  const proof: MerkleStep[] = [];
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < level.length) proof.push({ side: i % 2 === 0 ? "right" : "left", hash: level[sibling]! });
    const next: string[] = [];
    for (let j = 0; j < level.length; j += 2) {
      next.push(j + 1 < level.length ? await nodeHash(level[j]!, level[j + 1]!) : level[j]!);
    }
    level = next;
    i = Math.floor(i / 2);
  }
  return proof;
}

export async function verifyMerkleProof(entryHashHex: string, proof: MerkleStep[], root: string): Promise<boolean> {
  let h = await leafHash(entryHashHex);
  for (const step of proof) h = step.side === "left" ? await nodeHash(step.hash, h) : await nodeHash(h, step.hash);
  return h === root;
}

/** For a row whose hash fails: the seq under which its content does hash correctly (it was moved), if any nearby. */
async function originalSeq(e: LedgerEntry, window = 1000): Promise<number | null> {
  for (let d = 1; d <= window; d++) {
    for (const s of [e.seq - d, e.seq + d]) {
      if (s > 0 && (await entryHash({ ...e, seq: s })) === e.hash) return s;
    }
  }
  return null;
}

export interface ChainReport {
  ok: boolean;
  entries: number;
  headSeq: number;
  headHash: string;
  findings: LedgerFinding[];
}

/**
 * Checks a tenant's whole chain in the given row order (as exported, ordered by seq) and says where it breaks:
 * an entry whose stored hash does not match its content was edited; a broken link whose prev_hash names another
 * row's hash means rows were reordered; a gap in seq means rows were deleted. Checkpoints and an independently
 * held head (the DO's) also catch a chain that was rewritten consistently from some point on.
 */
export async function verifyChain(
  tenantId: string,
  entries: LedgerEntry[],
  opts: {
    checkpoints?: { seqFrom: number; seqTo: number; headHash: string; merkleRoot: string }[];
    head?: { seq: number; hash: string } | null;
    /** Where the given rows continue from, when they are a segment and not the whole chain (default: genesis). */
    after?: { seq: number; hash: string };
  } = {},
): Promise<ChainReport> {
  const findings: LedgerFinding[] = [];
  const byHash = new Map<string, number>();
  for (const e of entries) byHash.set(e.hash, e.seq);
  let prev = opts.after ?? { seq: 0, hash: GENESIS_HASH };
  let searched = 0;
  let prevFlagged = false;
  for (const e of entries) {
    if (e.tenantId !== tenantId) findings.push({ seq: e.seq, problem: "foreign_tenant", detail: `entry belongs to ${e.tenantId}` });
    const recomputed = await entryHash(e);
    if (recomputed !== e.hash) {
      // A row whose content is intact but whose seq was changed is a moved row, not an edited one.
      const original = searched++ < 20 ? await originalSeq(e) : null;
      findings.push(
        original !== null && original !== e.seq
          ? { seq: e.seq, problem: "reordered", detail: `this is entry ${original}, moved to seq ${e.seq}` }
          : { seq: e.seq, problem: "edited", detail: "content does not match the entry's hash" },
      );
      prev = { seq: Math.max(prev.seq, e.seq), hash: e.hash };
      prevFlagged = true;
      continue;
    }
    // After a flagged row the link is already accounted for; only a gap would be news.
    if (prevFlagged) {
      prevFlagged = false;
      if (e.seq > prev.seq + 1) findings.push({ seq: e.seq, problem: "deleted", detail: `entries ${prev.seq + 1}..${e.seq - 1} are missing` });
      prev = { seq: Math.max(prev.seq, e.seq), hash: e.hash };
      continue;
    }
    if (e.seq <= prev.seq) {
      findings.push({ seq: e.seq, problem: "reordered", detail: `seq ${e.seq} appears after seq ${prev.seq}` });
    } else if (e.prevHash !== prev.hash) {
      const linked = byHash.get(e.prevHash);
      if (linked !== undefined && linked !== prev.seq) {
        findings.push({ seq: e.seq, problem: "reordered", detail: `entry links to seq ${linked}, but follows seq ${prev.seq}` });
      } else if (e.seq > prev.seq + 1) {
        findings.push({ seq: e.seq, problem: "deleted", detail: `entries ${prev.seq + 1}..${e.seq - 1} are missing` });
      } else {
        // The previous row matches its own (recomputed) hash but not the link to it: it was rewritten wholesale.
        findings.push({ seq: prev.seq, problem: "edited", detail: `entry ${prev.seq} was rewritten; entry ${e.seq} still links to the original` });
      }
    } else if (e.seq > prev.seq + 1) {
      findings.push({ seq: e.seq, problem: "deleted", detail: `entries ${prev.seq + 1}..${e.seq - 1} are missing` });
    }
    prev = { seq: Math.max(prev.seq, e.seq), hash: e.hash };
  }
  const bySeq = new Map(entries.map((e) => [e.seq, e] as const));
  for (const cp of opts.checkpoints ?? []) {
    const slice: string[] = [];
    let complete = true;
    for (let s = cp.seqFrom; s <= cp.seqTo; s++) {
      const e = bySeq.get(s);
      if (!e) complete = false;
      else slice.push(e.hash);
    }
    const root = complete ? await merkleRoot(slice) : null;
    const headHash = bySeq.get(cp.seqTo)?.hash;
    if (root !== cp.merkleRoot || headHash !== cp.headHash) {
      findings.push({
        seq: cp.seqTo,
        problem: "checkpoint_mismatch",
        detail: `entries ${cp.seqFrom}..${cp.seqTo} no longer match the checkpoint published for them`,
      });
    }
  }
  if (opts.head) {
    const last = entries[entries.length - 1];
    if (!last || last.seq !== opts.head.seq || last.hash !== opts.head.hash) {
      findings.push({
        seq: opts.head.seq,
        problem: last && last.seq > opts.head.seq ? "head_mismatch" : opts.head.seq > (last?.seq ?? 0) ? "truncated" : "head_mismatch",
        detail: `the ledger's own head is seq ${opts.head.seq} ${opts.head.hash.slice(0, 12)}…, the rows end at seq ${last?.seq ?? 0}`,
      });
    }
  }
  findings.sort((a, b) => a.seq - b.seq);
  return { ok: findings.length === 0, entries: entries.length, headSeq: prev.seq, headHash: prev.hash, findings };
}

/**
 * A stretch of the chain as the ledger object holds it, apart from the D1 rows: a checkpoint (with the head hash it
 * continues from), or the entries since the last checkpoint up to the object's head (merkleRoot null).
 */
export interface LedgerSegment {
  seqFrom: number;
  seqTo: number;
  prevHash: string;
  headHash: string;
  merkleRoot: string | null;
  createdAt: string | null;
}

/** Checks D1 rows for one segment: each hash recomputed from its fields, each link, and the object's root and head. */
export function verifySegment(tenantId: string, rows: LedgerEntry[], seg: LedgerSegment): Promise<ChainReport> {
  const after = { seq: seg.seqFrom - 1, hash: seg.prevHash };
  return seg.merkleRoot
    ? verifyChain(tenantId, rows, { after, checkpoints: [{ seqFrom: seg.seqFrom, seqTo: seg.seqTo, headHash: seg.headHash, merkleRoot: seg.merkleRoot }] })
    : verifyChain(tenantId, rows, { after, head: { seq: seg.seqTo, hash: seg.headHash } });
}

/** Checkpoints as published in D1 against the ledger object's own copy: each replaced, missing or invented one. */
export function compareCheckpoints(
  own: Pick<LedgerCheckpoint, "seqFrom" | "seqTo" | "headHash" | "merkleRoot">[],
  published: Pick<LedgerCheckpoint, "seqFrom" | "seqTo" | "headHash" | "merkleRoot">[],
): LedgerFinding[] {
  const findings: LedgerFinding[] = [];
  const pub = new Map(published.map((c) => [c.seqTo, c] as const));
  const mine = new Set(own.map((c) => c.seqTo));
  for (const c of own) {
    const p = pub.get(c.seqTo);
    const name = `checkpoint ${c.seqFrom}..${c.seqTo}`;
    if (!p) findings.push({ seq: c.seqTo, problem: "checkpoint_mismatch", detail: `${name} is missing from the published checkpoints` });
    else if (p.seqFrom !== c.seqFrom || p.merkleRoot !== c.merkleRoot || p.headHash !== c.headHash) {
      const what = p.merkleRoot !== c.merkleRoot ? `Merkle root ${p.merkleRoot.slice(0, 12)}… where the ledger object holds ${c.merkleRoot.slice(0, 12)}…` : p.headHash !== c.headHash ? `head hash ${p.headHash.slice(0, 12)}… where the ledger object holds ${c.headHash.slice(0, 12)}…` : `range ${p.seqFrom}..${p.seqTo}`;
      findings.push({ seq: c.seqTo, problem: "checkpoint_mismatch", detail: `published ${name} has ${what}` });
    }
  }
  for (const p of published) {
    if (!mine.has(p.seqTo)) findings.push({ seq: p.seqTo, problem: "checkpoint_mismatch", detail: `published checkpoint ${p.seqFrom}..${p.seqTo} was never made by the ledger object` });
  }
  return findings.sort((a, b) => a.seq - b.seq);
}

/**
 * Why the D1 rows after the object's last checkpoint cannot be sealed, or null when they can: every seq up to the
 * object's head present, each row's fields hashing to its stored hash, each row continuing the one before (from the
 * checkpoint's head hash), and the last one being the object's head. `past` counts D1 rows beyond the head, named so the brand knows where to look.
 */
export function uncheckpointedMismatch(
  after: { seq: number; hash: string },
  head: { seq: number; hash: string },
  rows: { seq: number; prevHash: string; hash: string }[],
  past: { count: number; maxSeq: number | null },
  /** Seqs whose fields no longer hash to the row's stored hash (edited in place, hash left as it was). */
  edited: number[] = [],
): string | null {
  if (head.seq <= after.seq) return null;
  const short = (h: string) => `${h.slice(0, 12)}…`;
  const bySeq = new Map(rows.map((r) => [r.seq, r] as const));
  const problems: string[] = [];
  const missing: number[] = [];
  let prev = after.hash;
  for (let seq = after.seq + 1; seq <= head.seq; seq++) {
    const row = bySeq.get(seq);
    if (!row) {
      missing.push(seq);
      prev = "";
      continue;
    }
    if (prev && row.prevHash !== prev && problems.length < 3) problems.push(`seq ${seq} does not continue from seq ${seq - 1}`);
    prev = row.hash;
  }
  if (edited.length) problems.unshift(`seq ${edited.slice(0, 5).join(", ")}${edited.length > 5 ? ` and ${edited.length - 5} more` : ""} no longer match${edited.length === 1 ? "es" : ""} ${edited.length === 1 ? "its" : "their"} hash (edited)`);
  if (missing.length) problems.unshift(`D1 is missing seq ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`);
  const last = bySeq.get(head.seq);
  if (last && last.hash !== head.hash) problems.push(`D1's seq ${head.seq} has hash ${short(last.hash)} where the ledger object's head is ${short(head.hash)}`);
  if (!problems.length) return null;
  if (past.count) problems.push(`D1 also holds ${past.count} row${past.count === 1 ? "" : "s"} past the object's head (up to seq ${past.maxSeq})`);
  return `ledger rows ${after.seq + 1}..${head.seq} in D1 do not match the ledger object (head seq ${head.seq}, ${short(head.hash)}): ${problems.join("; ")}`;
}
