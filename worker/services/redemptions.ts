/**
 * Redemption (核销) by a merchant's redeemer key: idempotent per Idempotency-Key, exactly-once per voucher under
 * concurrency (see redeemAtomically), scoped to the key's tenant, recorded in the ledger and as events, and
 * watched by frequency monitoring.
 */
import { redemptionEarnStmts } from "./points";
import { actionGrowthStmts } from "./membership";
import { errorBody } from "../../schema/errors";
import type { AlreadyRedeemed, RedeemInput, RedeemRefusal, RefusedVoucher, Redemption } from "../../schema/redemptions";
import { ProductConfig } from "../../schema/catalog";
import { typedCodeCandidates } from "../domain/codes";
import { newId, sha256Hex } from "../domain/crypto";
import { canonicalJson } from "../domain/ledger";
import { isPastValidity, redeemRefusal, type Refusal } from "../domain/redemption";
import { getProductRow } from "../db/products";
import {
  findByIdempotencyKey,
  insertFailedAttempt,
  redeemAtomically,
  successfulRedemption,
  type NewRedemptionRow,
  type RedemptionRow,
} from "../db/redemptions";
import { getKeySettings, getStore, listStores, productStoreIds } from "../db/stores";
import { getVoucherByCode, getVouchersBySecretHashes, setVoucherStatus, voucherIs, type VoucherRow } from "../db/vouchers";
import { ApiError } from "../errors";
import { eventRows } from "../queue/emit";
import { voucherSecretHash } from "./vouchers";
import { watchRedemption } from "./redemption-monitor";
import { assertNotBlocked } from "./risk-gate";

export interface RedeemCaller {
  tenantId: string;
  apiKeyId: string;
  ip: string;
}

/** What the route answers: a status and a JSON body (success, refusal, or already-redeemed with when/where). */
export interface RedeemOutcome {
  status: 200 | 404 | 409 | 422;
  body: Redemption | AlreadyRedeemed | RedeemRefusal;
  replayed: boolean;
}

const replay = (row: RedemptionRow): RedeemOutcome => ({
  status: row.http_status as RedeemOutcome["status"],
  body: JSON.parse(row.response) as RedeemOutcome["body"],
  replayed: true,
});

/**
 * The voucher of a typed coupon code or card key: tried as the canonical coupon code (so "858j b5z8 dvsu dfzz" and
 * "858JB5Z8DVSUDFZZ" find 858J-B5Z8-DVSU-DFZZ), as typed, and in upper case; the first form that is stored wins.
 */
export async function voucherByTypedSecret(env: Pick<Env, "DB" | "CARD_KEY_ENCRYPTION_KEY">, tenantId: string, typed: string): Promise<VoucherRow | null> {
  const hashes = await Promise.all(typedCodeCandidates(typed).map((c) => voucherSecretHash(env, tenantId, c)));
  const rows = await getVouchersBySecretHashes(env.DB, tenantId, hashes);
  for (const h of hashes) {
    const row = rows.find((r) => r.secret_hash === h);
    if (row) return row;
  }
  return null;
}

export async function redeem(
  env: Env,
  caller: RedeemCaller,
  input: RedeemInput,
  idempotencyKey: string,
  requestId: string,
  ctx?: Pick<ExecutionContext, "waitUntil">,
): Promise<RedeemOutcome> {
  const { tenantId, apiKeyId } = caller;
  const requestHash = await sha256Hex(canonicalJson(input));
  // Independent look-ups in parallel: each is a D1 round trip.
  const [settings, prior, voucher] = await Promise.all([
    getKeySettings(env.DB, tenantId, apiKeyId),
    findByIdempotencyKey(env.DB, tenantId, apiKeyId, idempotencyKey),
    // Tenant-scoped look-ups: another brand's code is simply not found.
    input.code
      ? getVoucherByCode(env.DB, tenantId, input.code)
      : voucherByTypedSecret(env, tenantId, input.secret!),
  ]);
  if (settings.suspendedAt) {
    throw new ApiError(403, "key_suspended", `此核销密钥已被暂停：${settings.suspendedReason ?? ""} / This redeemer key is suspended`);
  }
  if (prior) {
    if (prior.request_hash !== requestHash) throw ApiError.conflict("idempotency_mismatch", "This Idempotency-Key was used with another request");
    return replay(prior);
  }
  await assertNotBlocked(env, tenantId, "redemption", { ip: caller.ip, buyerId: voucher?.holder_id ?? null, campaignId: voucher?.campaign_id ?? null });

  const storeId = settings.storeId ?? input.storeId;
  if (!storeId) throw ApiError.badRequest("store_required", "storeId is required for a key not bound to a store");
  if (settings.storeId && input.storeId && input.storeId !== settings.storeId) {
    throw ApiError.forbidden("This redeemer key is bound to another store");
  }
  const store = await getStore(env.DB, tenantId, storeId);
  if (!store) throw ApiError.notFound("Store");

  const now = new Date();
  const base: Omit<NewRedemptionRow, "id" | "outcome" | "reason" | "http_status" | "response"> & { created_at: string } = {
    tenant_id: tenantId,
    api_key_id: apiKeyId,
    idempotency_key: idempotencyKey,
    request_hash: requestHash,
    voucher_id: null,
    voucher_code: null,
    holder_id: null,
    title: null,
    store_id: storeId,
    source_ip: caller.ip,
    created_at: now.toISOString(),
  };

  const fail = async (refusal: Refusal, v: VoucherRow | null, extra: Partial<AlreadyRedeemed> = {}): Promise<RedeemOutcome> => {
    const body = { ...errorBody(refusal.code, refusal.message, requestId), ...(v ? { voucher: refusedVoucher(v) } : {}), ...extra };
    const row = {
      ...base,
      id: newId("rdm"),
      outcome: "failed" as const,
      reason: refusal.code,
      http_status: refusal.status,
      response: JSON.stringify(body),
      voucher_id: v?.id ?? null,
      voucher_code: v?.code ?? null,
      holder_id: v?.holder_id ?? null,
      title: v?.title ?? null,
    };
    // The refusal's event with the attempt's row (derived from it: a concurrent twin that lost records nothing).
    const evented = eventRows(env, [{
      eventId: `evx_${row.id}`,
      tenantId,
      type: "voucher_redeem_failed",
      actor: { apiKeyId, userId: v?.holder_id ?? null },
      payload: { reason: refusal.code, storeId, voucherId: v?.id ?? null, productId: v?.product_id ?? null, campaignId: v?.campaign_id ?? null },
    }], { sql: "EXISTS (SELECT 1 FROM redemptions WHERE tenant_id = ? AND id = ?)", args: [tenantId, row.id] });
    if (!(await insertFailedAttempt(env.DB, row, evented))) {
      // A concurrent twin with the same key stored its outcome first: answer with that one.
      const stored = await findByIdempotencyKey(env.DB, tenantId, apiKeyId, idempotencyKey);
      if (stored) return replay(stored);
    }
    const watching = watchRedemption(env, { tenantId, apiKeyId, storeId, holderId: null, outcome: "failed", reason: refusal.code, now });
    if (ctx) ctx.waitUntil(watching);
    else await watching;
    return { status: refusal.status, body: body as RedeemOutcome["body"], replayed: false };
  };

  if (!voucher) return fail({ status: 404, code: "voucher_not_found", message: "未找到该券 / Voucher not found" }, null);

  if (voucher.status === "redeemed") return alreadyRedeemed(env, voucher, fail);
  const [product, allowedStoreIds] = await Promise.all([
    getProductRow(env.DB, tenantId, voucher.product_id),
    productStoreIds(env.DB, tenantId, voucher.product_id),
  ]);
  const config = ProductConfig.safeParse(JSON.parse(product?.config ?? "{}"));
  const coupon = config.success ? config.data.coupon : undefined;
  const refusal = redeemRefusal({
    voucher: { status: voucher.status, validFrom: voucher.valid_from, validTo: voucher.valid_to, kind: voucher.kind },
    allowedStoreIds,
    storeId,
    thresholdCents: coupon?.thresholdCents ?? null,
    orderAmountCents: input.orderAmountCents,
    now,
  });
  if (refusal) {
    if (isPastValidity({ status: voucher.status, validTo: voucher.valid_to }, now)) await expireVoucher(env, voucher);
    // Not valid here: the clerk can tell the holder where it is.
    if (refusal.code === "store_not_allowed") {
      const stores = (await listStores(env.DB, tenantId)).filter((s) => allowedStoreIds.includes(s.id)).map((s) => s.name);
      return fail(refusal, voucher, { voucher: { ...refusedVoucher(voucher), stores } });
    }
    return fail(refusal, voucher);
  }

  const redemption: Redemption = {
    id: newId("rdm"),
    voucherId: voucher.id,
    voucherCode: voucher.code,
    title: voucher.title,
    faceValueCents: voucher.face_value_cents,
    discountCents: coupon?.discountCents ?? null,
    storeId,
    storeName: store.name,
    apiKeyId,
    redeemedAt: base.created_at,
  };
  const succeeded = { sql: "EXISTS (SELECT 1 FROM redemptions WHERE tenant_id = ? AND id = ? AND outcome = 'succeeded')", args: [tenantId, redemption.id] };
  const won = await redeemAtomically(env.DB, {
    ...base,
    id: redemption.id,
    outcome: "succeeded",
    reason: null,
    http_status: 200,
    response: JSON.stringify(redemption),
    voucher_id: voucher.id,
    voucher_code: voucher.code,
    holder_id: voucher.holder_id,
    title: voucher.title,
  }, voucher.reversals, eventRows(env, [{
    // After a reversal (撤销核销) the voucher is redeemed again: a new event, and a new ledger step (afterReversals).
    eventId: voucher.reversals ? `evrd_${voucher.id}_${voucher.reversals}` : `evrd_${voucher.id}`,
    tenantId,
    type: "voucher_redeemed",
    occurredAt: new Date(redemption.redeemedAt),
    actor: { apiKeyId, userId: voucher.holder_id },
    payload: { voucherId: voucher.id, productId: voucher.product_id, storeId, campaignId: voucher.campaign_id, kind: voucher.kind, faceValueCents: voucher.face_value_cents, redemptionId: redemption.id, ...(voucher.reversals ? { afterReversals: voucher.reversals } : {}) },
  }], succeeded)
    // The member's points and growth for redeeming at a store (tenant rules; nothing for non-members), with the redemption.
    .concat(redemptionEarnStmts(env, tenantId, voucher.holder_id, redemption.id))
    .concat(voucher.holder_id ? actionGrowthStmts(env, tenantId, { buyerId: voucher.holder_id }, "redemption", redemption.id, succeeded) : []));
  if (!won) {
    const current = await getVoucherByCode(env.DB, tenantId, voucher.code);
    if (current?.status === "redeemed") return alreadyRedeemed(env, current, fail);
    return fail(redeemRefusal({ ...nowCtx(current ?? voucher, now) }) ?? { status: 409, code: "voucher_unavailable", message: "该券当前不可核销" }, voucher);
  }

  const watching = watchRedemption(env, { tenantId, apiKeyId, storeId, holderId: voucher.holder_id, outcome: "succeeded", reason: null, now });
  if (ctx) ctx.waitUntil(watching);
  else await watching;
  return { status: 200, body: redemption, replayed: false };
}

function refusedVoucher(v: VoucherRow): RefusedVoucher {
  return { title: v.title, faceValueCents: v.face_value_cents, validFrom: v.valid_from, validTo: v.valid_to };
}

function nowCtx(v: VoucherRow, now: Date) {
  return {
    voucher: { status: v.status, validFrom: v.valid_from, validTo: v.valid_to },
    allowedStoreIds: [],
    storeId: "",
    thresholdCents: null,
    orderAmountCents: undefined,
    now,
  };
}

async function alreadyRedeemed(
  env: Env,
  voucher: VoucherRow,
  fail: (r: Refusal, v: VoucherRow, extra: Partial<AlreadyRedeemed>) => Promise<RedeemOutcome>,
): Promise<RedeemOutcome> {
  const won = await successfulRedemption(env.DB, voucher.tenant_id, voucher.id);
  const redeemedAt = won?.created_at ?? voucher.status_changed_at ?? "";
  const storeName = won?.store_name ?? "";
  return fail(
    { status: 409, code: "voucher_already_redeemed", message: `该券已于 ${redeemedAt} 在「${storeName}」核销 / Already redeemed at ${redeemedAt} in ${storeName}` },
    voucher,
    { redemption: { redeemedAt, storeId: won?.store_id ?? "", storeName } },
  );
}

/** A voucher found past its window is marked expired once, with its ledger entry and event. */
async function expireVoucher(env: Env, voucher: VoucherRow) {
  await setVoucherStatus(env.DB, voucher.tenant_id, voucher.id, ["issued"], "expired", eventRows(env, [expiredEvent(voucher)], voucherIs(voucher.tenant_id, voucher.id, "expired")));
}

/** voucher_expired, id derived from the voucher (it expires once; the cron and a late redemption may both try). */
export function expiredEvent(v: Pick<VoucherRow, "tenant_id" | "id" | "holder_id" | "product_id" | "campaign_id" | "kind">) {
  return {
    eventId: `evex_${v.id}`,
    tenantId: v.tenant_id,
    type: "voucher_expired" as const,
    actor: { userId: v.holder_id },
    payload: { voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind },
  };
}
