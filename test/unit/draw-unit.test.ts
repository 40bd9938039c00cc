import { describe, expect, it } from "vitest";
import type { DrawExport, DrawLogEntry } from "../../schema/campaigns";
import { drawProof, entryHash, genesisHash, landingPrize, pickPrize, sha256, verifyDrawExport, windowBeacon, windowDrawProof, type Entrant } from "../../worker/domain/draw";
import { homeShard } from "../../worker/domain/campaign-rules";

const prizes = [
  { id: "a", name: "A", stock: 2, weight: 30 },
  { id: "b", name: "B", stock: 5, weight: 20 },
];

/** Builds a log the way a shard does: a transfer bringing stock in, then draws. */
function simulate(seed: string, users: number): DrawExport {
  const stock: Record<string, number> = { a: 0, b: 0 };
  const entries: DrawLogEntry[] = [];
  let prev = genesisHash("cmp_t", 0);
  const push = (e: Omit<DrawLogEntry, "seq" | "prev" | "hash" | "stock">) => {
    const body = { ...e, seq: entries.length + 1, prev, stock: { ...stock } };
    const full = { ...body, hash: entryHash(body) };
    entries.push(full);
    prev = full.hash;
  };
  push({ type: "transfer", at: "2026-01-01T00:00:00.000Z", claimId: null, userId: null, nonce: null, proof: null, prizeId: null, delta: { a: 2, b: 5 } });
  stock.a = 2;
  stock.b = 5;
  for (let i = 0; i < users; i++) {
    const userId = `u${i}`;
    const proof = drawProof(seed, userId, 1);
    const prizeId = pickPrize(proof, prizes, 50, stock);
    push({ type: "draw", at: "2026-01-01T00:00:01.000Z", claimId: `c${i}`, userId, nonce: 1, proof, prizeId, delta: null });
    if (prizeId) stock[prizeId]!--;
  }
  return { campaignId: "cmp_t", algorithm: "hmac-sha256-v1", seedCommitment: sha256(seed), seed, prizes, noPrizeWeight: 50, shards: [{ shard: 0, entries }] };
}

describe("provably fair draws", () => {
  const x = simulate("s3cr3t-seed", 40);

  it("accepts an honest log and never awards beyond stock", () => {
    const r = verifyDrawExport(x);
    expect(r.issues).toEqual([]);
    expect(r.draws).toBe(40);
    expect(r.wins.a).toBeLessThanOrEqual(2);
    expect(r.wins.b).toBeLessThanOrEqual(5);
  });

  it("detects and locates a changed outcome, user, nonce, deleted entry or wrong seed", () => {
    const at = x.shards[0]!.entries.findIndex((e, i) => i > 5 && e.type === "draw" && e.prizeId === null);
    const outcome = structuredClone(x);
    outcome.shards[0]!.entries[at]!.prizeId = "a";
    expect(verifyDrawExport(outcome).issues[0]).toMatchObject({ shard: 0, index: at });

    const user = structuredClone(x);
    user.shards[0]!.entries[at]!.userId = "someone-else";
    expect(verifyDrawExport(user).issues.some((i) => i.index === at)).toBe(true);

    const removed = structuredClone(x);
    removed.shards[0]!.entries.splice(at, 1);
    expect(verifyDrawExport(removed).issues[0]).toMatchObject({ index: at });

    const seed = structuredClone(x);
    seed.seed = "another-seed";
    expect(verifyDrawExport(seed).issues[0]!.reason).toMatch(/commitment/);
  });

  it("maps outcomes onto the published weights", () => {
    const counts = { a: 0, b: 0, none: 0 };
    for (let i = 0; i < 20000; i++) {
      const p = pickPrize(drawProof("k", `u${i}`, 1), prizes, 50, { a: 1, b: 1 });
      counts[(p ?? "none") as keyof typeof counts]++;
    }
    expect(counts.a / 20000).toBeCloseTo(0.3, 1);
    expect(counts.b / 20000).toBeCloseTo(0.2, 1);
    expect(counts.none / 20000).toBeCloseTo(0.5, 1);
  });

  it("homes a user on one shard", () => {
    expect(homeShard("user-1", 8)).toBe(homeShard("user-1", 8));
    const seen = new Set(Array.from({ length: 200 }, (_, i) => homeShard(`u${i}`, 8)));
    expect(seen.size).toBe(8);
  });
});

/** A v2 log built the way a shard closes its windows: entrants fixed, then the beacon, then the draws with it. */
function simulateWindows(seed: string, windows: number, perWindow: number): DrawExport {
  const stock: Record<string, number> = { a: 2, b: 5 };
  const entries: DrawLogEntry[] = [];
  let prev = genesisHash("cmp_w", 0);
  const push = (e: Omit<DrawLogEntry, "seq" | "prev" | "hash" | "stock">) => {
    const body = { ...e, seq: entries.length + 1, prev, stock: { ...stock } };
    const full = { ...body, hash: entryHash(body) };
    entries.push(full);
    prev = full.hash;
  };
  stock.a = 0;
  stock.b = 0;
  push({ type: "transfer", at: "2026-01-01T00:00:00.000Z", claimId: null, userId: null, nonce: null, proof: null, prizeId: null, delta: { a: 2, b: 5 } });
  stock.a = 2;
  stock.b = 5;
  for (let w = 1; w <= windows; w++) {
    const entrants: Entrant[] = Array.from({ length: perWindow }, (_, i) => [`c${w}-${i}`, `u${i}`, w]);
    const beacon = windowBeacon("cmp_w", 0, w, prev, entrants);
    push({ type: "window", at: "2026-01-01T00:00:01.000Z", claimId: null, userId: null, nonce: null, proof: null, prizeId: null, delta: null, window: w, beacon, entrants });
    for (const [claimId, userId, nonce] of entrants) {
      const proof = windowDrawProof(seed, beacon, userId, nonce);
      const prizeId = pickPrize(proof, prizes, 50, stock);
      push({ type: "draw", at: "2026-01-01T00:00:01.000Z", claimId, userId, nonce, proof, prizeId, delta: null, window: w });
      if (prizeId) stock[prizeId]!--;
    }
  }
  return { campaignId: "cmp_w", algorithm: "hmac-sha256-v2", seedCommitment: sha256(seed), seed, prizes, noPrizeWeight: 50, shards: [{ shard: 0, entries }] };
}

/** Re-hashes the chain from `from` on, as a forger who rewrote entries would (so only the draw rules can catch it). */
function rechain(x: DrawExport, from = 0) {
  const entries = x.shards[0]!.entries;
  for (let i = from; i < entries.length; i++) {
    const e = entries[i]!;
    e.prev = i === 0 ? genesisHash(x.campaignId, 0) : entries[i - 1]!.hash;
    const { hash: _h, ...body } = e;
    e.hash = entryHash(body);
  }
}

describe("draws decided by a window beacon (v2)", () => {
  const x = simulateWindows("window-seed", 3, 6);

  it("accepts an honest windowed log", () => {
    const r = verifyDrawExport(x);
    expect(r.issues).toEqual([]);
    expect(r.draws).toBe(18);
  });

  it("fails when a beacon is changed, even with the chain re-hashed and every draw recomputed from the new beacon", () => {
    const forged = structuredClone(x);
    const entries = forged.shards[0]!.entries;
    const at = entries.findIndex((e) => e.type === "window" && e.window === 2);
    entries[at]!.beacon = sha256("a beacon the operator likes better");
    for (const e of entries) if (e.type === "draw" && e.window === 2) e.proof = windowDrawProof(forged.seed, entries[at]!.beacon!, e.userId!, e.nonce!);
    rechain(forged);
    const r = verifyDrawExport(forged);
    expect(r.ok).toBe(false);
    expect(r.issues[0]).toMatchObject({ index: at, reason: expect.stringMatching(/beacon/) });
  });

  it("fails when an entrant is swapped for an id chosen after the fact", () => {
    const forged = structuredClone(x);
    const entries = forged.shards[0]!.entries;
    const at = entries.findIndex((e) => e.type === "window" && e.window === 1);
    entries[at]!.entrants![2] = ["c-late", "insider", 1];
    rechain(forged);
    const r = verifyDrawExport(forged);
    expect(r.issues.map((i) => i.index)).toContain(at);
    expect(r.issues.some((i) => /next entrant/.test(i.reason))).toBe(true);
  });

  it("fails for a winner picked with the seed alone (a v1 proof, no beacon) in a windowed log", () => {
    const forged = structuredClone(x);
    const entries = forged.shards[0]!.entries;
    // The seed-holder's attack: find a user id whose seed-only proof wins, and log it as a draw of window 3.
    let id = 0;
    while (landingPrize(drawProof(forged.seed, `pick-${id}`, 1), prizes, 50) !== "a") id++;
    const at = entries.findIndex((e) => e.type === "draw" && e.window === 3);
    Object.assign(entries[at]!, { userId: `pick-${id}`, nonce: 1, proof: drawProof(forged.seed, `pick-${id}`, 1) });
    rechain(forged);
    const r = verifyDrawExport(forged);
    expect(r.ok).toBe(false);
    expect(r.issues.some((i) => i.index === at && /beacon/.test(i.reason))).toBe(true);
  });

  it("fails when a window's entrant was never drawn (a draw dropped from the log)", () => {
    const forged = structuredClone(x);
    const entries = forged.shards[0]!.entries;
    const last = entries.length - 1;
    entries.splice(last, 1);
    const r = verifyDrawExport(forged);
    expect(r.issues.some((i) => /never drawn/.test(i.reason))).toBe(true);
  });
});
