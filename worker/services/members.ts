/**
 * Brand member tokens: the tenant's member-token secret (created/rotated by an admin key, stored sealed) and the
 * exchange of a token for the member's buyer, so campaign limits and rewards bind to the brand's member id.
 */
import type { AcquisitionFacts, BuyerRow } from "../db/buyers";
import { buyerExists, memberBuyerStmts } from "../db/buyers";
import { getMemberSecret, putMemberSecret } from "../db/member-secrets";
import { randomToken, newId } from "../domain/crypto";
import { verifyMemberToken } from "../domain/member-token";
import { openSecret, sealSecret } from "../domain/secret-box";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { NO_ACQUISITION, signupEvents } from "./acquisition";

/** A new secret (shown once); the previous one keeps verifying for `overlapMinutes`. */
export async function rotateMemberSecret(env: Env, tenantId: string, slug: string, overlapMinutes: number, now = Date.now()) {
  const secret = `kqms_${randomToken(40)}`;
  const until = new Date(now + overlapMinutes * 60_000).toISOString();
  const row = (await putMemberSecret(env.DB, tenantId, await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, secret), until))!;
  return { secret, audience: slug, createdAt: row.created_at, previousValidUntil: row.previous_sealed ? row.previous_until : null };
}

async function secretsOf(env: Env, tenantId: string, now: number): Promise<string[]> {
  const row = await getMemberSecret(env.DB, tenantId);
  if (!row) return [];
  const secrets = [await openSecret(env.CARD_KEY_ENCRYPTION_KEY, row.secret_sealed)];
  if (row.previous_sealed && row.previous_until && Date.parse(row.previous_until) > now) {
    secrets.push(await openSecret(env.CARD_KEY_ENCRYPTION_KEY, row.previous_sealed));
  }
  return secrets;
}

/** The member a token names; 401 with member_token_invalid / _expired / _audience, or member_tokens_disabled. */
export async function memberOf(env: Env, tenantId: string, slug: string, token: string, now = Date.now()): Promise<string> {
  const secrets = await secretsOf(env, tenantId, now);
  if (!secrets.length) throw new ApiError(401, "member_tokens_disabled", "This brand has not set up member tokens (POST /tenant/member-token-secret)");
  const check = await verifyMemberToken(secrets, slug, token, Math.floor(now / 1000));
  if (!check.ok) throw new ApiError(401, check.code, check.message);
  return check.memberId;
}

/**
 * The member's buyer, created on first use with its acquisition. user_signed_up is recorded in the batch that creates
 * the row, guarded on this call's fresh id: of two first exchanges at once, only the one whose insert won records it.
 */
export async function memberBuyer(env: Env, tenantId: string, memberId: string, acq: AcquisitionFacts = NO_ACQUISITION): Promise<BuyerRow> {
  const id = newId("byr");
  const signup = eventRows(env, signupEvents(env, tenantId, id, "guest", acq), buyerExists(tenantId, id));
  const results = await env.DB.batch(memberBuyerStmts(env.DB, tenantId, id, memberId, acq, signup));
  if (results[0]!.meta.changes === 1) await scheduleDispatch(env);
  return results[results.length - 1]!.results[0] as BuyerRow;
}
