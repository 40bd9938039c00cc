import { createRoute, z } from "@hono/zod-openapi";
import { ErrorBody } from "../../schema/errors";
import { ConsentTexts, ErasureInput, ErasureRequest, MarketingConsentInput, MyConsents, MyDataExport } from "../../schema/privacy";
import { ApiError } from "../errors";
import { clearSessionCookie, requireBuyer, shopper } from "../middleware/shopper";
import { enforceRateLimit, clientIpKey } from "../middleware/rate-limit";
import { consentTexts, exportMyData, myConsents, requestErasure, setMyMarketingConsent } from "../services/privacy";
import { createRouter, errors, json, jsonBody } from "./router";

/** A buyer's personal information (PIPL): consent texts and records, download my data, erase my account. */
const tags = ["store"];
const middleware = [shopper];
const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const mine = { 401: errors[401], 404: errors[404], 429: errors[429] };

const texts = createRoute({
  method: "get", path: "/shop/{tenant}/consent-texts", tags, middleware,
  summary: "The consent texts the sign-in form shows, with their current versions (phone_sign_in is required, marketing optional)",
  request: { params: Tenant }, responses: { 200: json(ConsentTexts, "Texts"), 404: errors[404] },
});
const consents = createRoute({
  method: "get", path: "/shop/{tenant}/me/consents", tags, middleware, summary: "My consent records (append-only) and whether marketing messages are allowed",
  request: { params: Tenant }, responses: { 200: json(MyConsents, "Consents"), ...mine },
});
const marketing = createRoute({
  method: "put", path: "/shop/{tenant}/me/consents/marketing", tags, middleware, summary: "Give or withdraw consent to marketing messages (recorded; withdrawing takes effect at once)",
  request: { params: Tenant, ...jsonBody(MarketingConsentInput) }, responses: { 200: json(MyConsents, "Consents"), 400: errors[400], 403: errors[403], ...mine },
});
const data = createRoute({
  method: "get", path: "/shop/{tenant}/me/data", tags, middleware,
  summary: "Download my data: profile (masked phone), consents, orders, vouchers (keys of rights I hold), campaign claims, shares, complaints, ratings and my analytics events, as one JSON file",
  request: { params: Tenant }, responses: { 200: json(MyDataExport, "Everything kept about me in this store"), 503: json(ErrorBody, "The analytics warehouse is unavailable; retry shortly"), ...mine },
});
const erase = createRoute({
  method: "post", path: "/shop/{tenant}/me/erasure", tags, middleware,
  summary: 'Erase my account: recorded now, every session of the account ends at once, and personal data is deleted or pseudonymised by the cron within minutes (at most 24 h). Body {"confirm":"ERASE"}',
  request: { params: Tenant, ...jsonBody(ErasureInput) }, responses: { 202: json(ErasureRequest, "Erasure requested"), 400: errors[400], ...mine },
});

const toErasure = (r: { id: string; status: ErasureRequest["status"]; requested_at: string; completed_at: string | null }): ErasureRequest => ({ id: r.id, status: r.status, requestedAt: r.requested_at, completedAt: r.completed_at });

export const privacyRoutes = createRouter()
  .openapi(texts, (c) => c.json({ texts: consentTexts() }, 200))
  .openapi(consents, async (c) => c.json(await myConsents(c.env, c.var.shopper.tenantId, requireBuyer(c)), 200))
  .openapi(marketing, async (c) => {
    const { tenantId } = c.var.shopper;
    const { granted, version } = c.req.valid("json");
    return c.json(await setMyMarketingConsent(c.env, tenantId, requireBuyer(c), granted, version), 200);
  })
  .openapi(data, async (c) => {
    const buyerId = requireBuyer(c);
    // A whole export reads every campaign shard and the warehouse: a few per minute is plenty for a person.
    await enforceRateLimit(c.env, "my-data", `${clientIpKey(c)}|${buyerId}`, 5, 60);
    const body = await exportMyData(c.env, c.var.shopper.tenantId, buyerId);
    c.header("content-disposition", `attachment; filename="kaquan-${c.var.shopper.slug}-my-data.json"`);
    c.header("cache-control", "no-store");
    return c.json(body, 200);
  })
  .openapi(erase, async (c) => {
    const row = await requestErasure(c.env, c.var.shopper.tenantId, requireBuyer(c));
    clearSessionCookie(c);
    return c.json(toErasure(row), 202);
  });
