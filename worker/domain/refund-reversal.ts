/**
 * Ledger actions (voucher_compensated) answering a refund the gateway refused after it was recorded
 * (services/refund-reversal.ts); amountCents is negative: the money that did not go back, which settlement counts back.
 */
/** A right the refund took is given back: answers its refund entry. */
export const REFUND_REVERSED = "refund_reversed";
/** A money-only refund (units 0) refused: answers its money_refund entry. */
export const MONEY_REFUND_REVERSED = "money_refund_reversed";
