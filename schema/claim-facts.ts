import { z } from "zod";
import { CampaignKind } from "./campaigns";

/**
 * The fact a campaign shard forwards for every won claim (flash-sale unit, coupon, lottery prize) on the
 * `kaquan-claims` Queue. It carries everything fulfilment needs (resolved from the frozen definition), so the
 * consumer (worker/queue/claims.ts) turns it into an order or a voucher without reading the campaign again.
 */
export const ClaimWon = z.object({
  v: z.literal(1),
  type: z.literal("claim_won"),
  /** `clw_<claimId>`: the id it is parked under if the Queue gives up on it (event_dead_letters). */
  eventId: z.string().min(1).max(64),
  claimId: z.string().min(1).max(64),
  tenantId: z.string().min(1).max(64),
  campaignId: z.string().min(1).max(64),
  campaignKind: CampaignKind,
  /** The winner's home shard: it settles the claim (and takes a refused unit back). */
  shard: z.number().int().min(0).max(63),
  userId: z.string().min(1).max(64),
  /** The product ordered (flash sale) or issued as a voucher (coupon, prize); null for a prize with nothing online. */
  productId: z.string().min(1).max(64).nullable(),
  prizeId: z.string().nullable(),
  /** Flash sale: the order's unit price in fen. */
  priceCents: z.number().int().min(0),
  at: z.string(),
});
export type ClaimWon = z.infer<typeof ClaimWon>;

/** What became of a forwarded claim, as its home shard records it. */
export type ClaimSettlement = { claimId: string; ref: string | null } | { claimId: string; failure: { code: string; message: string } };
export type ClaimState = "awaiting" | "fulfilled" | "failed" | "unknown";
