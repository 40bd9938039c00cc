import { z } from "@hono/zod-openapi";
import { text } from "./text";
import { patternProblem } from "../worker/domain/linear-regex";
import rechargeAccountKinds from "./data/recharge-accounts.json";
import { Eligibility, OPEN_ELIGIBILITY } from "./eligibility";

export const PRODUCT_KINDS = ["card_key", "direct_recharge", "coupon", "bundle"] as const;
export const ProductKind = z.enum(PRODUCT_KINDS).openapi("ProductKind");
export type ProductKind = z.infer<typeof ProductKind>;

export const ProductStatus = z.enum(["draft", "published", "archived"]).openapi("ProductStatus");
export type ProductStatus = z.infer<typeof ProductStatus>;

/** Money is integer cents (分). */
export const Cents = z.number().int().min(0).max(100_000_000);

export const Validity = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("fixed"), validFrom: z.iso.datetime(), validTo: z.iso.datetime() }),
    z.object({ kind: z.literal("relative"), days: z.number().int().min(1).max(3650) }),
  ])
  .openapi("Validity", { description: "A fixed window, or N days after issue" });
export type Validity = z.infer<typeof Validity>;

export const Media = z
  .object({
    images: z
      .array(z.union([z.url(), z.string().max(300).regex(/^\/(?!\/)[A-Za-z0-9._~\/?=&%-]*$/, "a URL or a path on this origin")]))
      .max(10)
      .default([])
      .openapi({ description: "Uploaded images (/api/v1/media/…, see POST /media/images) or other URLs" }),
    videoUrl: z.url().nullable().default(null),
  })
  .openapi("Media");
export type Media = z.infer<typeof Media>;

export const BundleItem = z.object({ productId: z.string().min(1).max(64), quantity: z.number().int().min(1).max(10) });
/** One item of a bundle as the storefront shows it: what it is, by name, and how many. */
export const PublicBundleItem = BundleItem.extend({ name: z.string(), kind: ProductKind }).openapi("PublicBundleItem");


/** A product tag (scope of online coupons): lower-case words, digits, CJK, dashes. */
export const ProductTag = z.string().trim().min(1).max(24).regex(/^[\p{L}\p{N}_-]+$/u, "letters, digits, _ or -");

export const COUPON_KINDS = ["threshold", "percent", "fixed_price", "first_order", "new_member"] as const;
export const CouponKind = z.enum(COUPON_KINDS).openapi("CouponKind", {
  description: "threshold 满减 · percent 折扣 (percentOff, capCents) · fixed_price 一口价 (one item costs fixedPriceCents) · first_order 首单立减 · new_member 新人立减 (joined ≤ newMemberDays ago)",
});
export type CouponKind = z.infer<typeof CouponKind>;

export const CouponScope = z
  .object({
    productIds: z.array(z.string().min(1).max(64)).max(50).default([]),
    kinds: z.array(ProductKind).max(4).default([]),
    tags: z.array(ProductTag).max(20).default([]),
  })
  .openapi("CouponScope", { description: "Which products it reduces at checkout: any listed id, kind or tag (all empty = every product but coupons)" });

export const CouponStacking = z
  .object({
    exclusive: z.boolean().default(false).openapi({ description: "Never combined with another coupon" }),
    group: z.string().trim().min(1).max(40).default("default").openapi({ description: "Coupons combine only within one stack group (and at most one per kind class)" }),
  })
  .openapi("CouponStacking");

export const CouponBudget = z
  .object({
    maxCount: z.number().int().min(1).max(10_000_000).optional().openapi({ description: "At most this many issued" }),
    maxCents: Cents.min(1).optional().openapi({ description: "At most this much discount given at checkout" }),
  })
  .openapi("CouponBudget");

/**
 * A coupon. Rows from before issue 19 hold only {thresholdCents, discountCents}: they parse as a threshold (满减)
 * coupon for stores (online false), as before.
 */
export const CouponConfig = z
  .object({
    kind: CouponKind.default("threshold"),
    thresholdCents: Cents.default(0).openapi({ description: "Order subtotal needed (0 = none)" }),
    discountCents: Cents.default(0),
    percentOff: z.number().int().min(1).max(99).optional().openapi({ description: "percent: 20 = 20% off (8折)" }),
    capCents: Cents.min(1).optional().openapi({ description: "percent: at most this much off" }),
    fixedPriceCents: Cents.optional(),
    newMemberDays: z.number().int().min(1).max(365).default(7),
    online: z.boolean().default(false).openapi({ description: "Usable at shop checkout" }),
    scope: CouponScope.default({ productIds: [], kinds: [], tags: [] }),
    stacking: CouponStacking.default({ exclusive: false, group: "default" }),
    eligibility: Eligibility.default(OPEN_ELIGIBILITY),
    budget: CouponBudget.default({}),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (["threshold", "first_order", "new_member"].includes(c.kind) && c.discountCents < 1) issue("discountCents", "a discount is required");
    if (c.kind === "threshold" && c.thresholdCents > 0 && c.discountCents >= c.thresholdCents) issue("discountCents", "discount must be below the threshold");
    if (c.kind === "percent" && c.percentOff === undefined) issue("percentOff", "percentOff is required for a percent coupon");
    if (c.kind === "fixed_price" && c.fixedPriceCents === undefined) issue("fixedPriceCents", "fixedPriceCents is required for a fixed-price coupon");
  })
  .openapi("CouponConfig");
export type CouponConfig = z.output<typeof CouponConfig>;

/** Kind-specific settings. */
export const ProductConfig = z
  .object({
    coupon: CouponConfig.optional(),
    bundle: z.object({ items: z.array(BundleItem).min(2).max(10) }).optional(),
    recharge: z
      .object({
        accountLabel: z.string().max(40).default("充值账号"),
        accountKind: z.enum(Object.keys(rechargeAccountKinds) as [keyof typeof rechargeAccountKinds]).optional().openapi({
          description: "Checks the buyer's account against a known format (schema/data/recharge-accounts.json)",
        }),
        accountPattern: z.string().max(200)
          .superRefine((p, ctx) => {
            const problem = patternProblem(p);
            if (problem) ctx.addIssue({ code: "custom", message: `not a supported regular expression: ${problem}` });
          })
          .optional()
          .openapi({ description: "Own format (a regular expression, matched in linear time: no back-references, look-arounds or \\b); overrides accountKind's" }),
      })
      .optional(),
  })
  .openapi("ProductConfig");
export type ProductConfig = z.infer<typeof ProductConfig>;

const ProductFields = {
  kind: ProductKind,
  name: text().trim().min(1).max(80),
  subtitle: text().max(120).default(""),
  description: text().max(4000).default(""),
  priceCents: Cents,
  faceValueCents: Cents,
  validity: Validity.nullable().default(null),
  scope: text().max(1000).openapi({ description: "Where and for what it can be used, in plain words" }).default(""),
  usageRules: text().max(2000).default(""),
  tutorial: text().max(4000).openapi({ description: "How to redeem" }).default(""),
  media: Media.default({ images: [], videoUrl: null }),
  perUserLimit: z.number().int().min(0).max(1000).openapi({ description: "0 = no limit" }).default(0),
  stockTotal: z.number().int().min(0).nullable().openapi({
    description: "For coupon/direct_recharge/bundle: how many may be sold (null = unlimited). Card keys count inventory.",
  }).default(null),
  lowStockThreshold: z.number().int().min(0).default(10),
  config: ProductConfig.default({}),
  tags: z.array(ProductTag).max(20).openapi({ description: "Tags (coupon scope, filters)" }).default([]),
};

export const CreateProductInput = z.object(ProductFields).strict().openapi("CreateProductInput");
export type CreateProductInput = z.infer<typeof CreateProductInput>;

/**
 * Only the fields sent: a create's defaults are not applied here (zod 4 fills a default inside `.partial()`). The
 * fields' descriptions sit inside their defaults, so they survive the unwrap.
 */
const withoutDefault = (s: z.ZodType): z.ZodType => (s instanceof z.ZodDefault ? (s.unwrap() as z.ZodType) : s);
export const UpdateProductInput = z
  .object(
    Object.fromEntries(Object.entries(ProductFields).filter(([k]) => k !== "kind").map(([k, v]) => [k, withoutDefault(v)])) as Omit<typeof ProductFields, "kind">,
  )
  .strict()
  .partial()
  .openapi("UpdateProductInput");

export const StockCounts = z
  .object({ available: z.number(), reserved: z.number(), delivered: z.number(), total: z.number().nullable() })
  .openapi("StockCounts");
export type StockCounts = z.infer<typeof StockCounts>;

export const Product = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    kind: ProductKind,
    name: z.string(),
    subtitle: z.string(),
    description: z.string(),
    priceCents: z.number(),
    faceValueCents: z.number(),
    currency: z.string(),
    validity: Validity.nullable(),
    scope: z.string(),
    usageRules: z.string(),
    tutorial: z.string(),
    media: Media,
    perUserLimit: z.number(),
    stockTotal: z.number().nullable(),
    lowStockThreshold: z.number(),
    config: ProductConfig,
    tags: z.array(z.string()),
    status: ProductStatus,
    publishedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    stock: StockCounts.optional(),
  })
  .openapi("Product");
export type Product = z.infer<typeof Product>;

/**
 * A banned phrase found in copy, with the field and character offset where it stands. Copy is matched in a normalised
 * form (NFKC, any case, whitespace and zero-width characters ignored), so `text` (the words as written, e.g. "１００％"
 * or "国 家 级") may differ from `phrase` (the entry of the list).
 */
export const ComplianceFinding = z
  .object({ field: z.string(), phrase: z.string(), index: z.number(), text: z.string(), excerpt: z.string() })
  .openapi("ComplianceFinding");
export type ComplianceFinding = z.infer<typeof ComplianceFinding>;

export const ComplianceCheckInput = z
  .object({ texts: z.record(z.string().max(60), z.string().max(20_000)).refine((t) => Object.keys(t).length <= 50, "at most 50 texts") }).strict()
  .openapi("ComplianceCheckInput", { example: { texts: { title: "全网最低价会员卡" } } });

export const ComplianceResult = z
  .object({ ok: z.boolean(), findings: z.array(ComplianceFinding) })
  .openapi("ComplianceResult");

export const BannedPhraseList = z.object({ source: z.string(), phrases: z.array(z.string().min(1)).min(1) });

export const ImportKeysInput = z
  .object({
    batchId: z.string().min(1).max(64).optional(),
    rows: z
      .array(z.object({ line: z.number().int().min(1), secret: z.string().min(4).max(512), reusable: z.boolean().default(false) }))
      .min(1)
      .max(1000),
  })
  .strict()
  .openapi("ImportKeysInput");
export type ImportKeysInput = z.infer<typeof ImportKeysInput>;

export const ImportRowError = z
  .object({ line: z.number(), code: z.enum(["duplicate_in_file", "duplicate_in_stock", "invalid"]), message: z.string() })
  .openapi("ImportRowError");

export const ImportKeysResult = z
  .object({ inserted: z.number(), rejected: z.number(), errors: z.array(ImportRowError), stock: StockCounts })
  .openapi("ImportKeysResult");
