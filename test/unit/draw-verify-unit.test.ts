import { describe, expect, it } from "vitest";
import type { DrawExport, DrawLogEntry } from "../../schema/campaigns";
import { entryHash, genesisHash, sha256, verifyDrawExport, windowBeacon, windowDrawProof, type Entrant } from "../../worker/domain/draw";
import { landingPrize, pickPrize, verifyDrawExportAsync, webDrawCrypto } from "../../worker/domain/draw-verify";

/**
 * worker/domain/draw-verify.ts: the one check of a published draw log, run by npm run verify:draws (node:crypto)
 * and by /verify/?draw=… in the browser (WebCrypto, hashed up front in parallel). Both must give the same report.
 */
const prizes = [
  { id: "a", name: "五元券", stock: 3, weight: 30 },
  { id: "b", name: "二十元券", stock: 2, weight: 20 },
];

/** A v2 shard log as campaign-shard.ts writes it: a transfer, then windows of entrants each followed by their draws. */
function simulate(seed: string, users: number, perWindow = 5): DrawExport {
  const stock: Record<string, number> = { a: 0, b: 0 };
  const entries: DrawLogEntry[] = [];
  let prev = genesisHash("cmp_v", 0);
  const push = (e: Omit<DrawLogEntry, "seq" | "prev" | "hash" | "stock">) => {
    const body = { ...e, seq: entries.length + 1, prev, stock: { ...stock } };
    const full = { ...body, hash: entryHash(body) };
    entries.push(full);
    prev = full.hash;
  };
  const none = { claimId: null, userId: null, nonce: null, proof: null, prizeId: null, delta: null };
  push({ ...none, type: "transfer", at: "2026-01-01T00:00:00.000Z", delta: { a: 3, b: 2 } });
  stock.a = 3;
  stock.b = 2;
  let window = 0;
  for (let i = 0; i < users; i += perWindow) {
    window++;
    const entrants: Entrant[] = [];
    for (let j = i; j < Math.min(users, i + perWindow); j++) entrants.push([`c${j}`, `u${j}`, 1]);
    const beacon = windowBeacon("cmp_v", 0, window, prev, entrants);
    push({ ...none, type: "window", at: "2026-01-01T00:00:01.000Z", window, beacon, entrants });
    for (const [claimId, userId, nonce] of entrants) {
      const proof = windowDrawProof(seed, beacon, userId, nonce);
      const prizeId = pickPrize(proof, prizes, 50, stock);
      push({ ...none, type: "draw", at: "2026-01-01T00:00:02.000Z", claimId, userId, nonce, proof, prizeId, window });
      if (prizeId) stock[prizeId]!--;
    }
  }
  return { campaignId: "cmp_v", algorithm: "hmac-sha256-v2", seedCommitment: sha256(seed), seed, prizes, noPrizeWeight: 50, shards: [{ shard: 0, entries }] };
}

const clone = (x: DrawExport): DrawExport => structuredClone(x);
const rehash = (e: DrawLogEntry) => {
  const { hash: _, ...rest } = e;
  e.hash = entryHash(rest);
};

describe("draw log check shared by verify:draws and /verify/", () => {
  const x = simulate("shared-seed", 40);
  const draws = x.shards[0]!.entries.filter((e) => e.type === "draw");

  it("an honest log passes, the same in node:crypto and WebCrypto, and runs out of stock into no-prize", async () => {
    const sync = verifyDrawExport(x);
    expect(sync.issues).toEqual([]);
    expect(await verifyDrawExportAsync(x, [], webDrawCrypto())).toEqual(sync);
    // 40 draws on 5 prizes at these weights: some landed on a prize already gone and were recorded as no prize.
    const landedGone = draws.filter((e) => landingPrize(e.proof!, prizes, 50) !== null && e.prizeId === null);
    expect(landedGone.length).toBeGreaterThan(0);
    expect(Object.values(sync.wins).reduce((s, n) => s + n, 0)).toBe(5);
  });

  it("another entry's contents changed (hash no longer matches): the first issue names it", async () => {
    const t = clone(x);
    const index = t.shards[0]!.entries.findIndex((e) => e.type === "draw" && e.prizeId === null);
    t.shards[0]!.entries[index]!.at = "2026-01-02T00:00:00.000Z";
    const r = await verifyDrawExportAsync(t, [], webDrawCrypto());
    expect(r.ok).toBe(false);
    expect(r.issues[0]).toMatchObject({ shard: 0, index, seq: index + 1, code: "hash" });
    expect(r).toEqual(verifyDrawExport(t));
  });

  it("an outcome the seed does not give, re-hashed so its own hash holds: an outcome issue at that entry, then a broken link", async () => {
    const t = clone(x);
    const entries = t.shards[0]!.entries;
    const index = entries.findIndex((e) => e.type === "draw" && e.prizeId === null && (e.stock.a ?? 0) > 0);
    entries[index]!.prizeId = "a";
    rehash(entries[index]!);
    const r = await verifyDrawExportAsync(t, [], webDrawCrypto());
    expect(r.issues[0]).toMatchObject({ index, code: "outcome" });
    expect(r.issues.some((i) => i.index === index + 1 && i.code === "prev")).toBe(true);
  });

  it("a win recorded for a prize out of stock at that point is refused (no prize is what the seed gives)", async () => {
    const t = clone(x);
    const entries = t.shards[0]!.entries;
    const index = entries.findIndex((e) => e.type === "draw" && e.prizeId === null && landingPrize(e.proof!, prizes, 50) !== null);
    const landed = landingPrize(entries[index]!.proof!, prizes, 50)!;
    expect(entries[index]!.stock[landed]).toBe(0);
    entries[index]!.prizeId = landed;
    rehash(entries[index]!);
    const r = await verifyDrawExportAsync(t, [], webDrawCrypto());
    expect(r.issues[0]).toMatchObject({ index, code: "outcome", reason: expect.stringMatching(/seed gives no prize/) });
  });

  it("checks a few thousand entries quickly", async () => {
    const big = simulate("big-seed", 3000, 50);
    const started = performance.now();
    const r = await verifyDrawExportAsync(big, [], webDrawCrypto());
    expect(r.ok).toBe(true);
    expect(r.draws).toBe(3000);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
