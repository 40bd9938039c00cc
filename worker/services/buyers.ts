/**
 * Buyers: guests (a signed cookie) and phone accounts (one-time code through the SMS sandbox). Codes are stored as
 * a keyed hash, expire after OTP_TTL_S, allow OTP_MAX_ATTEMPTS tries, and cannot be re-sent within OTP_RESEND_S.
 * Signing in while holding a guest cookie attaches the guest's orders and vouchers to the phone account.
 */
import { maskPhone, otpCode, verifySession } from "../domain/buyer-session";
import { hmacSha256Hex, newId, timingSafeEqual } from "../domain/crypto";
import {
  attachGuestStmts, buyerExists, countOtpAttempt, getBuyer, guestAttached, insertGuest, insertOtp, latestOtp, otpConsumed, otpCountSince,
  phoneBuyerIdSql, signInStmts, toBuyer, type BuyerRow,
} from "../db/buyers";
import { ipKey } from "../domain/client-ip";
import { ApiError } from "../errors";
import { enforceRateLimits, type RateLimit } from "./rate-limit";
import { eventRows } from "../queue/emit";
import type { AcquisitionFacts } from "../db/buyers";
import { NO_ACQUISITION, personEventId, resolveAcquisition, signupEvents } from "./acquisition";
import { sandboxSms } from "../sms/sandbox";
import type { z } from "@hono/zod-openapi";
import type { Acquisition } from "../../schema/acquisition";
import type { SignInConsent } from "../../schema/privacy";
import { assertSignInConsent, signInConsentStmts } from "./privacy";

export const OTP_TTL_S = 300;
export const OTP_MAX_ATTEMPTS = 5;
export const OTP_RESEND_S = 60;
export const OTP_PER_HOUR = 5;

export const phoneHash = (env: Pick<Env, "BUYER_SESSION_SECRET">, phone: string) => hmacSha256Hex(env.BUYER_SESSION_SECRET, `phone|${phone}`);
const codeHash = (env: Pick<Env, "BUYER_SESSION_SECRET">, tenantId: string, phone: string, code: string) =>
  hmacSha256Hex(env.BUYER_SESSION_SECRET, `otp|${tenantId}|${phone}|${code}`);

/** New buyer sessions one client IP may start per minute, whichever route starts them (SESSION_IP_LIMIT_PER_MIN). */
export const SESSIONS_PER_IP_PER_MIN = 20;

/**
 * Counts one new buyer session (a guest, a sign-in) for the client IP; 429 past the limit. Every route that signs a
 * session for a new identity calls this, so per-user campaign limits cannot be sidestepped through another route.
 */
export async function limitNewSessions(env: Env, ip: string): Promise<void> {
  await enforceRateLimits(env, ipKey(ip), [newSessionLimit(env)]);
}

/** That per-IP limit, for a route that counts it in the same call as its own (services/rate-limit.ts). */
export const newSessionLimit = (env: Env): RateLimit => ({ bucket: "buyer-session", limit: Number(env.SESSION_IP_LIMIT_PER_MIN) || SESSIONS_PER_IP_PER_MIN, windowS: 60 });

/** A new guest buyer with its acquisition; `user_signed_up` (and `referral_signed_up`) leave with it. */
export async function createGuest(env: Env, tenantId: string, acq: AcquisitionFacts = NO_ACQUISITION): Promise<BuyerRow> {
  const id = newId("byr");
  const [ins] = await env.DB.batch([insertGuest(env.DB, tenantId, id, acq), ...eventRows(env, signupEvents(env, tenantId, id, "guest", acq), buyerExists(tenantId, id))]);
  return ins!.results[0] as BuyerRow;
}

/** The buyer a session names, following a guest → phone attachment; null once the account asked to be erased. */
export async function resolveBuyer(env: Env, tenantId: string, buyerId: string, read?: BuyerRow | null): Promise<BuyerRow | null> {
  let b = read !== undefined ? read : await getBuyer(env.DB, tenantId, buyerId);
  // A widget guest merged into this browser's guest, which later signed in with a phone: two hops at most.
  for (let hops = 0; b?.merged_into && !b.erased_at && hops < 3; hops++) b = await getBuyer(env.DB, tenantId, b.merged_into);
  return b && !b.erased_at ? b : null;
}

/**
 * This browser takes over a campaign session (the widget's pay link carries its token). With nobody here yet, the
 * browser continues as that buyer (returned, for the cookie). With a buyer here already, a guest token's orders and
 * vouchers move to that buyer, as a guest's do when it signs in with a phone, and its token follows them there: the
 * won order is this browser's to pay and see. Null for a token that names no buyer of this store.
 */
export async function adoptSession(env: Env, tenantId: string, currentBuyerId: string | null, token: string): Promise<{ adopted: BuyerRow | null; buyerId: string } | null> {
  const id = await verifySession(env.BUYER_SESSION_SECRET, tenantId, token);
  const row = id ? await resolveBuyer(env, tenantId, id) : null;
  if (!row) return null;
  if (!currentBuyerId) return { adopted: row, buyerId: row.id };
  if (row.id !== currentBuyerId && row.kind === "guest") await env.DB.batch(attachStmts(env, tenantId, row.id, currentBuyerId));
  return { adopted: null, buyerId: currentBuyerId };
}

/**
 * A guest attached to another buyer: its orders and vouchers move, and guest_attached (once per guest, only when this
 * batch attached it) makes the warehouse count them as one person (analytics/person-merges.ts).
 */
function attachStmts(env: Env, tenantId: string, guestId: string, buyerId: string): D1PreparedStatement[] {
  return [
    ...attachGuestStmts(env.DB, tenantId, guestId, buyerId),
    ...eventRows(env, [{ eventId: personEventId(env, "evga", guestId), tenantId, type: "guest_attached", actor: { userId: buyerId }, payload: { guestId } }], guestAttached(tenantId, guestId, buyerId)),
  ];
}

export async function requestOtp(env: Env, tenantId: string, phone: string): Promise<{ resendAfterS: number; expiresInS: number }> {
  const ph = await phoneHash(env, phone);
  const last = await latestOtp(env.DB, tenantId, ph);
  if (last) {
    const waitS = OTP_RESEND_S - (Date.now() - Date.parse(last.created_at)) / 1000;
    if (waitS > 0) throw ApiError.tooManyRequests(waitS, `A code was just sent; resend in ${Math.ceil(waitS)}s`);
  }
  if ((await otpCountSince(env.DB, tenantId, ph, new Date(Date.now() - 3600_000).toISOString())) >= OTP_PER_HOUR) {
    throw ApiError.tooManyRequests(3600, "Too many codes for this number; try again later");
  }
  const code = otpCode();
  const id = newId("otp");
  await env.DB.batch([
    insertOtp(env.DB, { id, tenantId, phoneHash: ph, codeHash: await codeHash(env, tenantId, phone, code), expiresAt: new Date(Date.now() + OTP_TTL_S * 1000).toISOString() }),
    ...eventRows(env, [{ eventId: `evotp_${id}`, tenantId, type: "otp_requested", payload: {} }]),
  ]);
  await sandboxSms(env.DB).send(tenantId, ph, `【kaquan】您的验证码是 ${code}，${OTP_TTL_S / 60} 分钟内有效。请勿告诉他人。`);
  return { resendAfterS: OTP_RESEND_S, expiresInS: OTP_TTL_S };
}

/**
 * Signs in. A guest signing in with a new phone becomes the phone account (same id: its sign-up stands). A phone
 * account created here otherwise is a new buyer (user_signed_up with `acq`). A guest signing in to an existing phone
 * account is attached to it (orders and vouchers move) and guest_attached links the two ids.
 */
export async function verifyOtp(
  env: Env, tenantId: string, phone: string, code: string, current: BuyerRow | null, consent: z.output<typeof SignInConsent>, acq: AcquisitionFacts = NO_ACQUISITION,
): Promise<BuyerRow> {
  assertSignInConsent(consent);
  const ph = await phoneHash(env, phone);
  const otp = await latestOtp(env.DB, tenantId, ph);
  if (!otp || otp.consumed_at || Date.parse(otp.expires_at) < Date.now()) {
    throw ApiError.badRequest("otp_invalid", "The code is wrong or has expired; request a new one");
  }
  const attempts = await countOtpAttempt(env.DB, tenantId, otp.id, OTP_MAX_ATTEMPTS);
  if (attempts === null) throw ApiError.tooManyRequests(OTP_RESEND_S, "Too many wrong codes; request a new one");
  if (!timingSafeEqual(await codeHash(env, tenantId, phone, code), otp.code_hash)) {
    throw ApiError.badRequest("otp_invalid", `The code is wrong (${OTP_MAX_ATTEMPTS - attempts} tries left)`);
  }
  // One transaction: the code is consumed, the account created (if new) and sign-up / sign-in recorded; a code used
  // meanwhile by a concurrent request changes nothing and records nothing.
  // A brand member is the brand's own identity, never folded into a phone account.
  const attaches = !!current && current.kind === "guest" && !current.merged_into && !current.member_id;
  const id = newId("byr");
  const signIn = signInStmts(env.DB, tenantId, otp.id, { id, phoneHash: ph, masked: maskPhone(phone), acq: attaches ? null : acq, guestId: attaches ? current!.id : null });
  const [used, , , found] = await env.DB.batch([
    ...signIn,
    ...(attaches ? [] : eventRows(env, signupEvents(env, tenantId, id, "phone", acq), buyerExists(tenantId, id))),
    ...eventRows(env, [{ eventId: `evsi_${otp.id}`, tenantId, type: "buyer_signed_in", payload: {} }], otpConsumed(tenantId, otp.id), [
      { path: "$.actor.userId", ...phoneBuyerIdSql(tenantId, ph) },
    ]),
  ]);
  if (used!.meta.changes !== 1) throw ApiError.badRequest("otp_invalid", "The code was already used");
  const buyer = found!.results[0] as BuyerRow;
  if (buyer.erased_at) throw ApiError.conflict("erasure_in_progress", "This account is being erased; sign in again in a few minutes to start a new one");
  const stmts = signInConsentStmts(env, tenantId, buyer.id, consent);
  if (attaches && current!.id !== buyer.id) {
    stmts.push(...attachStmts(env, tenantId, current!.id, buyer.id));
  }
  await env.DB.batch(stmts);
  return buyer;
}

/** The buyer of this session as the API shows it (null: none, or not found). */
export async function shopBuyer(env: Pick<Env, "DB">, tenantId: string, buyerId: string | null | undefined) {
  const row = buyerId ? await getBuyer(env.DB, tenantId, buyerId) : null;
  return row ? toBuyer(row) : null;
}

/**
 * Sign-in with an SMS code: a buyer already in session is upgraded in place; a new one is stored with where it came
 * from (the request's acquisition facts and embedding origin). Returns the row (for the session cookie) and its view.
 */
export async function signInWithOtp(
  env: Env, tenantId: string, buyerId: string | null | undefined,
  input: { phone: string; code: string; consent: z.output<typeof SignInConsent>; acquisition?: Acquisition }, origin: string | null,
): Promise<{ row: BuyerRow; buyer: ReturnType<typeof toBuyer> }> {
  const current = buyerId ? await getBuyer(env.DB, tenantId, buyerId) : null;
  const acq = current ? undefined : await resolveAcquisition(env, tenantId, input.acquisition, origin);
  const row = await verifyOtp(env, tenantId, input.phone, input.code, current, input.consent, acq);
  return { row, buyer: toBuyer(row) };
}
