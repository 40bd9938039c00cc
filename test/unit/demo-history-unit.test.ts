import { describe, expect, it } from "vitest";
import { EVENT_PAYLOADS } from "../../schema/events";
import { simulateFlows } from "../../scripts/lib/seed-outreach";
import { simulateGrowth } from "../../scripts/lib/sim-growth";
import { simulateMembers } from "../../scripts/lib/sim-members";
import type { SimEvent } from "../../scripts/lib/sim-journeys";

const DAY = 86_400_000;
const end = Date.UTC(2026, 10, 30);
const productIds = ["prd_a", "prd_b", "prd_c"];
const campaigns = [{ id: "cmp_flash", kind: "flash_sale" as const }, { id: "cmp_lottery", kind: "lottery" as const }];

const growth = simulateGrowth({ seed: 18, start: end - 30 * DAY, end, runId: "t", productIds, campaigns });
const members = simulateMembers({ seed: 17, members: 30, nonMembers: 10, start: end - 60 * DAY, end, runId: "t", productIds });
const flows = simulateFlows(end, "prd_coupon", productIds);

describe("the demo's simulated history is what real traffic would have sent", () => {
  it("is valid for the typed seam", () => {
    for (const e of [...growth, ...members, ...flows]) expect(EVENT_PAYLOADS[e.type].safeParse(e.payload).success, `${e.type} ${JSON.stringify(e.payload)}`).toBe(true);
  });

  // The dashboard's GMV and 热销商品 count paid orders by product, as every real order_paid names one; LTV counts them
  // all. Simulated orders without a product made the demo's revenue ¥0 beside an LTV of thousands.
  it("names a product of the brand on every paid and refunded order", () => {
    const orders = [...growth, ...members, ...flows].filter((e) => e.type === "order_paid" || e.type === "order_refunded");
    expect(orders.length).toBeGreaterThan(20);
    for (const e of orders) expect(productIds, JSON.stringify(e)).toContain(e.payload.productId);
    expect(new Set(orders.map((e) => e.payload.productId)).size).toBe(productIds.length);
  });

  // The K-factor tile counts a campaign's participants and the invitees they brought: campaign shares of made-up
  // campaigns, by people who never took part, left it at "–" beside 裂变增长's K of 0.75.
  it("shares campaigns of the brand, each by someone who took part in it first, and credits the invitees to it", () => {
    const shares = growth.filter((e) => e.type === "share_sent" && e.payload.mechanism === "campaign");
    expect(shares.length).toBeGreaterThan(0);
    const tookPart = (e: SimEvent) => growth.some((p) => (p.type === "claim_succeeded" || p.type === "draw_made") && p.actor.userId === e.actor.userId
      && p.payload.campaignId === e.payload.campaignId && p.occurredAt < e.occurredAt);
    for (const s of shares) {
      expect(campaigns.map((c) => c.id)).toContain(s.payload.campaignId);
      expect(s.payload.subjectId).toBe(s.payload.campaignId);
      expect(tookPart(s), JSON.stringify(s)).toBe(true);
    }
    const byCode = new Map(shares.map((s) => [s.payload.shareLink, s.payload.campaignId]));
    const referrals = growth.filter((e) => e.type === "referral_signed_up" && byCode.has(e.payload.shareLink as string));
    expect(referrals.length).toBeGreaterThan(0);
    for (const r of referrals) expect(r.payload.campaignId).toBe(byCode.get(r.payload.shareLink as string));
    // A lottery's sharer drew; a flash sale's claimed.
    const draws = growth.filter((e) => e.type === "draw_made");
    expect(draws.every((d) => d.payload.campaignId === "cmp_lottery" && d.payload.campaignKind === "lottery")).toBe(true);
  });

  it("without the brand's products or campaigns (an empty store) still simulates, as before", () => {
    const bare = simulateGrowth({ seed: 18, start: end - 30 * DAY, end, runId: "t" });
    expect(bare.filter((e) => e.type === "order_paid").every((e) => e.payload.productId === undefined)).toBe(true);
    expect(bare.some((e) => e.type === "claim_succeeded" || e.type === "draw_made")).toBe(false);
  });
});
