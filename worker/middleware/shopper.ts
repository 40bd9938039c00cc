import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { factsOf, SESSION_TTL_S, sessionCookieName, signSession, verifySession } from "../domain/buyer-session";
import { DEVICE_TTL_S, deviceCookieName, issueDeviceToken, verifyDeviceToken } from "../domain/device-token";
import type { BuyerRow } from "../db/buyers";
import { getTenantBySlugCached } from "../db/tenants";
import { ApiError } from "../errors";
import type { Acquisition } from "../../schema/acquisition";
import { embeddingOrigin, resolveAcquisition } from "../services/acquisition";
import { createGuest, limitNewSessions, resolveBuyer } from "../services/buyers";
import { clientIp } from "./rate-limit";
import type { AppEnv } from "../types";

/** Resolves /shop/{tenant}/… to the tenant and the buyer named by the signed session cookie (if any). */
export const shopper = createMiddleware<AppEnv>(async (c, next) => {
  await enterShop(c, true);
  await next();
});

/**
 * As shopper, but the buyer the cookie names is only verified, not read: `sessionBuyerId`, for a route whose service
 * reads the buyer together with its own rows and resolves it (the order a buyer polls until the key shows).
 */
export const shopperUnchecked = createMiddleware<AppEnv>(async (c, next) => {
  await enterShop(c, false);
  await next();
});

async function enterShop(c: Context<AppEnv>, read: boolean) {
  const slug = c.req.param("tenant") ?? "";
  // Only the id is used here, and it never changes: a per-isolate cache saves a D1 round trip per shop request.
  const tenant = await getTenantBySlugCached(c.env.DB, slug);
  if (!tenant) throw ApiError.notFound("Store");
  let buyer: BuyerRow | null = null;
  const id = await verifySession(c.env.BUYER_SESSION_SECRET, tenant.id, getCookie(c, sessionCookieName(slug)));
  if (id && read) buyer = await resolveBuyer(c.env, tenant.id, id);
  c.set("shopper", { tenantId: tenant.id, slug, buyerId: buyer?.id ?? null, buyerKind: buyer?.kind ?? null, ...(read ? {} : { sessionBuyerId: id }) });
}

/**
 * The signed first-party device cookie (`kq_dev_<tenant>`, domain/device-token.ts): issued with a new session (after
 * the session cookie, so the session stays the first Set-Cookie) and by POST /shop/{tenant}/device; the platform's
 * pages send it back with every claim, for the per-device limits.
 */
export async function ensureDeviceCookie(c: Context<AppEnv>) {
  const { tenantId, slug } = c.var.shopper;
  const name = deviceCookieName(slug);
  if (await verifyDeviceToken(c.env.BUYER_SESSION_SECRET, tenantId, getCookie(c, name))) return;
  const { token } = await issueDeviceToken(c.env.BUYER_SESSION_SECRET, tenantId);
  setCookie(c, name, token, { httpOnly: true, sameSite: "Lax", secure: new URL(c.req.url).protocol === "https:", path: "/", maxAge: DEVICE_TTL_S });
}

type SessionBuyer = Pick<BuyerRow, "id" | "kind"> & Partial<Pick<BuyerRow, "member_id" | "created_at">>;

/**
 * Signs a new session into the cookie; counts against the per-IP session limit (429 past it) unless the route has
 * already counted it with its own limits (`counted`: services/buyers.ts newSessionLimit).
 */
export async function setSessionCookie(c: Context<AppEnv>, buyer: SessionBuyer, opts: { counted?: boolean } = {}) {
  if (!opts.counted) await limitNewSessions(c.env, clientIp(c));
  await writeSessionCookie(c, buyer);
}

async function writeSessionCookie(c: Context<AppEnv>, buyer: SessionBuyer) {
  const { slug, tenantId } = c.var.shopper;
  setCookie(c, sessionCookieName(slug), await signSession(c.env.BUYER_SESSION_SECRET, tenantId, buyer.id, undefined, factsOf(buyer)), {
    httpOnly: true,
    sameSite: "Lax",
    secure: new URL(c.req.url).protocol === "https:",
    path: "/",
    maxAge: SESSION_TTL_S,
  });
  c.set("shopper", { ...c.var.shopper, buyerId: buyer.id, buyerKind: buyer.kind });
  await ensureDeviceCookie(c);
}

export function clearSessionCookie(c: Context<AppEnv>) {
  deleteCookie(c, sessionCookieName(c.var.shopper.slug), { path: "/" });
}

/** The current buyer, or a new guest (with where they came from) bound to a fresh cookie. */
export async function buyerOrGuest(c: Context<AppEnv>, acquisition?: Acquisition): Promise<string> {
  if (c.var.shopper.buyerId) return c.var.shopper.buyerId;
  // Counted before the guest row is written, so a refused request leaves nothing behind.
  await limitNewSessions(c.env, clientIp(c));
  const tenantId = c.var.shopper.tenantId;
  const guest = await createGuest(c.env, tenantId, await resolveAcquisition(c.env, tenantId, acquisition, embeddingOrigin(c.req.raw.headers, c.req.url)));
  await writeSessionCookie(c, guest);
  return guest.id;
}

export function requireBuyer(c: Context<AppEnv>): string {
  if (!c.var.shopper.buyerId) throw ApiError.noBuyer();
  return c.var.shopper.buyerId;
}
