import type { ClaimInput, ClaimResult } from "../../schema/campaigns";
import { sessionCookieName, signSession, verifySession } from "../domain/buyer-session";
import type { Acquisition } from "../../schema/acquisition";
import { resolveAcquisition } from "./acquisition";
import { createGuest, limitNewSessions } from "./buyers";
import { ApiError } from "../errors";
import { allowedOrigins } from "../domain/origins";
import { claimOnShard, isSoldOut, markSoldOut, publicCampaign, shardOf, type PublicCampaign } from "./campaigns";
import { homeShard } from "../domain/campaign-rules";
import { fulfilClaim } from "./campaign-fulfilment";
import { claimWonFact } from "../domain/claim-facts";
import { ownOrder } from "./shop";

export interface ClaimMeta {
  deviceId: string | null;
  ip: string | null;
  /** The request's Origin header (browsers send it on cross-origin and POST requests). */
  origin: string | null;
  /** `Authorization: Bearer <session token>` (the widget) ... */
  bearer: string | null;
  /** ... or the raw Cookie header (storefront pages on the platform's own origin). */
  cookie: string | null;
}

// One shared instance: after a sell-out nearly every answer is this one, and it carries nothing per request.
const SOLD_OUT = ApiError.conflict("sold_out", "Sold out");

const PREVIEW_ONLY = ApiError.conflict("preview_only", "This is a preview: claims and draws open when the campaign starts");

/** A claim sent from a preview page (its URL, which same-origin fetches send as Referer, or an explicit header). */
function fromPreview(headers: Headers): boolean {
  if (headers.has("x-kaquan-preview")) return true;
  const referer = headers.get("referer");
  return referer !== null && referer.includes("preview=") && /[?&]preview=/.test(referer);
}

function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/**
 * Who may claim: a request from a browser page must come from the platform's own origins or one the brand listed
 * (a 403 otherwise, whatever CORS would have let through), and the claimant is the buyer named by a signed session,
 * never a user id the client makes up, so per-user limits hold.
 */
export async function claimant(env: Env, hit: PublicCampaign, input: { userId?: string }, meta: ClaimMeta): Promise<string> {
  assertOrigin(env, hit, meta.origin);
  const token = meta.bearer ?? cookieValue(meta.cookie, sessionCookieName(hit.tenantSlug));
  const buyerId = await verifySession(env.BUYER_SESSION_SECRET, hit.campaign.tenantId, token);
  if (!buyerId) throw ApiError.unauthorized("Sign in or start a guest session first (POST /public/campaigns/{id}/session)");
  if (input.userId && input.userId !== buyerId) throw ApiError.forbidden("userId must be the signed-in buyer");
  return buyerId;
}

function assertOrigin(env: Env, hit: PublicCampaign, origin: string | null) {
  if (origin && origin !== "null" && !allowedOrigins(env.CORS_ORIGINS).includes(origin) && !hit.allowedOrigins.includes(origin)) {
    throw new ApiError(403, "origin_not_allowed", `The brand has not allowed ${origin} to embed its campaigns`);
  }
}

/** One claim or draw: the campaign from the isolate cache, the user's home shard, the shard's answer as 200 or an ApiError. */
export async function claim(env: Env, campaignId: string, input: ClaimInput, headers: Headers): Promise<ClaimResult> {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) throw ApiError.notFound("Campaign");
  const campaign = hit.campaign;
  // Sold out is answered before the session is checked: it is public (the live stock says so), and after a flash
  // sale sells out nearly every request is this answer, so it must not pay for an HMAC.
  assertOrigin(env, hit, headers.get("origin"));
  if (fromPreview(headers)) throw PREVIEW_ONLY;
  if (isSoldOut(campaign.id)) throw SOLD_OUT;
  const meta = claimMeta(headers);
  const userId = await claimant(env, hit, input, meta);
  const reply = await claimOnShard(env, campaign, {
    userId,
    origin: meta.origin,
    referrerId: input.referrerId ?? null,
    requestId: input.requestId ?? null,
    deviceId: meta.deviceId,
    ip: meta.ip,
  });
  if (reply.ok) return reply.result;
  if (reply.code === "rate_limited") throw ApiError.tooManyRequests(reply.retryAfterS ?? 1, reply.message);
  if (reply.soldOut) markSoldOut(campaign.id);
  throw ApiError.conflict(reply.code, reply.message);
}

/** Request facts the claim checks need, from a plain Request (the fast route) or Hono's (the documented one). */
export function claimMeta(headers: Headers): ClaimMeta {
  const device = headers.get("x-device-id");
  const auth = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "");
  return {
    deviceId: device ? device.slice(0, 64) : null,
    ip: headers.get("cf-connecting-ip") ?? headers.get("x-real-ip") ?? "local",
    origin: headers.get("origin"),
    bearer: auth ? auth[1]! : null,
    cookie: headers.get("cookie"),
  };
}

/**
 * A session for a visitor of an embedded campaign (widget): a new guest buyer of the campaign's brand, or the
 * current one when the request already carries a valid session. Third-party cookies do not reach the API from a
 * brand's page, so the token travels as a Bearer header and lives in the page's own storage.
 */
export async function campaignSession(env: Env, campaignId: string, meta: ClaimMeta, acquisition?: Acquisition, origin: string | null = null) {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) throw ApiError.notFound("Campaign");
  let userId: string | null = null;
  try {
    userId = await claimant(env, hit, {}, meta);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
  }
  if (!userId) {
    await limitNewSessions(env, meta.ip ?? "local");
    const tenantId = hit.campaign.tenantId;
    const acq = await resolveAcquisition(env, tenantId, { campaignId: hit.campaign.id, ...acquisition }, origin);
    userId = (await createGuest(env, tenantId, acq)).id;
  }
  const token = await signSession(env.BUYER_SESSION_SECRET, hit.campaign.tenantId, userId);
  return { userId, token, expiresAt: new Date(Number(token.split(".")[1]) * 1000).toISOString() };
}

/**
 * The order a flash-sale win became, for the winner only, so the page can send them straight to the cashier. The
 * claims consumer creates it shortly after the claim (from the fact the shard forwards); this creates it now if it
 * has not yet, with the same fact (the claim id is the order's idempotency key, so both paths meet on one order).
 */
export async function claimOrder(env: Env, campaignId: string, claimId: string, headers: Headers) {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) throw ApiError.notFound("Campaign");
  const userId = await claimant(env, hit, {}, claimMeta(headers));
  const c = hit.campaign;
  if (c.kind !== "flash_sale") throw ApiError.notFound("Order");
  const shard = homeShard(userId, c.shards);
  const claim = await shardOf(env, c.id, shard).claimOf(userId, claimId);
  if (!claim) throw ApiError.notFound("Claim");
  const fact = claimWonFact({ campaignId: c.id, tenantId: c.tenantId, def: c }, userId, shard, claim.result);
  // Refused for good (its unit is back on sale): ordering it now would sell that unit twice.
  const out = claim.state === "failed" || !fact ? null : await fulfilClaim(env, fact);
  if (!out || (!out.done && out.permanent)) throw ApiError.conflict("claim_unfulfillable", "This win could not become an order (e.g. the product ran out)");
  if (!out.done) {
    throw new ApiError(503, "order_pending", "The order is not ready yet; retry shortly", undefined, { "Retry-After": "1" });
  }
  return ownOrder(env, c.tenantId, userId, out.ref!);
}
