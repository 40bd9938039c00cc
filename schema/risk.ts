import { z } from "@hono/zod-openapi";
import { parseCidr } from "../worker/domain/cidr";
import { Phone } from "./buyers";

/** Block lists (per tenant, or platform-wide with the platform admin token). */
export const BlockKind = z.enum(["phone", "device", "ip"]).openapi("BlockKind");
export type BlockKind = z.infer<typeof BlockKind>;

const Reason = z.string().trim().min(1).max(200);
const Expiry = z.iso.datetime({ offset: true }).nullable().optional().openapi({ description: "When the entry stops applying (null or absent: never)" });

export const CreateBlockInput = z
  .object({
    kind: BlockKind,
    value: z.string().trim().min(1).max(64).openapi({
      description: "phone: a mainland mobile number (stored as a keyed hash, shown masked); device: the device id; ip: an address or CIDR range, IPv4 or IPv6",
      example: "203.0.113.0/24",
    }),
    reason: Reason,
    expiresAt: Expiry,
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.kind === "phone" && !Phone.safeParse(b.value).success) ctx.addIssue({ code: "custom", path: ["value"], message: "a mainland mobile number (11 digits starting 1)", params: { reason: "invalid_phone" } });
    if (b.kind === "ip" && !parseCidr(b.value)) ctx.addIssue({ code: "custom", path: ["value"], message: "an IPv4/IPv6 address or CIDR range, e.g. 203.0.113.0/24 or 2001:db8::/32", params: { reason: "invalid_ip" } });
    if (b.kind === "device" && !/^[\w.:-]{1,64}$/.test(b.value)) ctx.addIssue({ code: "custom", path: ["value"], message: "a device id (letters, digits, _ . : -)", params: { reason: "invalid_device" } });
  })
  .openapi("CreateBlockInput");
export type CreateBlockInput = z.infer<typeof CreateBlockInput>;

export const UpdateBlockInput = z
  .object({ reason: Reason.optional(), expiresAt: Expiry }).strict()
  .refine((b) => b.reason !== undefined || b.expiresAt !== undefined, { message: "give reason or expiresAt" })
  .openapi("UpdateBlockInput");

export const BlockEntry = z
  .object({
    id: z.string(),
    scope: z.enum(["tenant", "platform"]),
    tenantId: z.string().nullable(),
    kind: BlockKind,
    value: z.string().openapi({ description: "masked phone, device id, or canonical CIDR" }),
    reason: z.string(),
    expiresAt: z.string().nullable(),
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("BlockEntry");
export type BlockEntry = z.infer<typeof BlockEntry>;

export const BlockList = z.object({ entries: z.array(BlockEntry) }).openapi("BlockList");

export const RiskDecision = z.enum(["allowed", "limited", "challenged", "blocked"]);
export type RiskDecision = z.infer<typeof RiskDecision>;

export const RiskSummary = z
  .object({
    campaignId: z.string(),
    since: z.string(),
    decisions: z.record(RiskDecision, z.number().int()),
    topReasons: z.array(z.object({ reason: z.string(), decision: RiskDecision, count: z.number().int() })),
    allowedSampleEvery: z.number().int().openapi({ description: "allowed claims are recorded one in N (counts are scaled back)" }),
  })
  .openapi("RiskSummary");

/** What a 403 challenge_required carries: the puzzle (sandbox) or the site key (Turnstile). */
export const Challenge = z
  .object({
    provider: z.enum(["sandbox_pow", "turnstile"]),
    action: z.string(),
    token: z.string().optional().openapi({ description: "sandbox_pow: the signed puzzle" }),
    nonce: z.string().optional(),
    difficulty: z.number().int().optional().openapi({ description: "leading zero bits of SHA-256(nonce ‖ counter)" }),
    siteKey: z.string().optional().openapi({ description: "turnstile: the site key to render the widget with" }),
    expiresAt: z.string(),
    answerHeader: z.literal("X-Kaquan-Challenge"),
  })
  .openapi("Challenge");
export type Challenge = z.infer<typeof Challenge>;

/** Cloudflare Turnstile's siteverify request and answer: the shape every ChallengeProvider speaks. */
export const SiteverifyRequest = z.object({
  secret: z.string(),
  response: z.string().max(2048),
  remoteip: z.string().optional(),
  idempotency_key: z.string().optional(),
});
export type SiteverifyRequest = z.infer<typeof SiteverifyRequest>;

export const SiteverifyResponse = z.object({
  success: z.boolean(),
  challenge_ts: z.string().optional(),
  hostname: z.string().optional(),
  "error-codes": z.array(z.string()),
  action: z.string().optional(),
  cdata: z.string().optional(),
});
export type SiteverifyResponse = z.infer<typeof SiteverifyResponse>;
