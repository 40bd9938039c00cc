// Whether a voucher may be redeemed here and now. Pure: the service loads the rows and applies the verdict.
import type { VoucherStatus } from "../../schema/vouchers";

export interface Refusal {
  status: 404 | 409 | 422;
  code: string;
  message: string;
}

export interface RedeemContext {
  voucher: { status: VoucherStatus; validFrom: string; validTo: string | null; kind?: string };
  /** Stores the product is limited to; empty = any store. */
  allowedStoreIds: string[];
  storeId: string;
  /** Coupon threshold (满 X 可用); 0 or null = none. */
  thresholdCents: number | null;
  orderAmountCents: number | undefined;
  now: Date;
}

const STATUS_REFUSALS: Partial<Record<VoucherStatus, Refusal>> = {
  expired: { status: 409, code: "voucher_expired", message: "该券已过期 / The voucher has expired" },
  voided: { status: 409, code: "voucher_voided", message: "该券已作废 / The voucher was voided" },
  refunded: { status: 409, code: "voucher_refunded", message: "该券已退款 / The voucher was refunded" },
};

/** null = redeemable. An already redeemed voucher is answered by the caller, with when and where. */
export function redeemRefusal(ctx: RedeemContext): Refusal | null {
  const refusal = STATUS_REFUSALS[ctx.voucher.status];
  if (refusal) return refusal;
  // A direct recharge was credited at delivery; there is nothing left to hand over at a counter.
  if (ctx.voucher.kind === "direct_recharge") {
    return { status: 409, code: "voucher_not_redeemable", message: "直充权益已到账，无需核销 / A direct recharge is not redeemed at a store" };
  }
  const now = ctx.now.getTime();
  if (now < Date.parse(ctx.voucher.validFrom)) {
    return { status: 409, code: "voucher_not_yet_valid", message: `该券 ${ctx.voucher.validFrom} 起可用 / Valid from ${ctx.voucher.validFrom}` };
  }
  if (ctx.voucher.validTo && now > Date.parse(ctx.voucher.validTo)) {
    return { status: 409, code: "voucher_expired", message: `该券已于 ${ctx.voucher.validTo} 过期 / Expired at ${ctx.voucher.validTo}` };
  }
  if (ctx.allowedStoreIds.length > 0 && !ctx.allowedStoreIds.includes(ctx.storeId)) {
    return { status: 409, code: "store_not_allowed", message: "该券不适用于本门店 / Not valid at this store" };
  }
  if (ctx.thresholdCents) {
    if (ctx.orderAmountCents === undefined) {
      return { status: 422, code: "order_amount_required", message: "满减券需填写消费金额 / Enter the purchase amount for this coupon" };
    }
    if (ctx.orderAmountCents < ctx.thresholdCents) {
      return {
        status: 409,
        code: "threshold_not_met",
        message: `消费满 ${(ctx.thresholdCents / 100).toFixed(2)} 元可用 / Needs a purchase of at least ¥${(ctx.thresholdCents / 100).toFixed(2)}`,
      };
    }
  }
  return null;
}

/** Whether a voucher past its window should be marked expired when someone tries it. */
export function isPastValidity(v: { status: VoucherStatus; validTo: string | null }, now: Date): boolean {
  return v.status === "issued" && v.validTo !== null && now.getTime() > Date.parse(v.validTo);
}
