import { z } from "@hono/zod-openapi";

/**
 * Daily reconciliation (对账, issue 21 item 2): a run per (source, day) compares our books with the counterparty's
 * statement; each difference is an item an operator resolves with a note. source = payment:<provider> (sandbox,
 * wechatpay, alipay) or supplier:<supplier id>; day = YYYY-MM-DD in China time.
 */
export const ReconDay = z.iso.date().openapi({ description: "A day in China time (UTC+8), YYYY-MM-DD", example: "2026-11-30" });
export const ReconSource = z
  .string()
  .regex(/^(payment:[a-z0-9_]{1,32}|supplier:[\w.:-]{1,64})$/, "payment:<provider> or supplier:<supplier id>")
  .openapi({ example: "payment:wechatpay" });
export const MismatchKind = z.enum(["missing_ours", "missing_theirs", "amount_mismatch", "duplicate_ours", "duplicate_theirs"]);

const Tally = z.object({ count: z.number().int(), cents: z.number().int() });
export const ReconTotals = z
  .object({
    ours: Tally,
    theirs: Tally.extend({ feeCents: z.number().int() }),
    matched: Tally,
    missingOurs: Tally,
    missingTheirs: Tally,
    amountMismatch: Tally.extend({ ourCents: z.number().int(), theirCents: z.number().int() }),
    duplicateOurs: Tally,
    duplicateTheirs: Tally,
    differenceCents: z.number().int(),
  })
  .openapi("ReconTotals");

export const ReconRun = z
  .object({
    id: z.string(),
    source: z.string(),
    day: z.string(),
    trigger: z.enum(["cron", "api", "upload"]),
    status: z.enum(["done", "failed"]),
    error: z.string().nullable(),
    totals: ReconTotals.nullable(),
    openItems: z.number().int(),
    /** How many times this (source, day) was run; a rerun replaces the open items. */
    runs: z.number().int(),
    startedAt: z.string(),
    finishedAt: z.string(),
  })
  .openapi("ReconRun");
export type ReconRun = z.infer<typeof ReconRun>;

export const ReconItem = z
  .object({
    id: z.string(),
    runId: z.string(),
    kind: MismatchKind,
    side: z.enum(["payment", "refund", "delivery"]),
    ref: z.string(),
    externalRef: z.string().nullable(),
    ourCents: z.number().int().nullable(),
    theirCents: z.number().int().nullable(),
    detail: z.string(),
    status: z.enum(["open", "resolved"]),
    note: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("ReconItem");
export type ReconItem = z.infer<typeof ReconItem>;

export const ReconRunList = z.object({ runs: z.array(ReconRun) }).openapi("ReconRunList");
export const ReconRunDetail = z.object({ run: ReconRun, items: z.array(ReconItem) }).openapi("ReconRunDetail");

export const ReconRunsQuery = z.object({
  day: ReconDay.optional(),
  source: ReconSource.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Run now: one source, or every source the tenant has (its payment providers and active suppliers). */
export const ReconRunInput = z.object({ day: ReconDay, source: ReconSource.optional() }).strict();

/** An operator's upload of a provider's bill for a day, in the provider's own format (its parser reads it). */
export const ReconUploadInput = z
  .object({ day: ReconDay, provider: z.string().regex(/^[a-z0-9_]{1,32}$/), statement: z.string().min(1).max(5_000_000) })
  .strict();

export const ReconResolveInput = z.object({ note: z.string().trim().min(1).max(1000) }).strict();
