import { describe, expect, it } from "vitest";
import type { DrawExport, DrawLogEntry } from "../../schema/campaigns";
import { drawProof, entryHash, genesisHash, pickPrize, sha256, verifyDrawExport } from "../../worker/domain/draw";
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
