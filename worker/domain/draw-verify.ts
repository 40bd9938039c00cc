import type { DrawExport, DrawLogEntry, DrawReceipt, Prize } from "../../schema/campaigns";

/**
 * The pure part of provably fair draws, shared by the shard that records them (worker/domain/draw.ts, node:crypto),
 * the offline verifier (npm run verify:draws) and the public page /verify/?draw=… (WebCrypto in the browser).
 * No worker-only imports: the hashing is passed in, so there is one implementation of what gets hashed, where a
 * proof lands on the weights, and how a published log is checked.
 */
export type Weighted = Pick<Prize, "id" | "weight">;
export type Entrant = [claimId: string, userId: string, nonce: number];

/** Synchronous SHA-256 / HMAC-SHA256, both hex: node:crypto on the server, a precomputed table in the browser. */
export interface DrawCrypto {
  sha256(data: string): string;
  hmacSha256(key: string, data: string): string;
}
export interface AsyncDrawCrypto {
  sha256(data: string): Promise<string>;
  hmacSha256(key: string, data: string): Promise<string>;
}

/** What each hash covers. */
export const genesisPreimage = (campaignId: string, shard: number) => `kaquan-draw-log:${campaignId}:${shard}`;
export const drawProofMessage = (userId: string, nonce: number) => `${userId}:${nonce}`;
export const windowDrawProofMessage = (beacon: string, userId: string, nonce: number) => `${beacon}:${userId}:${nonce}`;
export const windowBeaconPreimage = (campaignId: string, shard: number, window: number, head: string, entrants: Entrant[]) =>
  JSON.stringify(["kaquan-draw-window", campaignId, shard, window, head, entrants]);

const sorted = (r: Record<string, number> | null) => (r ? Object.keys(r).sort().map((k) => [k, r[k]]) : null);

/** An entry chained to the previous one; every field but `hash` is covered. */
export function entryPreimage(e: Omit<DrawLogEntry, "hash">): string {
  const base = [e.prev, e.seq, e.type, e.at, e.claimId, e.userId, e.nonce, e.proof, e.prizeId, sorted(e.stock), sorted(e.delta)];
  // v2 fields are covered when present; v1 entries hash exactly as they always did.
  const v2 = e.window != null || e.beacon != null || e.entrants != null ? [e.window ?? null, e.beacon ?? null, e.entrants ?? null] : [];
  return JSON.stringify([...base, ...v2]);
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

/** What went wrong, for a page to word in its own language; `reason` is the English sentence. */
export type VerifyIssueCode =
  | "receipt" | "commitment" | "seq" | "prev" | "hash" | "stock" | "window_order" | "beacon" | "undrawn"
  | "draw_fields" | "nonce" | "outside_window" | "not_next" | "proof" | "outcome" | "overawarded" | "published";
export interface VerifyIssue {
  shard: number;
  seq: number | null;
  index: number | null;
  code: VerifyIssueCode;
  reason: string;
}
export interface VerifyReport {
  ok: boolean;
  draws: number;
  wins: Record<string, number>;
  issues: VerifyIssue[];
}

/**
 * Recomputes every outcome, the stock replay and the hash chains of a published draw export. `receipts`: draws (or
 * live log heads) seen before the reveal; each must still be in the chain as it was, so a log cut short or rewritten
 * after the fact is caught by anyone who kept one. What is hashed depends only on the export, never on a hash this
 * computes, which is what lets verifyDrawExportAsync hash everything up front.
 */
export function verifyDrawExportWith(x: DrawExport, receipts: DrawReceipt[], c: DrawCrypto): VerifyReport {
  const issues: VerifyIssue[] = [];
  for (const r of receipts) {
    const e = x.shards.find((s) => s.shard === r.shard)?.entries[r.seq - 1];
    if (!e || e.seq !== r.seq || e.hash !== r.hash) {
      issues.push({ shard: r.shard, seq: r.seq, index: null, code: "receipt", reason: `receipt ${r.shard}:${r.seq}:${r.hash.slice(0, 12)}… is not in the published log (cut short or rewritten)` });
    }
  }
  const wins: Record<string, number> = Object.fromEntries(x.prizes.map((p) => [p.id, 0]));
  let draws = 0;
  if (c.sha256(x.seed) !== x.seedCommitment) {
    issues.push({ shard: -1, seq: null, index: null, code: "commitment", reason: "SHA-256(seed) does not match the published commitment" });
  }
  if (x.published && !samePublished(x, x.published)) {
    issues.push({ shard: -1, seq: null, index: null, code: "published", reason: "the odds, prize stock or seed commitment the campaign published differ from those the draws were made with" });
  }
  const seenNonce = new Map<string, Set<number>>();
  const v2 = x.algorithm === "hmac-sha256-v2";
  for (const { shard, entries } of x.shards) {
    let prev = c.sha256(genesisPreimage(x.campaignId, shard));
    let stock: Record<string, number> | null = null;
    let win: { no: number; beacon: string; entrants: Entrant[]; next: number; index: number } | null = null;
    const undrawn = () => {
      if (win && win.next < win.entrants.length) {
        issues.push({ shard, seq: entries[win.index]!.seq, index: win.index, code: "undrawn", reason: `window ${win.no}: ${win.entrants.length - win.next} entrant(s) never drawn` });
      }
    };
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const bad = (code: VerifyIssueCode, reason: string) => issues.push({ shard, seq: e.seq, index: i, code, reason });
      if (e.seq !== i + 1) bad("seq", `sequence gap: expected seq ${i + 1}`);
      if (e.prev !== prev) bad("prev", "prev does not match the hash of the previous entry");
      const { hash, ...rest } = e;
      if (c.sha256(entryPreimage(rest)) !== hash) bad("hash", "entry hash does not match its contents");
      prev = hash;
      if (stock && !sameStock(stock, e.stock)) bad("stock", "stock before this entry does not follow from the previous entries");
      stock = { ...e.stock };
      if (e.type === "window") {
        undrawn();
        const no: number = (win?.no ?? 0) + 1;
        if (e.window !== no) bad("window_order", `window number ${e.window} out of order: expected ${no}`);
        const entrants = e.entrants ?? [];
        if (!e.beacon || c.sha256(windowBeaconPreimage(x.campaignId, shard, e.window ?? no, e.prev, entrants)) !== e.beacon) {
          bad("beacon", "beacon is not the hash of the window's entrants and the log head at its close");
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
        bad("draw_fields", "draw without user, nonce or proof");
        continue;
      }
      const nonces = seenNonce.get(e.userId) ?? new Set<number>();
      if (nonces.has(e.nonce)) bad("nonce", `nonce ${e.nonce} reused for this user`);
      nonces.add(e.nonce);
      seenNonce.set(e.userId, nonces);
      let proof: string;
      if (v2) {
        const next = win?.entrants[win.next];
        if (!win || e.window !== win.no) bad("outside_window", "draw outside its window: every draw is decided after its window closed");
        else if (!next || next[0] !== e.claimId || next[1] !== e.userId || next[2] !== e.nonce) bad("not_next", `draw is not window ${win.no}'s next entrant`);
        if (win) win.next++;
        proof = c.hmacSha256(x.seed, windowDrawProofMessage(win?.beacon ?? "", e.userId, e.nonce));
        if (proof !== e.proof) bad("proof", "proof is not HMAC-SHA256(seed, beacon:userId:nonce) with its window's beacon");
      } else {
        proof = c.hmacSha256(x.seed, drawProofMessage(e.userId, e.nonce));
        if (proof !== e.proof) bad("proof", "proof is not HMAC-SHA256(seed, userId:nonce)");
      }
      const expected = pickPrize(proof, x.prizes, x.noPrizeWeight, e.stock);
      if (expected !== e.prizeId) bad("outcome", `outcome ${e.prizeId ?? "no prize"} but the seed gives ${expected ?? "no prize"}`);
      if (e.prizeId) {
        stock[e.prizeId] = (stock[e.prizeId] ?? 0) - 1;
        wins[e.prizeId] = (wins[e.prizeId] ?? 0) + 1;
      }
    }
    undrawn();
  }
  for (const p of x.prizes) {
    if ((wins[p.id] ?? 0) > p.stock) issues.push({ shard: -1, seq: null, index: null, code: "overawarded", reason: `prize ${p.id} awarded ${wins[p.id]} times, stock ${p.stock}` });
  }
  return { ok: issues.length === 0, draws, wins, issues };
}

function samePublished(x: DrawExport, p: NonNullable<DrawExport["published"]>): boolean {
  const terms = (c: string | null, prizes: Pick<Prize, "id" | "stock" | "weight">[], none: number) =>
    JSON.stringify([c, prizes.map((q) => [q.id, q.stock, q.weight]), none]);
  return terms(p.seedCommitment, p.prizes, p.noPrizeWeight) === terms(x.seedCommitment, x.prizes, x.noPrizeWeight);
}

function sameStock(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/**
 * The same check with asynchronous hashing (WebCrypto): a first pass lists every input to hash, they are hashed
 * together (in parallel, so a few thousand entries take well under a second), and the check runs on the results.
 */
export async function verifyDrawExportAsync(x: DrawExport, receipts: DrawReceipt[], c: AsyncDrawCrypto): Promise<VerifyReport> {
  const done = new Map<string, string>();
  const PLACEHOLDER = "0".repeat(64);
  // The inputs depend only on the export, so one listing pass suffices; the loop is only a guard.
  for (let pass = 0; pass < 4; pass++) {
    const missing = new Map<string, () => Promise<string>>();
    const lookup = (k: string, compute: () => Promise<string>) => {
      const v = done.get(k);
      if (v !== undefined) return v;
      missing.set(k, compute);
      return PLACEHOLDER;
    };
    const report = verifyDrawExportWith(x, receipts, {
      sha256: (d) => lookup(`s\u0000${d}`, () => c.sha256(d)),
      hmacSha256: (key, d) => lookup(`h\u0000${key}\u0000${d}`, () => c.hmacSha256(key, d)),
    });
    if (missing.size === 0) return report;
    await Promise.all([...missing].map(async ([k, compute]) => done.set(k, await compute())));
  }
  throw new Error("draw check: hash inputs did not settle");
}

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

/** SHA-256 / HMAC-SHA256 with WebCrypto (browsers, Workers, Node ≥ 20); an HMAC key is imported once per seed. */
export function webDrawCrypto(subtle: SubtleCrypto = crypto.subtle): AsyncDrawCrypto {
  const enc = new TextEncoder();
  const keys = new Map<string, Promise<CryptoKey>>();
  return {
    sha256: async (d) => hex(await subtle.digest("SHA-256", enc.encode(d))),
    hmacSha256: async (key, d) => {
      let k = keys.get(key);
      if (!k) keys.set(key, (k = subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])));
      return hex(await subtle.sign("HMAC", await k, enc.encode(d)));
    },
  };
}
