import { z } from "@hono/zod-openapi";
import { Challenge } from "./risk";
import { SupplierCancelAsk } from "./suppliers";

/** The one error shape every API response uses. */
export const ErrorIssue = z.object({
  path: z.string().openapi({ example: "json.priceCents" }),
  message: z.string(),
  code: z.string(),
  /** Copy lint: the character offset of the words in the field's text. */
  position: z.number().int().optional(),
});

export type ErrorIssue = z.infer<typeof ErrorIssue>;

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_failed" }),
      message: z.string(),
      requestId: z.string(),
      issues: z.array(ErrorIssue).optional(),
      challenge: Challenge.optional().openapi({ description: "403 challenge_required / challenge_invalid: what to solve before retrying" }),
      cancelAsks: z.array(SupplierCancelAsk).optional().openapi({ description: "409 supplier_cannot_cancel / supplier_cancel_unanswered: what each supplier still waited on answered the cancel request" }),
    }),
  })
  .openapi("Error");

export type ErrorBody = z.infer<typeof ErrorBody>;

/** Builds the error body: the only place it is assembled (worker, claim fast path, redemptions, warehouse). */
export function errorBody(code: string, message: string, requestId: string, issues?: ErrorIssue[], detail?: Record<string, unknown>): ErrorBody {
  return { error: { ...detail, code, message, requestId, ...(issues?.length ? { issues } : {}) } };
}
