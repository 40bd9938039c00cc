import { createRoute, z } from "@hono/zod-openapi";
import { Recommendations, RecommendationsQuery, RecommendationState } from "../../schema/recommendations";
import { requireKey } from "../middleware/auth";
import { NearbyQuery, NearbyStores } from "../../schema/stores";
import { requireBuyer, shopper } from "../middleware/shopper";
import { storesForVoucher } from "../services/nearby-stores";
import { alsoBought, forYou, recommendationState, refreshNow } from "../services/recommendations";
import { bearerAuth, createRouter, errors, json } from "./router";

const tags = ["store"];
const middleware = [shopper];
const Tenant = z.object({ tenant: z.string().min(1).max(40) });

const voucherStores = createRoute({
  method: "get", path: "/shop/{tenant}/vouchers/{code}/stores", tags, middleware,
  summary: "Stores where one of my vouchers can be used (its product's stores, else all the brand's): nearest first from ?lat=&lng= (WGS-84), or one ?city=; with distance, open-now and today's hours (Asia/Shanghai)",
  request: { params: Tenant.extend({ code: z.string().min(4).max(64) }), query: NearbyQuery },
  responses: { 200: json(NearbyStores, "Stores"), 400: errors[400], 401: errors[401], 404: errors[404] },
});

const also = createRoute({
  method: "get", path: "/shop/{tenant}/products/{productId}/also-bought", tags, middleware,
  summary: "Others also bought: published products this product's buyers also paid for (warehouse-computed, read from the edge cache)",
  request: { params: Tenant.extend({ productId: z.string().min(1).max(64) }), query: RecommendationsQuery },
  responses: { 200: json(Recommendations, "Recommendations"), 400: errors[400], 404: errors[404] },
});

const mine = createRoute({
  method: "get", path: "/shop/{tenant}/for-you", tags, middleware,
  summary: "For you (为你推荐): co-purchases of what the signed buyer bought or viewed, minus what they hold, then the brand's top products",
  request: { params: Tenant, query: RecommendationsQuery },
  responses: { 200: json(Recommendations, "Recommendations"), 400: errors[400], 404: errors[404] },
});

const state = createRoute({
  method: "get", path: "/recommendations", tags: ["analytics"], security: bearerAuth, middleware: [requireKey("operator")],
  summary: "The recommendation cache: when it was computed, the last attempt and its error",
  responses: { 200: json(RecommendationState, "State"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const refresh = createRoute({
  method: "post", path: "/recommendations/refresh", tags: ["analytics"], security: bearerAuth, middleware: [requireKey("operator")],
  summary: "Recompute recommendations in the warehouse now (the cron does it hourly); a failure keeps the last cache",
  responses: { 200: json(RecommendationState, "State after the attempt"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

export const nearbyRoutes = createRouter()
  .openapi(state, async (c) => c.json(await recommendationState(c.env.DB, c.var.principal.tenantId), 200))
  .openapi(refresh, async (c) => c.json(await refreshNow(c.env, c.var.principal.tenantId), 200))
  .openapi(voucherStores, async (c) =>
    c.json(await storesForVoucher(c.env.DB, c.var.shopper.tenantId, requireBuyer(c), c.req.valid("param").code, c.req.valid("query")), 200),
  )
  .openapi(also, async (c) =>
    c.json(await alsoBought(c.env.DB, c.var.shopper.tenantId, c.req.valid("param").productId, c.req.valid("query").limit), 200),
  )
  .openapi(mine, async (c) => c.json(await forYou(c.env.DB, c.var.shopper.tenantId, c.var.shopper.buyerId, c.req.valid("query").limit), 200));
