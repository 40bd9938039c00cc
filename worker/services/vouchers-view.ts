import type { Voucher } from "../../schema/vouchers";
import { openSecret } from "../domain/secret-box";
import { toVoucher, type VoucherRow } from "../db/vouchers";

/** What the holder's views add from the voucher's product: how to use it, and where (适用范围). */
export type ProductNotes = { tutorial: string; scope: string };

export function withNotes(v: Voucher, notes: ProductNotes): Voucher {
  return { ...v, ...notes };
}

/** The holder's own view: adds the decrypted secret. Call only after checking the caller holds the voucher. */
export async function revealVoucher(env: Pick<Env, "CARD_KEY_ENCRYPTION_KEY">, row: VoucherRow, notes?: ProductNotes): Promise<Voucher> {
  const v = toVoucher(row);
  if (row.secret_enc) v.secret = await openSecret(env.CARD_KEY_ENCRYPTION_KEY, row.secret_enc);
  return notes ? { ...v, ...notes } : v;
}
