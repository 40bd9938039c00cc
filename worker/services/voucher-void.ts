import type { Voucher } from "../../schema/vouchers";
import { getVoucherByCode, setVoucherStatus, toVoucher } from "../db/vouchers";
import { ApiError } from "../errors";
import { emitEvent } from "../queue/emit";
import { recordVoucherLedgerSoon } from "./voucher-ledger";

/** A brand voids an issued voucher (e.g. issued by mistake): issued → voided, ledger entry and event. */
export async function voidVoucher(env: Env, tenantId: string, code: string, reason: string, apiKeyId: string): Promise<Voucher> {
  const v = await getVoucherByCode(env.DB, tenantId, code);
  if (!v) throw ApiError.notFound("Voucher");
  const row = await setVoucherStatus(env.DB, tenantId, v.id, ["issued"], "voided");
  if (!row) throw ApiError.conflict("voucher_not_voidable", `A ${v.status} voucher cannot be voided`);
  await recordVoucherLedgerSoon(env, tenantId, [{ voucher: row, kind: "void", occurredAt: row.status_changed_at ?? undefined, payload: { reason } }]);
  await emitEvent(env, {
    tenantId,
    type: "voucher_voided",
    actor: { apiKeyId, userId: row.holder_id },
    payload: { voucherId: row.id, productId: row.product_id, kind: row.kind, reason },
  });
  return toVoucher(row);
}
