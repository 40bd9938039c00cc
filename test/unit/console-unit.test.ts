import { describe, expect, it } from "vitest";
import { simulateJourneys } from "../../scripts/lib/sim-journeys";
import { defaultShards } from "../../worker/domain/shard-count";
import { signPreview, verifyPreview } from "../../worker/domain/campaign-preview";

const DAY = 86_400_000;

describe("simulated history", () => {
  it("places no event on a campaign before it started or after it ended", () => {
    const end = Date.UTC(2026, 5, 30);
    const start = end - 40 * DAY;
    const late = { id: "late", kind: "coupon" as const, costCents: 300, startsAt: end - 10 * DAY, endsAt: end - 2 * DAY };
    const always = { id: "always", kind: "lottery" as const, costCents: 500 };
    const events = simulateJourneys({ seed: 7, users: 400, start, end, runId: "t", world: { campaigns: [late, always], products: [{ id: "p", priceCents: 990 }], suppliers: ["s"], stores: ["st"] } });
    const onLate = events.filter((e) => e.payload.campaignId === "late" || e.payload.acquisitionCampaignId === "late");
    expect(onLate.length).toBeGreaterThan(0);
    // Follow-ups (a redemption later) may land after the end; nothing lands before the start.
    for (const e of onLate) expect(Date.parse(e.occurredAt)).toBeGreaterThanOrEqual(late.startsAt);
    expect(events.some((e) => e.payload.campaignId === "always" && Date.parse(e.occurredAt) < late.startsAt)).toBe(true);
  });

  it("puts nothing on a campaign that has not started", () => {
    const end = Date.UTC(2026, 5, 30);
    const future = { id: "future", kind: "flash" as const, costCents: 300, startsAt: end + DAY };
    const events = simulateJourneys({ seed: 3, users: 200, start: end - 20 * DAY, end, runId: "t", world: { campaigns: [future], products: [{ id: "p", priceCents: 990 }], suppliers: ["s"], stores: ["st"] } });
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => JSON.stringify(e.payload).includes("future"))).toEqual([]);
  });
});

describe("console rules", () => {
  it("proposes one shard per 1,000 units of stock, 1 to 16", () => {
    expect([0, 1, 1000, 1001, 4000, 50_000, 10_000_000].map(defaultShards)).toEqual([1, 1, 1, 2, 4, 16, 16]);
  });

  it("preview tokens are bound to a campaign and expire", async () => {
    const now = 1_800_000_000;
    const { token } = await signPreview("s3cret", "cmp_a", now);
    expect(await verifyPreview("s3cret", "cmp_a", token, now + 60)).toBe(true);
    expect(await verifyPreview("s3cret", "cmp_b", token, now + 60)).toBe(false);
    expect(await verifyPreview("other", "cmp_a", token, now + 60)).toBe(false);
    expect(await verifyPreview("s3cret", "cmp_a", token, now + 31 * 60)).toBe(false);
    expect(await verifyPreview("s3cret", "cmp_a", "garbage", now)).toBe(false);
  });
});
