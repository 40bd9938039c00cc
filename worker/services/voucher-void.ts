import type { Voucher } from "../../schema/vouchers";
import { getVoucherByCode, setVoucherStatus, toVoucher, voucherIs } from "../db/vouchers";
import { ApiError } from "../errors";
import { eventRows } from "../queue/emit";

/** A brand voids an issued voucher (e.g. issued by mistake): issued → voided with its event (→ ledger) in one batch. */
export async function voidVoucher(env: Env, tenantId: string, code: string, reason: string, apiKeyId: string): Promise<Voucher> {
  const v = await getVoucherByCode(env.DB, tenantId, code);
  if (!v) throw ApiError.notFound("Voucher");
  const event = {
    eventId: `evv_${v.id}`,
    tenantId,
    type: "voucher_voided" as const,
    actor: { apiKeyId, userId: v.holder_id },
    payload: { voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind, reason },
  };
  const row = await setVoucherStatus(env.DB, tenantId, v.id, ["issued"], "voided", eventRows(env, [event], voucherIs(tenantId, v.id, "voided")));
  if (!row) throw ApiError.conflict("voucher_not_voidable", `A ${v.status} voucher cannot be voided`);
  return toVoucher(row);
}
