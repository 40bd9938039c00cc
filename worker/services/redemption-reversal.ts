/**
 * 撤销核销: a store undoes a redemption made by mistake — same tenant, a key that may redeem at that store, within
 * REVERSAL_WINDOW_MS, once. One D1 batch, every statement guarded on this reversal: the redemption marked reversed,
 * the voucher usable again (or expired, when its validity ended meanwhile), voucher_redemption_reversed (→ the
 * warehouse, and the ledger's redemption_reversal entry through the outbox), the points the redemption earned taken
 * back, and the audit row.
 */
import type { RedemptionReversal } from "../../schema/redemptions";
import { auditJson } from "../domain/audit";
import { newId } from "../domain/crypto";
import { REVERSAL_WINDOW_MS, reversibleUntil, statusAfterReversal, windowStart } from "../domain/redemption-reversal";
import { insertAuditStmt } from "../db/audit-log";
import { getRedemption, reversedBy, reverseStmts, type RedemptionRow } from "../db/redemptions";
import { getKeySettings } from "../db/stores";
import { getVoucherById } from "../db/vouchers";
import { ApiError } from "../errors";
import { eventRows } from "../queue/emit";
import { expiredEvent } from "./redemptions";
import { reverseSourcePointsStmts } from "./points";
import { takeBackGrowthStmts } from "./membership";

export interface ReversalCaller {
  tenantId: string;
  apiKeyId: string;
  scopes: string[];
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  route: string;
  path: string;
}

type Row = RedemptionRow & { store_name: string | null };

export interface ReversalOutcome {
  body: RedemptionReversal;
  replayed: boolean;
}

const facts = (r: Row) => ({
  redemptionId: r.id,
  voucherId: r.voucher_id!,
  voucherCode: r.voucher_code!,
  title: r.title ?? "",
  storeId: r.store_id ?? "",
  storeName: r.store_name ?? "",
  redeemedAt: r.created_at,
});

const answer = (r: Row, voucherStatus: RedemptionReversal["voucherStatus"]): RedemptionReversal => ({
  ...facts(r),
  reversal: { at: r.reversed_at!, apiKeyId: r.reversed_by!, reason: r.reversal_reason! },
  voucherStatus,
});

/** A reversed row: the same reversal for its key's retry with its Idempotency-Key and reason, else already_reversed. */
async function reversedAnswer(env: Pick<Env, "DB">, r: Row, caller: string, idempotencyKey: string, reason: string): Promise<ReversalOutcome> {
  const reversal = { at: r.reversed_at!, apiKeyId: r.reversed_by!, reason: r.reversal_reason! };
  if (r.reversal_idempotency_key !== idempotencyKey || r.reversed_by !== caller) {
    throw new ApiError(409, "already_reversed", `这次核销已于 ${reversal.at} 撤销 / This redemption was already undone at ${reversal.at}`, undefined, undefined, { reversal });
  }
  if (r.reversal_reason !== reason) throw ApiError.conflict("idempotency_mismatch", "This Idempotency-Key was used with another request");
  const v = await getVoucherById(env.DB, r.tenant_id, r.voucher_id!);
  return { body: answer(r, v?.status === "expired" ? "expired" : "issued"), replayed: true };
}

export async function reverseRedemption(
  env: Env, caller: ReversalCaller, redemptionId: string, reason: string, idempotencyKey: string, now = new Date(),
): Promise<ReversalOutcome> {
  const { tenantId, apiKeyId } = caller;
  const [settings, row] = await Promise.all([getKeySettings(env.DB, tenantId, apiKeyId), getRedemption(env.DB, tenantId, redemptionId)]);
  if (settings.suspendedAt) {
    throw new ApiError(403, "key_suspended", `此核销密钥已被暂停：${settings.suspendedReason ?? ""} / This redeemer key is suspended`);
  }
  // Another brand's redemption, or none: the same 404 (a key only ever sees its own tenant).
  if (!row) throw new ApiError(404, "redemption_not_found", "未找到这次核销 / Redemption not found");
  // The scope of redeem: a key bound to a store acts at that store only.
  if (settings.storeId && row.store_id !== settings.storeId) throw ApiError.forbidden("此核销密钥属于其他门店 / This redeemer key is bound to another store");
  if (row.outcome !== "succeeded" || !row.voucher_id) {
    throw ApiError.conflict("redemption_not_reversible", "只能撤销成功的核销 / Only a successful redemption can be undone");
  }
  if (row.reversed_at) return reversedAnswer(env, row, apiKeyId, idempotencyKey, reason);
  const until = reversibleUntil(row)!;
  if (now.getTime() > Date.parse(until)) {
    throw new ApiError(409, "reversal_window_closed",
      `核销 ${REVERSAL_WINDOW_MS / 3_600_000} 小时内可撤销，已于 ${until} 截止 / A redemption can be undone within ${REVERSAL_WINDOW_MS / 3_600_000} h; this one closed at ${until}`,
      undefined, undefined, { reversibleUntil: until });
  }
  const voucher = await getVoucherById(env.DB, tenantId, row.voucher_id);
  if (!voucher || voucher.status !== "redeemed") {
    throw ApiError.conflict("redemption_not_reversible", "该券已不在已核销状态 / The voucher is no longer redeemed");
  }

  const at = now.toISOString();
  const reversal = {
    tenantId, redemptionId: row.id, voucherId: voucher.id, reversalId: newId("rrv"), at, by: apiKeyId, reason, idempotencyKey,
    windowStart: windowStart(now), reversals: voucher.reversals, voucherStatus: statusAfterReversal(voucher.valid_to, now),
  };
  const guard = reversedBy(reversal);
  const after: Row = { ...row, reversed_at: at, reversed_by: apiKeyId, reversal_reason: reason, reversal_idempotency_key: idempotencyKey, reversal_id: reversal.reversalId };
  const body = answer(after, reversal.voucherStatus);
  const expired = reversal.voucherStatus === "expired";
  const results = await env.DB.batch([
    ...reverseStmts(env.DB, reversal),
    ...eventRows(env, [
      {
        eventId: `evrr_${row.id}`,
        tenantId,
        type: "voucher_redemption_reversed",
        occurredAt: now,
        actor: { apiKeyId, userId: voucher.holder_id },
        payload: {
          voucherId: voucher.id, productId: voucher.product_id, campaignId: voucher.campaign_id, kind: voucher.kind, storeId: row.store_id,
          faceValueCents: voucher.face_value_cents, redemptionId: row.id, reason, ...(expired ? { expired: true } : {}),
        },
      },
      // After the reversal's ledger entry: the expiry its window already passed.
      ...(expired ? [expiredEvent(voucher)] : []),
    ], guard),
    ...reverseSourcePointsStmts(env, tenantId, { kind: "redemption", id: row.id }, "redemption_reversed", guard, voucher.holder_id),
    // The member growth it earned goes back too (with a tier it bought), or redeem → undo → redeem would earn twice.
    ...takeBackGrowthStmts(env, tenantId, { kind: "redemption", id: row.id }, row.id, "redemption_reversal", guard, "redemption_reversed"),
    insertAuditStmt(env.DB, {
      id: newId("aud"), tenantId, at, api_key_id: apiKeyId, role: caller.scopes.join(","), method: "POST", route: caller.route, path: caller.path,
      resource_type: "redemptions", resource_id: row.id, status: 200,
      before_json: auditJson({ ...facts(row), reversal: null, voucherStatus: "redeemed" }), after_json: auditJson(body),
      ip: caller.ip, user_agent: caller.userAgent, request_id: caller.requestId,
    }, guard),
  ]);
  if ((results[0]?.meta.changes ?? 0) === 1) return { body, replayed: false };

  // Lost: a concurrent reversal (or redemption change) came first. Answer from what is there now.
  const now2 = await getRedemption(env.DB, tenantId, redemptionId);
  if (now2?.reversed_at) return reversedAnswer(env, now2, apiKeyId, idempotencyKey, reason);
  throw ApiError.conflict("redemption_not_reversible", "该券状态已变化，请刷新后再试 / The voucher changed meanwhile: refresh and try again");
}
