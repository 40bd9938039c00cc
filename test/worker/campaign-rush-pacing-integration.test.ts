import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { factBudget, RUSH_BATCH, RUSH_QUIET_MS } from "../../worker/durable/campaign-outbox";
import { shardOf } from "../../worker/services/campaigns";
import { createTenant } from "./helpers";
import { claim, couponProductOf, holdShardMessages, liveCampaign, runShardAlarm } from "./campaign-helpers";

/** A one-shard coupon campaign whose shard's messages are held, and `n` distinct winners. */
async function rush(n: number) {
  expect(n).toBeGreaterThan(RUSH_BATCH);
  const { tenant, adminKey } = await createTenant();
  const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId: await couponProductOf(tenant.id), stock: n, shards: 1 });
  const held = await holdShardMessages(c.id);
  const won = await Promise.all(Array.from({ length: n }, (_, i) => claim(c.id, `rush-${i}`)));
  expect(won.every((r) => r.status === 200)).toBe(true);
  return { c, held, stub: shardOf(env, c.id, 0) };
}

describe("peak shaving: won-claim facts are paced while claims keep coming (削峰)", () => {
  it("the budget: a consumer batch every RUSH_BATCH / RUSH_FACTS_PER_S s per shard during a rush, everything once the claims stop", () => {
    const now = 1_000_000_000;
    expect(factBudget(now - 10, now - 2_000, 1, now)).toBe(RUSH_BATCH);
    expect(factBudget(now - 10, now - 1_000, 1, now)).toBe(0);
    expect(factBudget(now - 10, now - 2_000, 4, now)).toBe(0);
    expect(factBudget(now - 10, now - 8_000, 4, now)).toBe(RUSH_BATCH);
    expect(factBudget(now - RUSH_QUIET_MS, now, 1, now)).toBe(Infinity);
  });

  it("in a rush an outbox run forwards every claim event, and facts a batch at a time after a pause; each once", async () => {
    const n = 120;
    const { held, stub } = await rush(n);
    const lastFactsAt = (at: number) => runInDurableObject(stub, (instance) => void ((instance as unknown as { lastFactsAt: number }).lastFactsAt = at));
    // A batch just went: this run forwards the events and holds the facts.
    await lastFactsAt(Date.now());
    const before = held.facts.length;
    // The shard's own alarm may be mid-run beside the test's on a loaded machine: run until the events are through.
    const claimEvents = () => held.events.filter((e) => e.type === "claim_succeeded").length;
    for (let i = 0; i < 10 && claimEvents() < n; i++) {
      await lastFactsAt(Date.now());
      await runShardAlarm(stub);
    }
    expect(held.events.filter((e) => e.type === "claim_succeeded")).toHaveLength(n);
    expect(held.facts).toHaveLength(before);
    // A fact held back has not started its resend schedule (no attempt counted, due at once).
    const waiting = await runInDurableObject(stub, (_o, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM claims WHERE pending = 2 AND attempts = 0 AND next_at <= ?", Date.now()).one().n);
    expect(waiting).toBe(n - before);
    // After the pause: one batch. On a loaded machine the shard's own alarm may be mid-run when the test's is asked
    // for, and then it is the one that sends the batch: wait for a batch from either, then no second one may follow
    // (the budget opens again only RUSH_BATCH / RUSH_FACTS_PER_S s after a batch).
    await lastFactsAt(0);
    await runShardAlarm(stub);
    await expect.poll(() => held.facts.length, { timeout: 15_000 }).toBeGreaterThan(before);
    expect(held.facts).toHaveLength(before + Math.min(RUSH_BATCH, n - before));
    for (let i = 0; i < 5 && held.facts.length < n; i++) {
      await lastFactsAt(0);
      await runShardAlarm(stub);
    }
    expect(held.facts).toHaveLength(n);
    expect(new Set(held.facts.map((f) => f.claimId)).size).toBe(n);
    expect(held.events.filter((e) => e.type === "claim_succeeded")).toHaveLength(n);
  });

  it("once no claim has come for a while, one run forwards everything owed", async () => {
    const { held, stub } = await rush(120);
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { lastClaimAt: number }).lastClaimAt = Date.now() - RUSH_QUIET_MS;
    });
    for (let i = 0; i < 5 && held.facts.length < 120; i++) await runShardAlarm(stub);
    expect(held.facts).toHaveLength(120);
  });
});
