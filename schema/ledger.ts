import { z } from "@hono/zod-openapi";

/** What a provenance ledger entry records. Payloads never carry card keys, coupon codes or phone numbers. */
/** redemption_reversal: a store undid a redemption (撤销核销); the voucher's next redemption is a step of its own. */
export const LEDGER_KINDS = ["issuance", "delivery", "redemption", "void", "refund", "expiry", "compensation", "redemption_reversal"] as const;
export const LedgerKind = z.enum(LEDGER_KINDS).openapi("LedgerKind");
export type LedgerKind = z.infer<typeof LedgerKind>;

const Hash = z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits");
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const LedgerPayload = z.record(z.string(), Scalar);

/** What a service asks the ledger to append; the tenant's ledger object assigns seq and hashes. */
export const LedgerEntryDraft = z.object({
  kind: LedgerKind,
  /** The voucher (or other right) the entry is about. */
  subjectId: z.string().min(1).max(64),
  /** The public, non-secret code a holder can show for verification. */
  publicCode: z.string().max(64).nullable().optional(),
  batch: z.string().max(64).nullable().optional(),
  channel: z.string().max(64).nullable().optional(),
  occurredAt: z.iso.datetime(),
  payload: LedgerPayload.optional(),
  /** Makes the append idempotent: a second draft with the same key is not appended again. */
  dedupeKey: z.string().min(1).max(160),
});
export type LedgerEntryDraft = z.infer<typeof LedgerEntryDraft>;

export const LedgerEntry = z
  .object({
    tenantId: z.string(),
    seq: z.number().int().positive(),
    kind: LedgerKind,
    subjectId: z.string(),
    publicCode: z.string().nullable(),
    batch: z.string().nullable(),
    channel: z.string().nullable(),
    occurredAt: z.string(),
    payload: LedgerPayload,
    prevHash: Hash,
    hash: Hash,
  })
  .openapi("LedgerEntry");
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const LedgerCheckpoint = z
  .object({
    tenantId: z.string(),
    seqFrom: z.number().int().positive(),
    seqTo: z.number().int().positive(),
    headHash: Hash,
    merkleRoot: Hash,
    createdAt: z.string(),
  })
  .openapi("LedgerCheckpoint");
export type LedgerCheckpoint = z.infer<typeof LedgerCheckpoint>;

export const LedgerHead = z.object({ seq: z.number().int().nonnegative(), hash: Hash }).openapi("LedgerHead");
export type LedgerHead = z.infer<typeof LedgerHead>;

/** What GET /ledger/export returns and scripts/verify-ledger.ts reads. */
export const LedgerExport = z
  .object({
    format: z.literal("kaquan-ledger/1"),
    tenantId: z.string(),
    exportedAt: z.string(),
    /** The head as held by the tenant's ledger object, independently of the exported rows. */
    head: LedgerHead.nullable(),
    entries: z.array(LedgerEntry),
    checkpoints: z.array(LedgerCheckpoint),
  })
  .openapi("LedgerExport");
export type LedgerExport = z.infer<typeof LedgerExport>;

export const LEDGER_PROBLEMS = [
  "edited",
  "deleted",
  "reordered",
  "broken_link",
  "foreign_tenant",
  "checkpoint_mismatch",
  "head_mismatch",
  "truncated",
  // Rows planted in D1 past the ledger object's head, set aside when it next appended (ledger_quarantine).
  "quarantined",
] as const;
export const LedgerFinding = z.object({ seq: z.number().int(), problem: z.enum(LEDGER_PROBLEMS), detail: z.string() });
export type LedgerFinding = z.infer<typeof LedgerFinding>;

export const LedgerVerification = z
  .object({
    ok: z.boolean(),
    entries: z.number().int(),
    headSeq: z.number().int(),
    headHash: z.string(),
    findings: z.array(LedgerFinding),
  })
  .openapi("LedgerVerification");

const MerkleStep = z.object({ side: z.enum(["left", "right"]), hash: Hash });

/** Public provenance of one voucher, by its public code: no secret, no holder identity. */
export const VoucherProvenance = z
  .object({
    publicCode: z.string(),
    brand: z.object({ slug: z.string(), name: z.string() }),
    status: z.string(),
    batch: z.string().nullable(),
    channel: z.string().nullable(),
    issuedAt: z.string().nullable(),
    redeemedAt: z.string().nullable(),
    history: z.array(
      LedgerEntry.pick({ seq: true, kind: true, occurredAt: true, prevHash: true, hash: true }).extend({
        /** Present once a checkpoint covers the entry: proves it is part of that published Merkle root. */
        proof: z
          .object({ checkpoint: LedgerCheckpoint.pick({ seqFrom: true, seqTo: true, merkleRoot: true, createdAt: true }), path: z.array(MerkleStep) })
          .nullable(),
        /** Its hash recomputed from its fields matches, no finding names it, and its stretch of the chain matches the ledger object's copy. */
        verified: z.boolean(),
      }),
    ),
    /**
     * The server's check of the rows shown: every entry in the stretches holding this voucher's entries is re-hashed
     * from its fields and re-linked, and checked against the checkpoints and head kept by the brand's ledger object
     * (apart from D1) and against the published checkpoints. ok false means "does not verify"; findings say where.
     */
    verification: z.object({
      ok: z.boolean(),
      entriesChecked: z.number().int(),
      checkpointsChecked: z.number().int(),
      findings: z.array(LedgerFinding),
    }),
  })
  .openapi("VoucherProvenance");
export type VoucherProvenance = z.infer<typeof VoucherProvenance>;
