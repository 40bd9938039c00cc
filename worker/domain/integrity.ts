// A brand's integrity score from its rates. Pure, so the weights are visible and testable in one place.

export interface IntegrityInputs {
  vouchersIssued: number;
  complaints: number;
  compensated: number;
  redemptionAttempts: number;
  redemptionSuccesses: number;
}

/**
 * Refusals that count against the brand: a genuine voucher of this brand, presented in full, turned away by its own
 * state or terms. Everything else is left out: a merchant's input slip (no order amount, an unknown or mistyped code),
 * a basket below a coupon's threshold (the rule working as sold), a second try on a used voucher, a refunded voucher
 * or a direct recharge already credited. A positive list, so a new refusal code does not count until decided here.
 */
export const INTEGRITY_COUNTED_REFUSALS = ["voucher_expired", "voucher_not_yet_valid", "voucher_voided", "store_not_allowed"] as const;

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/**
 * score = 100 × (0.4 × complaint health + 0.3 × redemption success + 0.3 × compensation), where complaint health
 * falls to 0 at a 10% complaint rate, and a brand with no complaints (or no redemptions yet) gets full marks there.
 */
export function integrity(i: IntegrityInputs) {
  const complaintRate = ratio(i.complaints, i.vouchersIssued);
  const compensationRate = ratio(i.compensated, i.complaints);
  const redemptionSuccessRate = i.redemptionAttempts > 0 ? ratio(i.redemptionSuccesses, i.redemptionAttempts) : 1;
  const complaintHealth = Math.max(0, 1 - complaintRate * 10);
  const compensation = i.complaints > 0 ? compensationRate : 1;
  const score = Math.round(100 * (0.4 * complaintHealth + 0.3 * redemptionSuccessRate + 0.3 * compensation));
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    complaintRate: round(complaintRate),
    compensationRate: round(i.complaints > 0 ? compensationRate : 0),
    redemptionSuccessRate: round(redemptionSuccessRate),
    score,
  };
}
