import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const limiter = () => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`test-${crypto.randomUUID()}`));

describe("rate limiter: several limits in one call", () => {
  it("counts every limit only when all allow; a refusal names the limit to wait longest for and counts none", async () => {
    const rl = limiter();
    const orders = { key: "order-ip:1.2.3.4", limit: 2, windowS: 60 };
    const sessions = { key: "buyer-session:1.2.3.4", limit: 1, windowS: 60 };
    const hourly = { key: "otp-ip:1.2.3.4", limit: 1, windowS: 3600 };
    expect(await rl.hits([orders, sessions])).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await rl.hits([orders, sessions]);
    expect(refused).toMatchObject({ allowed: false, refusedBy: 1 });
    // One session a minute, used: it weighs on the next minute too (the sliding estimate), so the wait runs past the
    // end of this minute — to the end of the next one, when the estimate has fallen to zero.
    expect(refused.retryAfterS).toBeGreaterThan(60);
    expect(refused.retryAfterS).toBeLessThanOrEqual(120);
    // The refused call did not count the order limit: one more order fits, then it is full.
    expect((await rl.hits([orders])).allowed).toBe(true);
    expect((await rl.hits([orders])).allowed).toBe(false);
    // With two limits over, the answer is the one with the longer wait.
    expect((await rl.hits([hourly])).allowed).toBe(true);
    const both = await rl.hits([orders, hourly]);
    expect(both).toMatchObject({ allowed: false, refusedBy: 1 });
    // Whatever the clock: even a minute before the hour ends, the hourly limit is still over then.
    expect(both.retryAfterS).toBeGreaterThan(3600);
  });

  it("a refused hit is told a wait after which it fits, not merely the end of the current window", async () => {
    const rl = limiter();
    const minute = { key: "claim-ip:9.9.9.9", limit: 4, windowS: 60 };
    for (let i = 0; i < 4; i++) expect((await rl.hits([minute])).allowed).toBe(true);
    const refused = await rl.hits([minute]);
    // 4 of 4 used: one more fits once the sliding estimate 4·(1 − x) drops to 3, a quarter into the next minute.
    expect(refused.retryAfterS).toBeGreaterThan(15);
    expect(refused.retryAfterS).toBeLessThanOrEqual(75);
  });

  it("pruning a full limiter keeps every window still in force (an hour-long one beside minute-long ones)", async () => {
    const rl = limiter();
    const hourly = { key: "otp-ip:5.6.7.8", limit: 1, windowS: 3600 };
    expect((await rl.hits([hourly])).allowed).toBe(true);
    // Fill the limiter to its pruning threshold in one call, then add one more key: the prune runs and must keep both.
    await rl.hits(Array.from({ length: 10_000 }, (_, i) => ({ key: `share:${i}`, limit: 5, windowS: 60 })));
    expect((await rl.hits([{ key: "share:new", limit: 5, windowS: 60 }])).allowed).toBe(true);
    expect((await rl.hits([hourly])).allowed).toBe(false);
    expect((await rl.hits([{ key: "share:0", limit: 1, windowS: 60 }])).allowed).toBe(false);
  });
});
