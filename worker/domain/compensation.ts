// Limits of automatic compensation. Pure: the service counts, these decide.
import type { CompensationPolicy } from "../../schema/compensation";

export const COMPENSATION = {
  /** Default of max_replacements: automatic replacements per original voucher. */
  maxReplacements: 1,
  /** One holder reporting vouchers of this many distinct orders within the window raises a risk flag. */
  reportOrders: 3,
  reportWindowDays: 30,
} as const;

export type Escalation = "replacement_limit";

/**
 * The policy a new report is handled by. `replacedBefore` is how many replacements lead from the original voucher to
 * the reported one: past the limit, a person decides (the complaint waits in the brand's queue).
 */
export function reportPolicy(
  policy: CompensationPolicy,
  replacedBefore: number,
  maxReplacements: number,
): { policy: CompensationPolicy; escalation: Escalation | null } {
  if (policy === "replace" && replacedBefore >= maxReplacements) return { policy: "manual", escalation: "replacement_limit" };
  return { policy, escalation: null };
}

export const repeatReporter = (distinctOrders: number) => distinctOrders >= COMPENSATION.reportOrders;
