import type { Validity } from "../../schema/catalog";

/** The window a right issued at `issuedAt` is valid in: the product's fixed window, or N days from issue. */
export function validityWindow(validity: Validity | null, issuedAt: Date): { validFrom: string; validTo: string | null } {
  if (!validity) return { validFrom: issuedAt.toISOString(), validTo: null };
  if (validity.kind === "fixed") return { validFrom: validity.validFrom, validTo: validity.validTo };
  return { validFrom: issuedAt.toISOString(), validTo: new Date(issuedAt.getTime() + validity.days * 86_400_000).toISOString() };
}

/** A fixed validity whose end has passed: nothing sold now could still be used. */
export const validityEnded = (v: Validity | null | undefined, now = Date.now()) => v?.kind === "fixed" && Date.parse(v.validTo) <= now;
