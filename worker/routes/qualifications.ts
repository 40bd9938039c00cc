import { createRoute, z } from "@hono/zod-openapi";
import { Qualifications } from "../../schema/qualifications";
import { verifySessionFacts } from "../domain/buyer-session";
import { edgeCityOf } from "../domain/edge-city";
import { ApiError } from "../errors";
import { shopper } from "../middleware/shopper";
import { qualifications, viewerOf } from "../services/qualifications";
import { tenantBySlugCached } from "../services/tenants";
import { createRouter, errors, json } from "./router";

// 我能领/可用 (issue 19): the storefront's (shop session cookie) and the widget's (Bearer campaign session, CORS for
// the brand's origins: middleware/campaign-origins.ts). No session: only what is open to everyone.
const responses = { 400: errors[400], 404: errors[404], 429: errors[429] };
const shop = createRoute({
  method: "get", path: "/shop/{tenant}/qualifications", tags: ["store"], middleware: [shopper],
  summary: "What the signed-in buyer may claim or use here now: running campaigns (eligible or the refusing rule), coupon claims still open to them, coupons usable now",
  request: { params: z.object({ tenant: z.string().min(1).max(40) }) }, responses: { 200: json(Qualifications, "Qualifications"), ...responses },
});
const widget = createRoute({
  method: "get", path: "/public/{slug}/qualifications", tags: ["campaigns (public)"],
  summary: "The same for the widget: the buyer of the Bearer campaign session (e.g. a brand member token's), else open items only",
  request: { params: z.object({ slug: z.string().min(1).max(40) }) }, responses: { 200: json(Qualifications, "Qualifications"), ...responses },
});

export const qualificationRoutes = createRouter()
  .openapi(shop, async (c) => {
    const { tenantId, slug, buyerId } = c.var.shopper;
    return c.json(await qualifications(c.env, tenantId, slug, await viewerOf(c.env, tenantId, buyerId), edgeCityOf(c.req.raw)), 200);
  })
  .openapi(widget, async (c) => {
    const slug = c.req.valid("param").slug;
    const tenant = await tenantBySlugCached(c.env, slug);
    if (!tenant) throw ApiError.notFound("Store");
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const session = bearer ? await verifySessionFacts(c.env.BUYER_SESSION_SECRET, tenant.id, bearer) : null;
    return c.json(await qualifications(c.env, tenant.id, slug, await viewerOf(c.env, tenant.id, session?.buyerId ?? null), edgeCityOf(c.req.raw)), 200);
  });
