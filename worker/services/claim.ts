import { ENTRY_DEFAULTS, type CampaignSessionInput, type ClaimInput, type ClaimResult } from "../../schema/campaigns";
import type { z } from "@hono/zod-openapi";
import { factsOf, sessionCookieName, signSession, verifySessionFacts, type SessionFacts, type VerifiedSession } from "../domain/buyer-session";
import { deviceCookieName, issueDeviceToken, verifyDeviceToken } from "../domain/device-token";
import { resolveAcquisition } from "./acquisition";
import { createGuest, limitNewSessions, resolveBuyer } from "./buyers";
import { currentHolders, getBuyer, getMemberBuyer, type BuyerRow } from "../db/buyers";
import { memberBuyer, memberOf } from "./members";
import { memberLotteryBonus } from "./membership";
import { ApiError } from "../errors";
import { ipKey } from "../domain/client-ip";
import { platformOrigins } from "../domain/origins";
import { claimOnShard, isSoldOut, markSoldOut, publicCampaign, shardOf, type PublicCampaign } from "./campaigns";
import { homeShard } from "../domain/campaign-rules";
import { fulfilClaim } from "./campaign-fulfilment";
import { claimWonFact } from "../domain/claim-facts";
import { ownOrder } from "./shop";
import { riskGate } from "./risk-gate";
import { recordDecision } from "./risk-decisions";
import type { RequestScope } from "../queue/request-events";
import { sessionEnded, sessionEndedError } from "./ended-sessions";
import { assertEligible } from "./eligibility";
import { isOpen } from "../domain/eligibility";

export interface ClaimMeta {
  /** The signed device token as sent (x-device-id header); see deviceOf. */
  deviceToken: string | null;
  ip: string | null;
  /** The request's Origin header (browsers send it on cross-origin and POST requests). */
  origin: string | null;
  /** `Authorization: Bearer <session token>` (the widget) ... */
  bearer: string | null;
  /** ... or the raw Cookie header (storefront pages on the platform's own origin). */
  cookie: string | null;
}

/** The campaign's per-IP / device / phone caps (exact across shards): refusals the risk view counts as "limited". */
const CAP_CODES = new Set(["ip_limit_reached", "device_limit_reached", "phone_limit_reached"]);

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
  return (await claimantSession(env, hit, input, meta)).buyerId;
}

/** The claimant with what their session vouches for (verified phone, member, account age). */
export async function claimantSession(env: Env, hit: PublicCampaign, input: { userId?: string }, meta: ClaimMeta): Promise<VerifiedSession> {
  const refused = originRefusal(env, hit, meta.origin);
  if (refused) throw refused;
  const token = meta.bearer ?? cookieValue(meta.cookie, sessionCookieName(hit.tenantSlug));
  const session = await verifySessionFacts(env.BUYER_SESSION_SECRET, hit.campaign.tenantId, token);
  if (!session) throw ApiError.unauthorized("Sign in or start a guest session first (POST /public/campaigns/{id}/session)");
  if (input.userId && input.userId !== session.buyerId) throw ApiError.forbidden("userId must be the signed-in buyer");
  return session;
}

/**
 * The device a request names: a token this worker signed for the brand (x-device-id header from the widget, else
 * the kq_dev_<tenant> cookie of the platform's pages). Anything else — a made-up id, another brand's token — is no
 * device, so per-IP limits still apply to it.
 */
export async function deviceOf(env: Env, hit: PublicCampaign, meta: ClaimMeta): Promise<string | null> {
  const tenantId = hit.campaign.tenantId;
  const fromHeader = meta.deviceToken ? await verifyDeviceToken(env.BUYER_SESSION_SECRET, tenantId, meta.deviceToken) : null;
  if (fromHeader) return fromHeader;
  const cookie = cookieValue(meta.cookie, deviceCookieName(hit.tenantSlug));
  return cookie ? verifyDeviceToken(env.BUYER_SESSION_SECRET, tenantId, cookie) : null;
}

/** Facts of a session, looking the buyer up only for a token of the first format (which carried none). */
async function sessionFacts(env: Env, tenantId: string, s: VerifiedSession): Promise<SessionFacts> {
  if (s.facts) return s.facts;
  const row = await getBuyer(env.DB, tenantId, s.buyerId);
  return row ? factsOf(row) : { phone: false, member: false, createdS: Math.floor(Date.now() / 1000) };
}

/**
 * The campaign's entry rules against the session's facts: no D1 read for a current token. 403 phone_required /
 * member_required / account_too_new (with Retry-After: seconds until the account is old enough).
 */
export async function checkEntry(env: Env, c: PublicCampaign["campaign"], s: VerifiedSession, nowS = Math.floor(Date.now() / 1000)) {
  const entry = c.entry ?? ENTRY_DEFAULTS.entry;
  const minAge = (c.minAccountAgeMinutes ?? 0) * 60;
  if (entry === "guest" && minAge === 0) return;
  const f = await sessionFacts(env, c.tenantId, s);
  if (entry === "phone" && !f.phone) throw new ApiError(403, "phone_required", "This campaign is for buyers signed in with a verified phone number: sign in with a code first");
  if (entry === "member" && !f.member) throw new ApiError(403, "member_required", "This campaign is for the brand's members: open it from the brand's app or site while signed in there");
  const wait = f.createdS + minAge - nowS;
  if (wait > 0) {
    throw new ApiError(403, "account_too_new", `This campaign is open to accounts at least ${minAge / 60} minutes old; try again in ${wait}s`, undefined, { "Retry-After": String(wait) });
  }
}

function originRefusal(env: Env, hit: PublicCampaign, origin: string | null): ApiError | null {
  if (origin && origin !== "null" && !platformOrigins(env).includes(origin) && !hit.allowedOrigins.includes(origin)) {
    return new ApiError(403, "origin_not_allowed", `The brand has not allowed ${origin} to embed its campaigns`);
  }
  return null;
}

/**
 * The campaign a claim or draw goes to, or its public refusal: unknown (404), an origin the brand did not allow
 * (403), sent from a preview page, sold out. None of them depends on the body or the buyer, so the fast route asks
 * before reading either: after a flash sale sells out nearly every request ends here, and returning the refusal
 * (not throwing it through async frames) keeps that answer cheap (bench/README.md, session 50).
 */
/** `requestId`: the claim's request id, asked only when the campaign is sold out (a retry of an answered claim goes on). */
export async function openCampaign(env: Env, campaignId: string, headers: Headers, requestId: () => string | null | undefined): Promise<PublicCampaign | ApiError> {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) return ApiError.notFound("Campaign");
  return originRefusal(env, hit, headers.get("origin")) ?? (fromPreview(headers) ? PREVIEW_ONLY : isSoldOut(hit.campaign.id, requestId) ? SOLD_OUT : hit);
}

/**
 * One claim or draw: the campaign from the isolate cache, the risk gate, the user's home shard, the shard's answer as
 * 200 or an ApiError. Headers to answer with (a challenge pass) are added to `answerHeaders`. Past the public refusals
 * the work runs in `inRequest` (the fast route's request scope for events; the Hono route is already inside one).
 */
export async function claim(
  env: Env, campaignId: string, input: ClaimInput, headers: Headers, answerHeaders?: Record<string, string>,
  inRequest: RequestScope = (fn) => fn(),
  /** The request's edge location (`request.cf.city`): a city rule's fallback when the member set none. */
  edgeCity: string | null = null,
): Promise<ClaimResult> {
  // Sold out is answered before the session is checked: it is public (the live stock says so), and after a flash
  // sale sells out nearly every request is this answer, so it must not pay for an HMAC.
  const hit = await openCampaign(env, campaignId, headers, () => input.requestId);
  if (hit instanceof ApiError) throw hit;
  return claimOpen(env, hit, input, headers, answerHeaders, inRequest, edgeCity);
}

/** `claim()` for a campaign `openCampaign()` has already let through (the fast route asks it before the body). */
export function claimOpen(
  env: Env, hit: PublicCampaign, input: ClaimInput, headers: Headers, answerHeaders: Record<string, string> | undefined,
  inRequest: RequestScope, edgeCity: string | null,
): Promise<ClaimResult> {
  return inRequest(() => claimAsBuyer(env, hit, input, headers, answerHeaders, edgeCity));
}

async function claimAsBuyer(env: Env, hit: PublicCampaign, input: ClaimInput, headers: Headers, answerHeaders: Record<string, string> | undefined, edgeCity: string | null): Promise<ClaimResult> {
  const campaign = hit.campaign;
  const meta = claimMeta(headers);
  const [session, deviceId] = await Promise.all([claimantSession(env, hit, input, meta), deviceOf(env, hit, meta)]);
  const userId = session.buyerId;
  // An erased buyer's token still verifies: the tenant's cached set of ended sessions refuses it (no D1 read).
  if (await sessionEnded(env, campaign.tenantId, userId)) throw sessionEndedError();
  if (campaign.entry !== "guest" || campaign.minAccountAgeMinutes > 0) await checkEntry(env, campaign, session);
  // Eligibility (issue 19): an open campaign rule on a flash sale or lottery costs nothing here, not even a call.
  if (campaign.kind === "coupon_claim" || !isOpen(campaign.eligibility)) {
    await assertEligible(env, campaign, userId, () => sessionFacts(env, campaign.tenantId, session), edgeCity);
  }
  // The per-IP cap, rate and risk counts see an IPv6 client by its /64 (one line may use any address in it); worked
  // out once here for the gate and the shard.
  const ipCounted = meta.ip ? ipKey(meta.ip) : null;
  const gate = { tenantId: campaign.tenantId, campaignId: campaign.id, userId, ip: meta.ip, ipKey: ipCounted, deviceId, requestId: input.requestId ?? null };
  const pass = await riskGate(env, gate, headers);
  if (pass && answerHeaders) Object.assign(answerHeaders, pass);
  const reply = await claimOnShard(env, campaign, {
    userId,
    origin: meta.origin,
    referrerId: input.referrerId ?? null,
    requestId: input.requestId ?? null,
    deviceId,
    ip: ipCounted,
    phone: session.facts?.phone ? userId : null,
    // Lottery only: a member tier's extra chances (one D1 read; flash sales and coupons do not pay for it).
    bonusChances: campaign.kind === "lottery" ? await memberLotteryBonus(env, campaign.tenantId, userId) : 0,
  });
  if (reply.ok) return reply.result;
  if (reply.code === "rate_limited") {
    await recordDecision(env, { ...gate, path: "claim", decision: "limited", reasons: ["rate_limited"] });
    throw ApiError.tooManyRequests(reply.retryAfterS ?? 1, reply.message);
  }
  if (reply.soldOut) await markSoldOut(env, campaign);
  if (CAP_CODES.has(reply.code)) await recordDecision(env, { ...gate, path: "claim", decision: "limited", reasons: [reply.code] });
  throw ApiError.conflict(reply.code, reply.message);
}

/** Request facts the claim checks need, from a plain Request (the fast route) or Hono's (the documented one). */
export function claimMeta(headers: Headers): ClaimMeta {
  const device = headers.get("x-device-id");
  const auth = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "");
  return {
    deviceToken: device ? device.slice(0, 100) : null,
    ip: headers.get("cf-connecting-ip") ?? headers.get("x-real-ip") ?? "local",
    origin: headers.get("origin"),
    bearer: auth ? auth[1]! : null,
    cookie: headers.get("cookie"),
  };
}

/**
 * A session for a visitor of an embedded campaign (widget): the brand member a signed member token names, the
 * current buyer when the request already carries a valid session, or a new guest of the campaign's brand. Third-
 * party cookies do not reach the API from a brand's page, so the token travels as a Bearer header and lives in the
 * page's own storage; so does the signed device token (sent back as x-device-id).
 */
export async function campaignSession(env: Env, campaignId: string, meta: ClaimMeta, input: z.infer<typeof CampaignSessionInput> = {}, origin: string | null = null) {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) throw ApiError.notFound("Campaign");
  const tenantId = hit.campaign.tenantId;
  // The buyer the carried token names, as that buyer is now: a guest since signed in with a phone (on the store, from
  // the widget's 去验证 link) continues as that phone account — itself, or the account it was attached to — and the
  // new token carries its facts (phone, member), not the old token's. An erased account's token names no one: this
  // browser starts afresh.
  let current: BuyerRow | null = null;
  try {
    current = await resolveBuyer(env, tenantId, (await claimantSession(env, hit, {}, meta)).buyerId);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
  }
  const acq = () => resolveAcquisition(env, tenantId, { campaignId: hit.campaign.id, ...input.acquisition }, origin);
  let userId: string;
  let facts: SessionFacts;
  let memberId: string | null = null;
  if (input.memberToken) {
    memberId = await memberOf(env, tenantId, hit.tenantSlug, input.memberToken);
    const known = await getMemberBuyer(env.DB, tenantId, memberId);
    // Switching this browser to the member is a new session (counted) unless it already is that member's.
    if (!known || current?.id !== known.id) await limitNewSessions(env, meta.ip ?? "local");
    const row = known ?? (await memberBuyer(env, tenantId, memberId, await acq()));
    userId = row.id;
    facts = factsOf(row);
  } else if (current) {
    userId = current.id;
    facts = factsOf(current);
    if (facts.member) memberId = current.member_id ?? null;
  } else {
    await limitNewSessions(env, meta.ip ?? "local");
    const guest = await createGuest(env, tenantId, await acq());
    userId = guest.id;
    facts = factsOf(guest);
  }
  const device = meta.deviceToken ? await verifyDeviceToken(env.BUYER_SESSION_SECRET, tenantId, meta.deviceToken) : null;
  const deviceToken = device ? meta.deviceToken! : (await issueDeviceToken(env.BUYER_SESSION_SECRET, tenantId)).token;
  const token = await signSession(env.BUYER_SESSION_SECRET, tenantId, userId, undefined, facts);
  return { userId, token, expiresAt: new Date(Number(token.split(".")[1]) * 1000).toISOString(), deviceToken, memberId, phoneVerified: facts.phone };
}

/**
 * The order a flash-sale win became, for the winner only, so the page can send them straight to the cashier. The
 * claims consumer creates it shortly after the claim (from the fact the shard forwards); this creates it now if it
 * has not yet, with the same fact (the claim id is the order's idempotency key, so both paths meet on one order).
 */
export async function claimOrder(env: Env, campaignId: string, claimId: string, headers: Headers) {
  const hit = await publicCampaign(env, campaignId);
  if (!hit) throw ApiError.notFound("Campaign");
  const userId = await liveClaimant(env, hit, {}, claimMeta(headers));
  const c = hit.campaign;
  if (c.kind !== "flash_sale") throw ApiError.notFound("Order");
  const shard = homeShard(userId, c.shards);
  const claim = await shardOf(env, c.id, shard).claimOf(userId, claimId);
  if (!claim) throw ApiError.notFound("Claim");
  const fact = claimWonFact({ campaignId: c.id, tenantId: c.tenantId, def: c }, userId, shard, claim.result);
  // Its order lapsed unpaid: said so, not as a product that ran out (the winner may try again while units are left).
  if (claim.failureCode === "order_lapsed") throw ApiError.conflict("order_lapsed", "This win's order was not paid in time and was cancelled; its unit went back on sale");
  if (claim.failureCode === "order_cancelled") throw ApiError.conflict("order_cancelled", "This win's order was cancelled unpaid; its unit went back on sale");
  // Refused for good (its unit is back on sale): ordering it now would sell that unit twice.
  // The winner's guest may have been attached to a phone account since: the order went (or goes) there.
  const holder = (await currentHolders(env.DB, c.tenantId, [userId])).get(userId) ?? userId;
  const out = claim.state === "failed" || !fact ? null : await fulfilClaim(env, fact, holder);
  if (!out || (!out.done && out.permanent)) throw ApiError.conflict("claim_unfulfillable", "This win could not become an order (e.g. the product ran out)");
  if (!out.done) {
    throw new ApiError(503, "order_pending", "The order is not ready yet; retry shortly", undefined, { "Retry-After": "1" });
  }
  return ownOrder(env, c.tenantId, holder, out.ref!);
}

/**
 * The claimant, for routes off the hot claim path: the signed session must also name a buyer that still exists and
 * has not asked to be erased (one D1 read), so an erased account's token stops working there at once.
 */
export async function liveClaimant(env: Env, hit: PublicCampaign, input: { userId?: string }, meta: ClaimMeta): Promise<string> {
  const userId = await claimant(env, hit, input, meta);
  const row = await getBuyer(env.DB, hit.campaign.tenantId, userId);
  if (!row || row.erased_at) throw sessionEndedError();
  return userId;
}
