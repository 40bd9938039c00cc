import type { Voucher } from "../../schema/vouchers";
import { openSecret } from "../domain/secret-box";
import { toVoucher, type VoucherRow } from "../db/vouchers";

export function withTutorial(v: Voucher, tutorial: string): Voucher {
  return { ...v, tutorial };
}

/** The holder's own view: adds the decrypted secret. Call only after checking the caller holds the voucher. */
export async function revealVoucher(env: Pick<Env, "CARD_KEY_ENCRYPTION_KEY">, row: VoucherRow, tutorial?: string): Promise<Voucher> {
  const v = toVoucher(row);
  if (row.secret_enc) v.secret = await openSecret(env.CARD_KEY_ENCRYPTION_KEY, row.secret_enc);
  if (tutorial !== undefined) v.tutorial = tutorial;
  return v;
}
