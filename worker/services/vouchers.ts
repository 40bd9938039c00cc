/**
 * Vouchers: the one way a right reaches a holder. Orders, flash-sale claims, lottery prizes all end here.
 *
 *   issueVoucher(env, { tenantId, holderId, productId, sourceKey: "claim:<id>", campaignId? })
 *
 * is idempotent by sourceKey (a repeat returns the first voucher with created=false), binds a card key when given
 * one, generates a coupon code for coupon products, and computes the validity window from the product.
 * Secrets are stored encrypted; `revealVoucher` decrypts for the holder's own view only.
 */
import { IssueVoucherInput, type Voucher } from "../../schema/vouchers";
import { couponCode } from "../domain/codes";
import { newId, randomToken } from "../domain/crypto";
import { sealSecret, secretHash } from "../domain/secret-box";
import { validityWindow } from "../domain/validity";
import { cardKeyOfProduct, findLoopKey, takeKeyForSourceStmt, type CardKeyRef } from "../db/card-keys";

export type { CardKeyRef };
import { getProductRow, rowValidity, sellOneForSourceStmt, type ProductRow } from "../db/products";
import { getVoucherBySource, insertVoucherStmt, toVoucher, type NewVoucherRow, type VoucherRow } from "../db/vouchers";
import { ApiError } from "../errors";
import type { SqlGuard } from "../db/statements";
import { eventRows, scheduleDispatch } from "../queue/emit";

/** Public handle of a voucher: unguessable, safe in URLs and events (it is not the secret). */
export const newVoucherCode = () => `vc_${randomToken(24)}`;

/** Keyed hash of a presented card key / coupon code, for redemption look-ups (see getVouchersBySecretHashes). */
export function voucherSecretHash(env: Pick<Env, "CARD_KEY_ENCRYPTION_KEY">, tenantId: string, secret: string) {
  return secretHash(env.CARD_KEY_ENCRYPTION_KEY, tenantId, secret);
}

/** Builds the row to insert; `cardKey` carries an already-encrypted secret (copied as is, never decrypted here). */
export async function buildVoucherRow(
  env: Pick<Env, "CARD_KEY_ENCRYPTION_KEY">,
  input: ReturnType<typeof IssueVoucherInput.parse>,
  product: ProductRow,
  cardKey: CardKeyRef | null,
  now = new Date(),
): Promise<NewVoucherRow> {
  let secretEnc: string | null = null;
  let hash: string | null = null;
  if (cardKey) {
    secretEnc = cardKey.secret_enc;
    hash = cardKey.secret_hash;
  } else if (product.kind === "coupon") {
    const code = couponCode();
    secretEnc = await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, code);
    hash = await voucherSecretHash(env, input.tenantId, code);
  }
  const meta = cardKey?.reusable ? { ...input.meta, loopKeyId: cardKey.id } : input.meta;
  const window = validityWindow(rowValidity(product), now);
  return {
    id: newId("vch"),
    tenant_id: input.tenantId,
    holder_id: input.holderId,
    product_id: product.id,
    kind: product.kind,
    order_id: input.orderId,
    campaign_id: input.campaignId,
    source_key: input.sourceKey,
    code: newVoucherCode(),
    secret_enc: secretEnc,
    secret_hash: hash,
    card_key_id: cardKey && !cardKey.reusable ? cardKey.id : null,
    title: product.name,
    face_value_cents: product.face_value_cents,
    valid_from: window.validFrom,
    valid_to: window.validTo,
    meta: JSON.stringify(meta),
  };
}

export interface IssuedVoucher {
  voucher: Voucher;
  created: boolean;
}

/**
 * Issues a right to a holder, once per sourceKey. For card-key products pass `cardKeyId` of a key already taken
 * for this holder (see reserveCardKeys in worker/db/card-keys.ts); coupon codes are generated here.
 */
export async function issueVoucher(env: Env, raw: IssueVoucherInput): Promise<IssuedVoucher> {
  const input = IssueVoucherInput.parse(raw);
  const existing = await getVoucherBySource(env.DB, input.tenantId, input.sourceKey);
  if (existing) return { voucher: toVoucher(existing), created: false };
  const product = await getProductRow(env.DB, input.tenantId, input.productId);
  if (!product) throw ApiError.notFound("Product");
  let cardKey: CardKeyRef | null = null;
  if (input.cardKeyId) {
    cardKey = await cardKeyOfProduct(env.DB, input.tenantId, input.cardKeyId, product.id);
    if (!cardKey) throw ApiError.notFound("Card key");
  } else if (product.kind === "card_key") {
    cardKey = await takeKeyForSource(env.DB, input.tenantId, product.id, input.sourceKey);
    if (!cardKey) throw ApiError.conflict("sold_out", "No card key left for this product");
  }
  const row = await buildVoucherRow(env, input, product, cardKey);
  let res: D1Result;
  if (!cardKey && product.kind !== "bundle" && product.kind !== "card_key") {
    // Counter stock (coupon, recharge): count the sale and insert in one transaction, only if there is stock left
    // and this source has no voucher yet (changes() is the row count of the statement just before).
    const [taken, inserted] = await env.DB.batch([
      sellOneForSourceStmt(env.DB, input.tenantId, product.id, input.sourceKey),
      insertVoucherStmt(env.DB, row, { sql: "changes() = 1", args: [] }),
      ...eventRows(env, [voucherIssuedEvent(row)], voucherInserted(row)),
    ]);
    if (taken!.meta.changes === 0 && !(await getVoucherBySource(env.DB, input.tenantId, input.sourceKey))) {
      throw ApiError.conflict("sold_out", "No stock left for this product");
    }
    res = inserted!;
  } else {
    try {
      [res] = (await env.DB.batch([insertVoucherStmt(env.DB, row), ...eventRows(env, [voucherIssuedEvent(row)], voucherInserted(row))])) as [D1Result];
    } catch (e) {
      // A concurrent call for the same source won the race on the key's own unique index: return its voucher.
      const winner = await getVoucherBySource(env.DB, input.tenantId, input.sourceKey);
      if (!winner) throw e;
      return { voucher: toVoucher(winner), created: false };
    }
  }
  const stored = (await getVoucherBySource(env.DB, input.tenantId, input.sourceKey))!;
  const created = res.meta.changes > 0;
  if (created) await scheduleDispatch(env);
  return { voucher: toVoucher(stored), created };
}

/**
 * A one-shot key for a right issued outside an order (claim, prize), marked with the source key so a retry finds the
 * same key and a concurrent duplicate cannot take a second one. Falls back to a reusable key.
 */
async function takeKeyForSource(db: D1Database, tenantId: string, productId: string, sourceKey: string): Promise<CardKeyRef | null> {
  return (await takeKeyForSourceStmt(db, tenantId, productId, sourceKey)) ?? findLoopKey(db, tenantId, productId);
}

/** Holds inside a batch once this voucher row is in place (its id is fresh, so only the insert of this call puts it there). */
export const voucherInserted = (v: Pick<VoucherRow, "tenant_id" | "id">): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM vouchers WHERE tenant_id = ? AND id = ?)",
  args: [v.tenant_id, v.id],
});

/** voucher_issued, id derived from the voucher: recorded once however often the issuing batch is repeated. */
export function voucherIssuedEvent(
  v: Pick<VoucherRow, "tenant_id" | "holder_id" | "id" | "product_id" | "kind" | "order_id" | "campaign_id" | "face_value_cents">,
  extra: { replaces?: string } = {},
) {
  return {
    eventId: `evi_${v.id}`,
    tenantId: v.tenant_id,
    type: "voucher_issued" as const,
    actor: { userId: v.holder_id },
    payload: {
      voucherId: v.id,
      productId: v.product_id,
      kind: v.kind,
      orderId: v.order_id,
      campaignId: v.campaign_id,
      faceValueCents: v.face_value_cents,
      ...extra,
    },
  };
}

export { revealVoucher } from "./vouchers-view";
