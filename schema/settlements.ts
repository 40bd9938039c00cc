import { z } from "@hono/zod-openapi";

/**
 * Settlement between a selling tenant (a 卡盟 that resells) and the brand that issues the rights it sells (issue 21
 * item 5): a revenue-share agreement per product, accepted by the issuer, and signed period statements computed from
 * the seller's provenance ledger that either side verifies offline (scripts/verify-settlement.ts).
 */
// A real calendar day (no 2026-13-45 or 02-30) in a range a statement can be about.
const Day = z.iso.date("a China-time date YYYY-MM-DD").refine((d) => d >= "2000-01-01" && d <= "2099-12-31", "a date between 2000-01-01 and 2099-12-31");
const Cents = z.number().int();

export const SettlementPeriodKind = z.enum(["month", "week"]).openapi("SettlementPeriodKind");
export type SettlementPeriodKind = z.infer<typeof SettlementPeriodKind>;

export const SettlementIssuerInput = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("tenant"), tenantId: z.string().min(1).max(64) }),
    z.object({ kind: z.literal("external"), id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . -"), name: z.string().min(1).max(80) }),
  ])
  .openapi("SettlementIssuerInput");

/** The issuer's part: basis points of net revenue (10000 = all of it), or a fixed cost per unit sold. */
export const SettlementShare = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("bps"), bps: z.number().int().min(0).max(10_000) }),
    z.object({ kind: z.literal("per_unit"), unitCostCents: z.number().int().min(0).max(100_000_000) }),
  ])
  .openapi("SettlementShare");
export type SettlementShare = z.infer<typeof SettlementShare>;

export const SettlementAgreementInput = z
  .object({
    productId: z.string().min(1).max(64),
    issuer: SettlementIssuerInput,
    share: SettlementShare,
    periodKind: SettlementPeriodKind.default("month"),
    /** First China-time day the share applies to (sales on or after it). */
    effectiveFrom: Day,
    /** First China-time day it no longer applies to; open-ended when absent. */
    effectiveTo: Day.nullable().optional(),
  })
  .strict()
  .refine((a) => !a.effectiveTo || a.effectiveTo > a.effectiveFrom, { path: ["effectiveTo"], message: "must be after effectiveFrom", params: { reason: "invalid_window" } })
  .openapi("SettlementAgreementInput");

export const SettlementAgreementStatus = z.enum(["proposed", "accepted", "rejected"]);

export const SettlementAgreement = z
  .object({
    id: z.string(),
    sellerTenantId: z.string(),
    sellerName: z.string(),
    productId: z.string(),
    productName: z.string(),
    issuer: z.object({ kind: z.enum(["tenant", "external"]), id: z.string(), name: z.string() }),
    share: SettlementShare,
    periodKind: SettlementPeriodKind,
    effectiveFrom: Day,
    effectiveTo: Day.nullable(),
    status: SettlementAgreementStatus,
    /** Which side the calling key is on. */
    role: z.enum(["seller", "issuer"]),
    proposedAt: z.string(),
    decidedAt: z.string().nullable(),
    /** Only in the answer to proposing an agreement with an external issuer: hand it to the issuer, shown once. */
    acceptToken: z.string().optional(),
  })
  .openapi("SettlementAgreement");
export type SettlementAgreement = z.infer<typeof SettlementAgreement>;

export const ExternalAcceptInput = z.object({ token: z.string().min(10).max(100) }).strict().openapi("SettlementExternalAccept");

export const ClosePeriodInput = z
  .object({
    agreementId: z.string().min(1).max(64),
    /** Any China-time day inside the period to close; the previous period when absent. */
    day: Day.optional(),
  })
  .strict()
  .openapi("SettlementCloseInput");

const Hash = z.string().regex(/^[0-9a-f]{64}$/);

/** One ledger entry the statement counts: a sale (the order's first issuance), a refund, or a money compensation. */
export const SettlementEntry = z.object({
  seq: z.number().int().positive(),
  hash: Hash,
  kind: z.enum(["sale", "refund", "compensation"]),
  agreementId: z.string(),
  productId: z.string(),
  orderId: z.string().nullable(),
  voucherId: z.string(),
  occurredAt: z.string(),
  /** Negative (with amountCents) on a refund the gateway refused after it was counted: it answers that refund. */
  units: z.number().int(),
  amountCents: Cents,
});
export type SettlementEntry = z.infer<typeof SettlementEntry>;

export const SettlementTotals = z.object({
  units: z.number().int(),
  refundedUnits: z.number().int(),
  grossCents: Cents,
  refundCents: Cents,
  compensationCents: Cents,
  netCents: Cents,
  issuerShareCents: Cents,
  sellerCents: Cents,
});
export type SettlementTotals = z.infer<typeof SettlementTotals>;

export const SettlementLine = SettlementTotals.extend({ agreementId: z.string(), productId: z.string(), productName: z.string() });
export type SettlementLine = z.infer<typeof SettlementLine>;

export const SettlementTerms = z.object({
  agreementId: z.string(),
  productId: z.string(),
  productName: z.string(),
  share: SettlementShare,
  effectiveFrom: Day,
  effectiveTo: Day.nullable(),
});
export type SettlementTerms = z.infer<typeof SettlementTerms>;

/** The signed body: everything a party needs to recompute the totals and to tie them to the seller's ledger. */
export const SettlementStatementBody = z.object({
  format: z.literal("kaquan-settlement/1"),
  statementId: z.string(),
  currency: z.literal("CNY"),
  seller: z.object({ tenantId: z.string(), name: z.string() }),
  issuer: z.object({ kind: z.enum(["tenant", "external"]), id: z.string(), name: z.string() }),
  period: z.object({ kind: SettlementPeriodKind, start: Day, end: Day, fromUtc: z.string(), toUtc: z.string() }),
  /** The seller's ledger entries the statement covers: seq afterSeq+1 … toSeq, and the chain hash at toSeq. */
  ledger: z.object({ tenantId: z.string(), afterSeq: z.number().int().nonnegative(), toSeq: z.number().int().nonnegative(), headHash: Hash }),
  agreements: z.array(SettlementTerms),
  entries: z.array(SettlementEntry),
  lines: z.array(SettlementLine),
  totals: SettlementTotals,
  closedAt: z.string(),
});
export type SettlementStatementBody = z.infer<typeof SettlementStatementBody>;

export const SettlementSignature = z.object({ alg: z.literal("Ed25519"), keyId: z.string(), publicKey: z.string(), value: z.string() });
export type SettlementSignature = z.infer<typeof SettlementSignature>;

export const SettlementStatement = SettlementStatementBody.extend({ signature: SettlementSignature }).openapi("SettlementStatement");
export type SettlementStatement = z.infer<typeof SettlementStatement>;

export const SettlementStatementSummary = z
  .object({
    id: z.string(),
    role: z.enum(["seller", "issuer"]),
    seller: z.object({ tenantId: z.string(), name: z.string() }),
    issuer: z.object({ kind: z.enum(["tenant", "external"]), id: z.string(), name: z.string() }),
    periodKind: SettlementPeriodKind,
    periodStart: Day,
    periodEnd: Day,
    totals: SettlementTotals,
    closedAt: z.string(),
  })
  .openapi("SettlementStatementSummary");

export const SettlementPublicKey = z
  .object({ alg: z.literal("Ed25519"), keyId: z.string(), publicKey: z.string().describe("raw 32-byte key, base64url") })
  .openapi("SettlementPublicKey");
