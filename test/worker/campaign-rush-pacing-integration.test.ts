import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { factBudget, RUSH_QUIET_MS } from "../../worker/durable/campaign-outbox";
import { shardOf } from "../../worker/services/campaigns";
import { createTenant } from "./helpers";
import { claim, couponProductOf, holdShardMessages, liveCampaign } from "./campaign-helpers";

/** A one-shard coupon campaign whose shard's messages are held, and `n` distinct winners. */
async function rush(n: number) {
  const { tenant, adminKey } = await createTenant();
  const c = await liveCampaign(adminKey, { kind: "coupon_claim", name: "领券", productId: await couponProductOf(tenant.id), stock: n, shards: 1 });
  const held = await holdShardMessages(c.id);
  const won = await Promise.all(Array.from({ length: n }, (_, i) => claim(c.id, `rush-${i}`)));
  expect(won.every((r) => r.status === 200)).toBe(true);
  return { c, held, stub: shardOf(env, c.id, 0) };
}

describe("peak shaving: won-claim facts are paced while claims keep coming (削峰)", () => {
  it("the budget: a share of RUSH_FACTS_PER_S per shard during a rush, everything once the claims stop", () => {
    const now = 1_000_000_000;
    expect(factBudget(now - 10, 1, now)).toBe(7);
    expect(factBudget(now - 10, 4, now)).toBe(2);
    expect(factBudget(now - RUSH_QUIET_MS, 1, now)).toBe(Infinity);
  });

  it("in a rush one outbox run forwards every claim event but only the budget's facts; the rest follow, each once", async () => {
    const { held, stub } = await rush(30);
    await runDurableObjectAlarm(stub);
    expect(held.events.filter((e) => e.type === "claim_succeeded")).toHaveLength(30);
    // 7 a run (the shard's own alarm may have run once or twice before this one, under a loaded machine).
    expect(held.facts.length % 7).toBe(0);
    expect(held.facts.length).toBeLessThan(30);
    const sent = held.facts.length;
    // A fact held back has not started its resend schedule (no attempt counted, due at once).
    const waiting = await runInDurableObject(stub, (_o, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM claims WHERE pending = 2 AND attempts = 0 AND next_at <= ?", Date.now()).one().n);
    expect(waiting).toBe(30 - sent);
    for (let i = 0; i < 10 && held.facts.length < 30; i++) await runDurableObjectAlarm(stub);
    expect(held.facts).toHaveLength(30);
    expect(new Set(held.facts.map((f) => f.claimId)).size).toBe(30);
    expect(held.events.filter((e) => e.type === "claim_succeeded")).toHaveLength(30);
  });

  it("once no claim has come for a while, one run forwards everything owed", async () => {
    const { held, stub } = await rush(30);
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { lastClaimAt: number }).lastClaimAt = Date.now() - RUSH_QUIET_MS;
    });
    await runDurableObjectAlarm(stub);
    expect(held.facts).toHaveLength(30);
  });
});
