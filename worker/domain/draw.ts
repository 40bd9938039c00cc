import type { DrawExport, DrawLogEntry, DrawReceipt, Prize } from "../../schema/campaigns";
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

/** v1 (draws before draw windows): fixed by the seed alone, so whoever knows the seed knows every id's outcome. */
export function drawProof(seed: string, userId: string, nonce: number): string {
  return createHmac("sha256", seed).update(`${userId}:${nonce}`).digest("hex");
}

/** v2: the draw also depends on its window's beacon, which exists only once the window has closed on its entrants. */
export function windowDrawProof(seed: string, beacon: string, userId: string, nonce: number): string {
  return createHmac("sha256", seed).update(`${beacon}:${userId}:${nonce}`).digest("hex");
}

export type Entrant = [claimId: string, userId: string, nonce: number];

/**
 * A window's beacon: the hash of everything that entered it (claim ids the shard drew at random, users, nonces)
 * chained to the log head at the close, so it is known only after the last entry and changes with any of them.
 */
export function windowBeacon(campaignId: string, shard: number, window: number, head: string, entrants: Entrant[]): string {
  return sha256(JSON.stringify(["kaquan-draw-window", campaignId, shard, window, head, entrants]));
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
  const base = [e.prev, e.seq, e.type, e.at, e.claimId, e.userId, e.nonce, e.proof, e.prizeId, sorted(e.stock), sorted(e.delta)];
  // v2 fields are covered when present; v1 entries hash exactly as they always did.
  const v2 = e.window != null || e.beacon != null || e.entrants != null ? [e.window ?? null, e.beacon ?? null, e.entrants ?? null] : [];
  return sha256(JSON.stringify([...base, ...v2]));
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

/**
 * Recomputes every outcome, the stock replay and the hash chains of a published draw export. Offline. `receipts`:
 * draws (or live log heads) seen before the reveal; each must still be in the chain as it was, so a log cut short or
 * rewritten after the fact is caught by anyone who kept one.
 */
export function verifyDrawExport(x: DrawExport, receipts: DrawReceipt[] = []): VerifyReport {
  const issues: VerifyIssue[] = [];
  for (const r of receipts) {
    const e = x.shards.find((s) => s.shard === r.shard)?.entries[r.seq - 1];
    if (!e || e.seq !== r.seq || e.hash !== r.hash) {
      issues.push({ shard: r.shard, seq: r.seq, index: null, reason: `receipt ${r.shard}:${r.seq}:${r.hash.slice(0, 12)}… is not in the published log (cut short or rewritten)` });
    }
  }
  const wins: Record<string, number> = Object.fromEntries(x.prizes.map((p) => [p.id, 0]));
  let draws = 0;
  if ((sha256(x.seed)) !== x.seedCommitment) {
    issues.push({ shard: -1, seq: null, index: null, reason: "SHA-256(seed) does not match the published commitment" });
  }
  const seenNonce = new Map<string, Set<number>>();
  const v2 = x.algorithm === "hmac-sha256-v2";
  for (const { shard, entries } of x.shards) {
    let prev = genesisHash(x.campaignId, shard);
    let stock: Record<string, number> | null = null;
    let win: { no: number; beacon: string; entrants: Entrant[]; next: number; index: number } | null = null;
    const undrawn = () => {
      if (win && win.next < win.entrants.length) {
        issues.push({ shard, seq: entries[win.index]!.seq, index: win.index, reason: `window ${win.no}: ${win.entrants.length - win.next} entrant(s) never drawn` });
      }
    };
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
      if (e.type === "window") {
        undrawn();
        const no: number = (win?.no ?? 0) + 1;
        if (e.window !== no) bad(`window number ${e.window} out of order: expected ${no}`);
        const entrants = e.entrants ?? [];
        if (!e.beacon || windowBeacon(x.campaignId, shard, e.window ?? no, e.prev, entrants) !== e.beacon) {
          bad("beacon is not the hash of the window's entrants and the log head at its close");
        }
        win = { no: e.window ?? no, beacon: e.beacon ?? "", entrants, next: 0, index: i };
        continue;
      }
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
      let proof: string;
      if (v2) {
        const next = win?.entrants[win.next];
        if (!win || e.window !== win.no) bad("draw outside its window: every draw is decided after its window closed");
        else if (!next || next[0] !== e.claimId || next[1] !== e.userId || next[2] !== e.nonce) bad(`draw is not window ${win.no}'s next entrant`);
        if (win) win.next++;
        proof = windowDrawProof(x.seed, win?.beacon ?? "", e.userId, e.nonce);
        if (proof !== e.proof) bad("proof is not HMAC-SHA256(seed, beacon:userId:nonce) with its window's beacon");
      } else {
        proof = drawProof(x.seed, e.userId, e.nonce);
        if (proof !== e.proof) bad("proof is not HMAC-SHA256(seed, userId:nonce)");
      }
      const expected = pickPrize(proof, x.prizes, x.noPrizeWeight, e.stock);
      if (expected !== e.prizeId) bad(`outcome ${e.prizeId ?? "no prize"} but the seed gives ${expected ?? "no prize"}`);
      if (e.prizeId) {
        stock[e.prizeId] = (stock[e.prizeId] ?? 0) - 1;
        wins[e.prizeId] = (wins[e.prizeId] ?? 0) + 1;
      }
    }
    undrawn();
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
