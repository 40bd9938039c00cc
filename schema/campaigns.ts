import { z } from "@hono/zod-openapi";
import { text } from "./text";
import { Validity } from "./catalog";
import { Acquisition } from "./acquisition";
import { Eligibility, OPEN_ELIGIBILITY } from "./eligibility";

/** Campaigns: flash sales (秒杀), coupon claims (领券) and lottery draws (抽奖). Contracts shared by worker, site, scripts. */
export const CAMPAIGN_KINDS = ["flash_sale", "coupon_claim", "lottery"] as const;
export const CampaignKind = z.enum(CAMPAIGN_KINDS).openapi("CampaignKind");
export type CampaignKind = z.infer<typeof CampaignKind>;

const Slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lowercase letters, digits, _ and -; at most 32");
const Instant = z.iso.datetime({ offset: true });
export const UserId = z.string().min(1).max(64).regex(/^[\w.@:-]+$/, "letters, digits and . @ : _ -");

export const Prize = z
  .object({
    id: Slug,
    name: text().trim().min(1).max(60),
    /**
     * What a winner receives (a catalog product of the brand, usually a coupon); fulfilled as a voucher. Required
     * when prizes are set (422 prize_without_product otherwise); null only in definitions stored before that rule.
     */
    productId: z.string().min(1).max(64).nullable().default(null),
    stock: z.number().int().min(1).max(10_000_000),
    weight: z.number().int().min(1).max(1_000_000),
    /** The brand's cost of one such prize (ROI); left out, it is the prize product's face value. */
    costCents: z.number().int().min(0).max(100_000_000).nullable().default(null),
  })
  .openapi("Prize");
export type Prize = z.infer<typeof Prize>;

export const CampaignTask = z
  .object({
    id: Slug,
    name: text().trim().min(1).max(60),
    /** Extra draws granted for the day each time it is completed. Sharing is one such task; never required. */
    extraChances: z.number().int().min(1).max(10),
    perDay: z.number().int().min(1).max(10).default(1),
  })
  .openapi("CampaignTask");
export type CampaignTask = z.infer<typeof CampaignTask>;

export const CampaignEntry = z.enum(["guest", "phone", "member"]).openapi("CampaignEntry");
export type CampaignEntry = z.infer<typeof CampaignEntry>;

// Field schemas without defaults, shared by the create contract (which adds defaults) and the patch contract.
const F = {
  kind: CampaignKind,
  name: text().trim().min(1).max(80),
  description: text().trim().max(500),
  startsAt: Instant,
  endsAt: Instant,
  /** Flash sale / coupon: the product sold or given. */
  productId: z.string().min(1).max(64).nullable(),
  /** Flash sale price in fen (0 for coupon claims). */
  priceCents: z.number().int().min(0).max(100_000_000),
  /**
   * Flash sale / coupon: the brand's cost of one unit handed out (ROI). Left out, it is the coupon's face value, or
   * for a flash sale the discount (product price − flash price). Lottery prizes carry their own.
   */
  costCents: z.number().int().min(0).max(100_000_000).nullable(),
  /** Flash sale / coupon: units on offer. Lotteries use prize stock instead. */
  stock: z.number().int().min(0).max(10_000_000),
  prizes: z.array(Prize).max(20),
  /** Weight of "no prize" (未中奖), published with the odds. */
  noPrizeWeight: z.number().int().min(0).max(1_000_000),
  /** Flash/coupon: units per user over the campaign; lottery: prizes per user over the campaign. */
  perUserLimit: z.number().int().min(1).max(100),
  /** Flash/coupon: units per user per day (China Standard Time); null = only the campaign limit. */
  perUserDailyLimit: z.number().int().min(1).max(100).nullable(),
  /** Lottery: free draws per user per day. */
  drawsPerDay: z.number().int().min(0).max(100),
  tasks: z.array(CampaignTask).max(10),
  /** Shard objects the stock is split across; users are homed on one by hash. */
  shards: z.number().int().min(1).max(64),
  /** Lottery page: a turning wheel (大转盘) or a 3×3 grid with lights running round (九宫格). Display only. */
  display: z.enum(["wheel", "grid"]),
  /**
   * Who may take part: anyone with a session (guest), a buyer signed in with a verified phone (phone, OTP sign-in),
   * or a member the brand vouched for with a signed member token (member). Refused with 403 phone_required /
   * member_required.
   */
  entry: CampaignEntry,
  /** An account younger than this cannot claim (403 account_too_new with Retry-After); 0 = no cool-down. */
  minAccountAgeMinutes: z.number().int().min(0).max(525_600),
  /**
   * Units (flash/coupon) or prizes (lottery) per client IP, per signed device and per verified phone over the whole
   * campaign, exact across shards; null = no such limit. Refused with 409 ip_limit_reached / device_limit_reached /
   * phone_limit_reached.
   */
  perIpLimit: z.number().int().min(1).max(100_000).nullable(),
  perDeviceLimit: z.number().int().min(1).max(100_000).nullable(),
  perPhoneLimit: z.number().int().min(1).max(100_000).nullable(),
  /** 主办方: who runs the promotion and how to reach them. Required for a lottery (422 lottery_disclosure_missing). */
  organiser: z
    .object({ name: z.string().trim().max(60), contact: z.string().trim().max(80) })
    .nullable()
    .openapi("CampaignOrganiser"),
  /** 活动规则: the rules a participant reads (how to take part, how prizes are redeemed); linted like the name. */
  rules: z.string().trim().max(2000),
  /**
   * Who may claim or draw (issue 19): segment, new user, first order, member tier, birthday month, city. Checked
   * after the entry rule; refused with 409 not_eligible (error.issues[0].code = the rule). Empty = everyone.
   */
  eligibility: Eligibility,
};

const CampaignFields = z.object({
  ...F,
  description: F.description.default(""),
  productId: F.productId.default(null),
  priceCents: F.priceCents.default(0),
  costCents: F.costCents.default(null),
  stock: F.stock.default(0),
  prizes: F.prizes.default([]),
  noPrizeWeight: F.noPrizeWeight.default(0),
  perUserLimit: F.perUserLimit.default(1),
  perUserDailyLimit: F.perUserDailyLimit.default(null),
  drawsPerDay: F.drawsPerDay.default(1),
  tasks: F.tasks.default([]),
  shards: F.shards.default(4),
  display: F.display.default("wheel"),
  entry: F.entry.default("guest"),
  minAccountAgeMinutes: F.minAccountAgeMinutes.default(0),
  perIpLimit: F.perIpLimit.default(null),
  perDeviceLimit: F.perDeviceLimit.default(null),
  perPhoneLimit: F.perPhoneLimit.default(null),
  organiser: F.organiser.default(null),
  rules: F.rules.default(""),
  eligibility: F.eligibility.default(OPEN_ELIGIBILITY),
});

/** Entry rules and cross-shard limits of a definition stored before they existed read as "open, unlimited". */
export const ENTRY_DEFAULTS = { entry: "guest", minAccountAgeMinutes: 0, perIpLimit: null, perDeviceLimit: null, perPhoneLimit: null } as const;

function checkKind(c: z.infer<typeof CampaignFields>, ctx: z.RefinementCtx) {
  if (Date.parse(c.endsAt) <= Date.parse(c.startsAt)) {
    ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt", params: { reason: "invalid_window" } });
  }
  if (c.kind === "lottery") {
    if (c.prizes.length === 0) ctx.addIssue({ code: "custom", path: ["prizes"], message: "a lottery needs at least one prize", params: { reason: "required" } });
    const ids = new Set(c.prizes.map((p) => p.id));
    if (ids.size !== c.prizes.length) ctx.addIssue({ code: "custom", path: ["prizes"], message: "prize ids must be unique", params: { reason: "duplicate" } });
    if (c.drawsPerDay < 1) {
      ctx.addIssue({ code: "custom", path: ["drawsPerDay"], message: "at least one free draw a day: tasks and sharing may add draws, never be required", params: { reason: "min_one_draw" } });
    }
  } else {
    if (c.stock < 1) ctx.addIssue({ code: "custom", path: ["stock"], message: "stock must be at least 1", params: { reason: "at_least_one" } });
    if (!c.productId) ctx.addIssue({ code: "custom", path: ["productId"], message: "required for flash sales and coupon claims", params: { reason: "required" } });
    if (c.prizes.length) ctx.addIssue({ code: "custom", path: ["prizes"], message: "only lotteries have prizes", params: { reason: "lottery_only" } });
  }
  if (c.perUserDailyLimit !== null && c.perUserDailyLimit > c.perUserLimit) {
    ctx.addIssue({ code: "custom", path: ["perUserDailyLimit"], message: "cannot exceed perUserLimit", params: { reason: "above_total_limit" } });
  }
}

export const CreateCampaignInput = CampaignFields.strict().superRefine(checkKind).openapi("CreateCampaignInput");
export type CreateCampaignInput = z.infer<typeof CreateCampaignInput>;
export type CampaignDefinition = z.infer<typeof CampaignFields>;

/** Name, description and display may always change; everything else only before the campaign starts. */
export const UpdateCampaignInput = z.object(F).strict().partial().openapi("UpdateCampaignInput");
export type UpdateCampaignInput = z.infer<typeof UpdateCampaignInput>;
export const ALWAYS_EDITABLE = ["name", "description", "display"] as const;

export const CampaignPhase = z.enum(["scheduled", "live", "ended"]).openapi("CampaignPhase");
export type CampaignPhase = z.infer<typeof CampaignPhase>;

export const CampaignProduct = z
  .object({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    subtitle: z.string(),
    image: z.string().nullable(),
    priceCents: z.number().int(),
    faceValueCents: z.number().int(),
    validity: Validity.nullable(),
    scope: z.string(),
    usageRules: z.string(),
    /** A coupon's own eligibility (config.coupon.eligibility), checked with the campaign's on a coupon claim. */
    eligibility: Eligibility.nullable().optional(),
  })
  .openapi("CampaignProduct");

export const PrizeOdds = z.object({ prizeId: z.string().nullable(), name: z.string(), probability: z.number() });

/** Lottery: what a winner of each prize receives and how long it can be redeemed (from the prize's product). */
export const PrizeValidity = z.object({ prizeId: z.string(), validity: Validity.nullable() }).openapi("PrizeValidity");

export const Campaign = CampaignFields.extend({
  id: z.string(),
  tenantId: z.string(),
  phase: CampaignPhase,
  /** Published odds: weight / total weight, "no prize" included (prizeId null). */
  odds: z.array(PrizeOdds),
  /** Lottery: each prize's validity / redemption window, published with the odds (public reads). */
  prizeValidity: z.array(PrizeValidity).optional(),
  /** Lottery: SHA-256 (hex) of the secret seed, published before opening. */
  seedCommitment: z.string().nullable(),
  /** Lottery: the seed, published once the campaign has ended. */
  seed: z.string().nullable(),
  createdAt: z.string(),
  /** Paused by an operator: claims and draws are refused with 409 campaign_paused until it is resumed. */
  paused: z.boolean(),
  /** Public read with a valid operator preview token: the page shows the campaign as it will look once live. */
  preview: z.boolean().optional(),
  /** The brand's store slug (public reads), so a bare link to a campaign can find its store page. */
  tenantSlug: z.string().optional(),
  /** Public reads of a flash sale or coupon claim: what is on offer (its store price is the original price). */
  product: CampaignProduct.nullable().optional(),
}).openapi("Campaign");
export type Campaign = z.infer<typeof Campaign>;

export const ClaimInput = z
  .object({
    /** Optional: the claimant is the buyer of the session (cookie or Bearer token); if given it must be that buyer. */
    userId: UserId.optional(),
    referrerId: UserId.optional(),
    /** Client-chosen id for retries: the same key returns the same result. */
    requestId: z.string().min(8).max(64).optional(),
  })
  .strict()
  .openapi("ClaimInput");
export type ClaimInput = z.infer<typeof ClaimInput>;

export const DrawReceipt = z.object({ shard: z.number().int().min(0), seq: z.number().int().min(1), hash: z.string() }).openapi("DrawReceipt");
export type DrawReceipt = z.infer<typeof DrawReceipt>;

export const ClaimResult = z
  .object({
    claimId: z.string(),
    campaignId: z.string(),
    kind: CampaignKind,
    /** claimed: a flash/coupon unit is yours; won / no_prize: lottery outcome. */
    outcome: z.enum(["claimed", "won", "no_prize"]),
    prizeId: z.string().nullable(),
    prizeName: z.string().nullable(),
    /** Lottery: the user's draw number and HMAC-SHA256(seed, beacon:userId:nonce), to check after the reveal. */
    nonce: z.number().int().nullable(),
    proof: z.string().nullable(),
    /** Lottery: the beacon of the draw window this draw was decided in (fixed when the window closed, after the entry). */
    beacon: z.string().nullable().optional(),
    /**
     * Lottery: where this draw sits in its shard's public draw log (seq) and the entry's chained hash. Kept by the
     * player, it proves after the reveal that the published log still holds this draw as it was made
     * (`npm run verify:draws -- <export> --receipt shard:seq:hash`, or the /verify page).
     */
    receipt: DrawReceipt.nullable().optional(),
    /** What the user may still do today: units (flash/coupon) or draws (lottery). */
    remainingToday: z.number().int(),
    at: z.string(),
  })
  .openapi("ClaimResult");
export type ClaimResult = z.infer<typeof ClaimResult>;

export const TaskInput = z.object({ userId: UserId.optional() }).strict().openapi("TaskInput");

/** Starting a widget session: where the visitor came from, and optionally the brand's member token for them. */
export const CampaignSessionInput = z
  .object({
    acquisition: Acquisition.optional(),
    /** kqm1.<payload>.<signature>, signed by the brand's server (README "Brand member tokens"); the session is then the member's. */
    memberToken: z.string().min(10).max(1000).optional(),
  })
  .strict()
  .openapi("CampaignSessionInput");

export const CampaignSession = z
  .object({
    userId: z.string(),
    token: z.string(),
    expiresAt: z.string(),
    /** The signed device token: send it back as the x-device-id header (per-device limits). */
    deviceToken: z.string(),
    /** Set when the session was exchanged for a brand member token. */
    memberId: z.string().nullable(),
    /** What the session vouches for (the campaign's entry rules are checked against it). */
    phoneVerified: z.boolean(),
  })
  .openapi("CampaignSession");
export const TaskResult = z
  .object({ taskId: z.string(), completedToday: z.number().int(), extraChancesToday: z.number().int(), drawsLeftToday: z.number().int() })
  .openapi("TaskResult");
export type TaskResult = z.infer<typeof TaskResult>;

export const ShardHead = z.object({ shard: z.number().int(), seq: z.number().int(), hash: z.string() });
export const CampaignLive = z
  .object({
    campaignId: z.string(),
    phase: CampaignPhase,
    serverTime: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    /** Units left (flash/coupon: the item; lottery: per prize). */
    remaining: z.record(z.string(), z.number().int()),
    total: z.record(z.string(), z.number().int()),
    /** Lottery: each shard's draw-log head, so anyone can pin the log while it runs. */
    heads: z.array(ShardHead),
    /** Paused by the brand (claims and draws refused until resumed): an open page follows it. */
    paused: z.boolean(),
  })
  .openapi("CampaignLive");
export type CampaignLive = z.infer<typeof CampaignLive>;

export const ClaimStatus = z
  .object({
    claimId: z.string(),
    outcome: z.enum(["claimed", "won"]),
    prizeId: z.string().nullable(),
    at: z.string(),
    /** pending: the order/voucher is being created; fulfilled: it exists; failed: it never will (see failure). */
    status: z.enum(["pending", "fulfilled", "failed"]),
    /** Flash sale: the order to pay. */
    orderId: z.string().nullable(),
    /** Coupon claim or prize: the voucher issued. */
    voucherId: z.string().nullable(),
    /** Why a won claim could not be fulfilled (e.g. purchase_limit); its unit went back to the campaign's stock. */
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .openapi("ClaimStatus");
export type ClaimStatus = z.infer<typeof ClaimStatus>;

export const UserStanding = z
  .object({
    userId: z.string(), claimedTotal: z.number().int(), claimedToday: z.number().int(), drawsLeftToday: z.number().int(), wins: z.number().int(),
    /** The latest 50 won claims and what became of each. */
    claims: z.array(ClaimStatus),
  })
  .openapi("UserStanding");
export type UserStanding = z.infer<typeof UserStanding>;

/** One line of a shard's draw log. Transfers record stock moving in (+) or out (-) so the log replays exactly. */
/** A window's entrant: [claimId, userId, nonce], in the order they are drawn. */
export const WindowEntrant = z.tuple([z.string(), z.string(), z.number().int()]);
export const DrawLogEntry = z.object({
  seq: z.number().int().min(1),
  /** window: the close of a draw window, naming its entrants and the beacon their draws use (hmac-sha256-v2). */
  type: z.enum(["draw", "transfer", "window"]),
  at: z.string(),
  claimId: z.string().nullable(),
  userId: z.string().nullable(),
  nonce: z.number().int().nullable(),
  proof: z.string().nullable(),
  prizeId: z.string().nullable(),
  /** Stock of every prize on this shard just before the entry. */
  stock: z.record(z.string(), z.number().int()),
  delta: z.record(z.string(), z.number().int()).nullable(),
  /** v2: the draw window (1, 2, … per shard) a draw belongs to or a window entry closes. */
  window: z.number().int().min(1).nullable().optional(),
  /** v2, window entries: SHA-256 of the campaign, shard, window number, the log head at the close and the entrants. */
  beacon: z.string().nullable().optional(),
  entrants: z.array(WindowEntrant).nullable().optional(),
  prev: z.string(),
  hash: z.string(),
});
export type DrawLogEntry = z.infer<typeof DrawLogEntry>;

export const DrawExport = z
  .object({
    campaignId: z.string(),
    /** v1: proof = HMAC(seed, userId:nonce); v2: proof = HMAC(seed, beacon:userId:nonce), beacon fixed at the window's close. */
    algorithm: z.enum(["hmac-sha256-v1", "hmac-sha256-v2"]),
    seedCommitment: z.string(),
    seed: z.string(),
    prizes: z.array(Prize.pick({ id: true, name: true, stock: true, weight: true })),
    noPrizeWeight: z.number().int(),
    shards: z.array(z.object({ shard: z.number().int(), entries: z.array(DrawLogEntry) })),
    /**
     * The commitment, prizes (stock and weight) and no-prize weight as the campaign's pages published them. The
     * fields above are what the draws were made with (the campaign's object, frozen at the start); the verifier
     * fails a log whose published terms differ from them (the campaign's stored row edited after the start).
     */
    published: z
      .object({
        seedCommitment: z.string().nullable(),
        prizes: z.array(Prize.pick({ id: true, stock: true, weight: true })),
        noPrizeWeight: z.number().int(),
      })
      .optional(),
  })
  .openapi("DrawExport");
export type DrawExport = z.infer<typeof DrawExport>;

export const CampaignPreview = z
  .object({
    /** The public campaign page in preview mode; the token expires after 30 minutes and never allows a claim. */
    url: z.string(),
    token: z.string(),
    expiresAt: z.string(),
  })
  .openapi("CampaignPreview");
export type CampaignPreview = z.infer<typeof CampaignPreview>;

/** A campaign in a list: a live one with no stock left is sold out (its phase alone reads as running). */
export const CampaignListItem = Campaign.extend({ soldOut: z.boolean() }).openapi("CampaignListItem");
export type CampaignListItem = z.infer<typeof CampaignListItem>;

export const CampaignList = z.object({ campaigns: z.array(CampaignListItem) }).openapi("CampaignList");
