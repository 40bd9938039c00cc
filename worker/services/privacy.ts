/**
 * Personal information (PIPL) for buyers: consent records, "download my data", and the erasure request (the cron's
 * part is services/erasure.ts). Consent texts and versions are data: schema/data/consent-texts.json.
 */
import { setBirthdayStmt } from "../db/membership";
import { CONSENT_PURPOSES, CONSENT_TEXTS, currentConsentVersion, type ConsentPurpose, type MyDataExport } from "../../schema/privacy";
import type { ExportRow } from "../../schema/exports";
import type { z } from "@hono/zod-openapi";
import type { SignInConsent } from "../../schema/privacy";
import { getBuyer, type BuyerRow } from "../db/buyers";
import { buyerRows, insertConsent, listConsents, mergedGuestIds, openErasureOf, requestErasureStmts, toConsent } from "../db/privacy";
import { getTenant } from "../db/tenants";
import { hmacSha256Hex, newId } from "../domain/crypto";
import { ApiError } from "../errors";
import { eventRows, type EventInput } from "../queue/emit";
import { listTenantCampaigns, userStanding } from "./campaigns";
import { myVouchers } from "./shop";
import { warehouseRead } from "./warehouse";
import { invalidateEndedSessions } from "./ended-sessions";
import { SESSION_TTL_S } from "../domain/buyer-session";

type SignInConsentIn = z.output<typeof SignInConsent>;

/** 400 unless the sign-in agreed to the text version the platform shows now (an old form must reload first). */
export function assertSignInConsent(consent: SignInConsentIn) {
  if (consent.version !== currentConsentVersion("phone_sign_in")) {
    throw ApiError.badRequest("consent_outdated", `The personal information rules changed (now ${currentConsentVersion("phone_sign_in")}); show the current text and ask again`, [
      { path: "json.consent.version", message: `must be ${currentConsentVersion("phone_sign_in")}`, code: "consent_outdated" },
    ]);
  }
}

function consentEvent(tenantId: string, buyerId: string, id: string, purpose: ConsentPurpose, action: "granted" | "withdrawn", version: string, channel: string): EventInput {
  return { tenantId, type: "consent_changed", eventId: `evc_${id}`, actor: { userId: buyerId }, payload: { purpose, action, textVersion: version, channel } };
}

/** The statements recording a sign-in's consents (the rules, and marketing when opted in) with their events. */
export function signInConsentStmts(env: Env, tenantId: string, buyerId: string, consent: SignInConsentIn): D1PreparedStatement[] {
  const rows: { purpose: ConsentPurpose; version: string }[] = [{ purpose: "phone_sign_in", version: consent.version }];
  if (consent.marketing) rows.push({ purpose: "marketing", version: currentConsentVersion("marketing") });
  return rows.flatMap((r) => {
    const id = newId("cns");
    return [
      insertConsent(env.DB, { id, tenantId, buyerId, purpose: r.purpose, action: "granted", version: r.version, channel: consent.channel }),
      ...eventRows(env, [consentEvent(tenantId, buyerId, id, r.purpose, "granted", r.version, consent.channel)]),
    ];
  });
}

export function consentTexts() {
  return CONSENT_PURPOSES.map((purpose) => {
    const version = currentConsentVersion(purpose);
    return { purpose, version, ...CONSENT_TEXTS[purpose].versions[version]!, required: purpose === "phone_sign_in" };
  });
}

export async function myConsents(env: Env, tenantId: string, buyerId: string) {
  const records = (await listConsents(env.DB, tenantId, [buyerId])).map(toConsent);
  const last = records.filter((r) => r.purpose === "marketing").at(-1);
  return { marketing: last?.action === "granted", records };
}

/** Grants or withdraws marketing consent; a change to the state it is already in records nothing. */
/** Marketing consent given or withdrawn by the signed-in buyer (401 if the buyer is gone). */
export async function setMyMarketingConsent(env: Env, tenantId: string, buyerId: string, granted: boolean, version?: string) {
  const buyer = await getBuyer(env.DB, tenantId, buyerId);
  if (!buyer) throw ApiError.unauthorized("Sign in first");
  return setMarketingConsent(env, tenantId, buyer, granted, version);
}

export async function setMarketingConsent(env: Env, tenantId: string, buyer: BuyerRow, granted: boolean, version?: string) {
  if (buyer.kind !== "phone") throw ApiError.forbidden("Sign in with your phone number to manage marketing messages");
  const current = currentConsentVersion("marketing");
  if (granted && version !== undefined && version !== current) {
    throw ApiError.badRequest("consent_outdated", `The marketing text changed (now ${current})`, [{ path: "json.version", message: `must be ${current}`, code: "consent_outdated" }]);
  }
  const now = await myConsents(env, tenantId, buyer.id);
  if (now.marketing !== granted) {
    const id = newId("cns");
    const action = granted ? "granted" : "withdrawn";
    await env.DB.batch([
      insertConsent(env.DB, { id, tenantId, buyerId: buyer.id, purpose: "marketing", action, version: current, channel: "web" }),
      ...eventRows(env, [consentEvent(tenantId, buyer.id, id, "marketing", action, current, "web")]),
      // The member's birthday is kept only under this consent (the birthday gift is marketing): withdrawn, it goes.
      ...(granted ? [] : [setBirthdayStmt(env.DB, tenantId, buyer.id, null)]),
    ]);
  }
  return myConsents(env, tenantId, buyer.id);
}

/**
 * Everything kept about the buyer in this store, as one JSON document. Card keys and coupon codes of the buyer's
 * own vouchers are included exactly as 我的卡券 shows them (only rights the buyer still holds): they are the buyer's
 * property, and an account about to be erased must not take the only copy of a paid key with it.
 */
export async function exportMyData(env: Env, tenantId: string, buyerId: string): Promise<MyDataExport> {
  const [buyer, tenant, guests] = await Promise.all([getBuyer(env.DB, tenantId, buyerId), getTenant(env.DB, tenantId), mergedGuestIds(env.DB, tenantId, buyerId)]);
  if (!buyer || !tenant) throw ApiError.unauthorized("Sign in first");
  const ids = [buyerId, ...guests];
  const [rows, vouchers, consents, claims, events] = await Promise.all([
    buyerRows(env.DB, tenantId, buyerId, ids),
    myVouchers(env, tenantId, buyerId),
    listConsents(env.DB, tenantId, ids),
    campaignClaims(env, tenantId, ids),
    warehouseRead<{ rows: ExportRow[] }>(env, "/v1/privacy/user-events", { tenantId, userIds: ids, limit: 10_000 }),
  ]);
  return {
    exportedAt: new Date().toISOString(),
    store: { slug: tenant.slug, name: tenant.name },
    profile: {
      id: buyer.id, kind: buyer.kind, phoneMasked: buyer.phone_masked, createdAt: buyer.created_at, mergedGuestIds: guests,
      acquisition: acquisitionOf(buyer as BuyerRow & Record<string, unknown>),
    },
    consents: consents.map(toConsent),
    orders: rows.orders,
    vouchers: vouchers as unknown as Record<string, unknown>[],
    claims,
    shares: rows.shares,
    complaints: rows.complaints,
    ratings: rows.ratings,
    events: events.rows,
    notes: [
      "Your phone number is kept only as a keyed hash (to find your account at sign-in) and in the masked form shown above.",
      "Card keys and codes appear only for vouchers you still hold, as on the 我的卡券 page.",
      "Campaign claims are read from each campaign's live state; events are the analytics records of what you did in this store.",
    ],
  };
}

function acquisitionOf(b: Record<string, unknown>) {
  const keys = ["acquisition_campaign_id", "referrer_id", "share_code", "utm_source", "utm_medium", "utm_campaign", "origin", "device_id"];
  return Object.fromEntries(keys.map((k) => [k, b[k] ?? null]));
}

/** The buyer's standing in every campaign of the store (the same data as the standing route), where they took part. */
async function campaignClaims(env: Env, tenantId: string, ids: string[]) {
  const campaigns = await listTenantCampaigns(env, tenantId);
  const out: Record<string, unknown>[] = [];
  for (const c of campaigns) {
    for (const userId of ids) {
      const s = await userStanding(env, c, userId);
      if (s.claimedTotal > 0 || s.claims.length > 0 || s.wins > 0) out.push({ campaignId: c.id, campaignName: c.name, kind: c.kind, ...s });
    }
  }
  return out;
}

/**
 * The buyer asks to be erased: the request is recorded and every session of the account (and of guests attached to
 * it) stops working at once, in one transaction; the cron does the rest within minutes (services/erasure.ts).
 * The pseudonym is a keyed hash of the id under a random key that is never stored.
 */
export async function requestErasure(env: Env, tenantId: string, buyerId: string) {
  const open = await openErasureOf(env.DB, tenantId, buyerId);
  if (open) return open;
  const key = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const pseudonym = `anon_${(await hmacSha256Hex(key, buyerId)).slice(0, 32)}`;
  const id = newId("era");
  await env.DB.batch([
    ...requestErasureStmts(env.DB, { id, tenantId, buyerId, pseudonym, sessionsUntil: new Date(Date.now() + SESSION_TTL_S * 1000).toISOString() }),
    // Named by the pseudonym already: this event may reach the warehouse after the erasure pass re-keyed it.
    ...eventRows(env, [{ tenantId, type: "erasure_requested", eventId: `evr_${id}`, actor: { userId: pseudonym }, payload: { requestId: id } }]),
  ]);
  invalidateEndedSessions(tenantId);
  return (await openErasureOf(env.DB, tenantId, buyerId))!;
}
