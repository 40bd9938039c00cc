import type { DrawExport, DrawLogEntry, Prize } from "../../schema/campaigns";
import { createHash, createHmac } from "node:crypto";

/**
 * Provably fair draws. proof = HMAC-SHA256(seed, `${userId}:${nonce}`); its first 52 bits pick a point on the
 * published weights (prizes in published order, then "no prize"). A prize whose stock is gone turns into
 * "no prize": odds of winning can only fall as stock runs out, never rise.
 * Synchronous (node:crypto) on purpose: a Durable Object decides and records a draw without an in between.
 */
export type Weighted = Pick<Prize, "id" | "weight">;

export function sha256(data: string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function drawProof(seed: string, userId: string, nonce: number): string {
  return createHmac("sha256", seed).update(`${userId}:${nonce}`).digest("hex");
}

/** Where the proof lands on the published weights, ignoring stock: a prize id, or null for "no prize". */
export function landingPrize(proof: string, prizes: Weighted[], noPrizeWeight: number): string | null {
  const total = prizes.reduce((s, p) => s + p.weight, noPrizeWeight);
  if (total <= 0) return null;
  const x = Number((BigInt(`0x${proof.slice(0, 13)}`) * BigInt(total)) >> 52n);
  let cum = 0;
  for (const p of prizes) {
    cum += p.weight;
    if (x < cum) return p.id;
  }
  return null;
}

/** The outcome: the landing prize if any of it is left in the stock the draw saw, else "no prize". */
export function pickPrize(proof: string, prizes: Weighted[], noPrizeWeight: number, stock: Record<string, number>): string | null {
  const landed = landingPrize(proof, prizes, noPrizeWeight);
  return landed && (stock[landed] ?? 0) > 0 ? landed : null;
}

export function genesisHash(campaignId: string, shard: number): string {
  return sha256(`kaquan-draw-log:${campaignId}:${shard}`);
}

const sorted = (r: Record<string, number> | null) => (r ? Object.keys(r).sort().map((k) => [k, r[k]]) : null);

/** Hash of an entry chained to the previous one; every field but `hash` is covered. */
export function entryHash(e: Omit<DrawLogEntry, "hash">): string {
  return sha256(
    JSON.stringify([e.prev, e.seq, e.type, e.at, e.claimId, e.userId, e.nonce, e.proof, e.prizeId, sorted(e.stock), sorted(e.delta)]),
  );
}

export interface VerifyIssue {
  shard: number;
  seq: number | null;
  index: number | null;
  reason: string;
}
export interface VerifyReport {
  ok: boolean;
  draws: number;
  wins: Record<string, number>;
  issues: VerifyIssue[];
}

/** Recomputes every outcome, the stock replay and the hash chains of a published draw export. Offline. */
export function verifyDrawExport(x: DrawExport): VerifyReport {
  const issues: VerifyIssue[] = [];
  const wins: Record<string, number> = Object.fromEntries(x.prizes.map((p) => [p.id, 0]));
  let draws = 0;
  if ((sha256(x.seed)) !== x.seedCommitment) {
    issues.push({ shard: -1, seq: null, index: null, reason: "SHA-256(seed) does not match the published commitment" });
  }
  const seenNonce = new Map<string, Set<number>>();
  for (const { shard, entries } of x.shards) {
    let prev = genesisHash(x.campaignId, shard);
    let stock: Record<string, number> | null = null;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const bad = (reason: string) => issues.push({ shard, seq: e.seq, index: i, reason });
      if (e.seq !== i + 1) bad(`sequence gap: expected seq ${i + 1}`);
      if (e.prev !== prev) bad("prev does not match the hash of the previous entry");
      const { hash, ...rest } = e;
      if ((entryHash(rest)) !== hash) bad("entry hash does not match its contents");
      prev = hash;
      if (stock && !sameStock(stock, e.stock)) bad("stock before this entry does not follow from the previous entries");
      stock = { ...e.stock };
      if (e.type === "transfer") {
        for (const [k, d] of Object.entries(e.delta ?? {})) stock[k] = (stock[k] ?? 0) + d;
        continue;
      }
      draws++;
      if (!e.userId || e.nonce === null || !e.proof) {
        bad("draw without user, nonce or proof");
        continue;
      }
      const nonces = seenNonce.get(e.userId) ?? new Set<number>();
      if (nonces.has(e.nonce)) bad(`nonce ${e.nonce} reused for this user`);
      nonces.add(e.nonce);
      seenNonce.set(e.userId, nonces);
      const proof = drawProof(x.seed, e.userId, e.nonce);
      if (proof !== e.proof) bad("proof is not HMAC-SHA256(seed, userId:nonce)");
      const expected = pickPrize(proof, x.prizes, x.noPrizeWeight, e.stock);
      if (expected !== e.prizeId) bad(`outcome ${e.prizeId ?? "no prize"} but the seed gives ${expected ?? "no prize"}`);
      if (e.prizeId) {
        stock[e.prizeId] = (stock[e.prizeId] ?? 0) - 1;
        wins[e.prizeId] = (wins[e.prizeId] ?? 0) + 1;
      }
    }
  }
  for (const p of x.prizes) {
    if ((wins[p.id] ?? 0) > p.stock) issues.push({ shard: -1, seq: null, index: null, reason: `prize ${p.id} awarded ${wins[p.id]} times, stock ${p.stock}` });
  }
  return { ok: issues.length === 0, draws, wins, issues };
}

function sameStock(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}
