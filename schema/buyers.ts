import { z } from "@hono/zod-openapi";
import { Acquisition } from "./acquisition";
import { SignInConsent } from "./privacy";

/** Mainland China mobile numbers, optionally with +86. */
export const Phone = z
  .string()
  .trim()
  .transform((s) => s.replace(/^\+?86/, "").replace(/[\s-]/g, ""))
  .pipe(z.string().regex(/^1[3-9]\d{9}$/, "a mainland mobile number (11 digits starting 1)"));

export const OtpRequestInput = z.object({ phone: Phone }).strict().openapi("OtpRequestInput");
export const OtpVerifyInput = z
  .object({
    phone: Phone,
    code: z.string().regex(/^\d{6}$/, "6 digits"),
    /** Used only when this sign-in creates the buyer (no session yet, a new phone number). */
    acquisition: Acquisition.optional(),
    /** Agreement to the personal information rules (required) and the optional marketing opt-in; recorded in D1. */
    consent: SignInConsent,
  })
  .strict()
  .openapi("OtpVerifyInput");

export const Buyer = z
  .object({
    id: z.string(),
    /** member: created from a brand's signed member token (README "Brand member tokens"). */
    kind: z.enum(["phone", "guest", "member"]),
    phoneMasked: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Buyer");
export type Buyer = z.infer<typeof Buyer>;
