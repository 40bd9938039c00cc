import { createRoute, z } from "@hono/zod-openapi";
import { BindRedeemerKeyInput, CreateStoreInput, ProductStoresInput, RedeemerKeySettings, Store, UpdateStoreInput } from "../../schema/redemptions";
import { requireKey } from "../middleware/auth";
import { addStore, bindKey, editStore, keySettingsWithStore, limitProductStores, reinstateRedeemerKey, storesOf } from "../services/stores";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["stores"];
const KeyParam = z.object({ keyId: z.string().min(1).max(64) });

const list = createRoute({
  method: "get",
  path: "/stores",
  tags,
  summary: "This brand's stores",
  security: bearerAuth,
  middleware: [requireKey("redeemer")],
  responses: { 200: json(z.object({ stores: z.array(Store) }), "Stores"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const create = createRoute({
  method: "post",
  path: "/stores",
  tags,
  summary: "Add a store where vouchers are redeemed",
  security: bearerAuth,
  middleware: [requireKey("operator")],
  request: jsonBody(CreateStoreInput),
  responses: { 201: json(Store, "Created"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

const update = createRoute({
  method: "patch",
  path: "/stores/{storeId}",
  tags,
  summary: "Change a store: name, address, city, WGS-84 coordinates, opening hours (Asia/Shanghai)",
  security: bearerAuth,
  middleware: [requireKey("operator")],
  request: { params: z.object({ storeId: z.string().min(1).max(64) }), ...jsonBody(UpdateStoreInput) },
  responses: { 200: json(Store, "Updated"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

const myKey = createRoute({
  method: "get",
  path: "/redeemer-keys/me",
  tags,
  summary: "The calling redeemer key's store binding and suspension state",
  security: bearerAuth,
  middleware: [requireKey("redeemer")],
  responses: { 200: json(RedeemerKeySettings.extend({ store: Store.nullable() }), "Settings"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const bind = createRoute({
  method: "put",
  path: "/redeemer-keys/{keyId}",
  tags,
  summary: "Bind a redeemer key to one store (or unbind with null)",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  request: { params: KeyParam, ...jsonBody(BindRedeemerKeyInput) },
  responses: { 200: json(RedeemerKeySettings, "Settings"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

const reinstate = createRoute({
  method: "post",
  path: "/redeemer-keys/{keyId}/reinstate",
  tags,
  summary: "Lift a suspension (e.g. one set automatically by redemption monitoring)",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  request: { params: KeyParam },
  responses: { 200: json(RedeemerKeySettings, "Settings"), 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

const productStores = createRoute({
  method: "put",
  path: "/products/{productId}/stores",
  tags,
  summary: "Limit where a product's vouchers can be redeemed (empty list = any store)",
  security: bearerAuth,
  middleware: [requireKey("operator")],
  request: { params: z.object({ productId: z.string().min(1).max(64) }), ...jsonBody(ProductStoresInput) },
  responses: { 200: json(ProductStoresInput, "Stores"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] },
});

export const storeRoutes = createRouter()
  .openapi(list, async (c) => c.json(await storesOf(c.env.DB, c.var.principal.tenantId), 200))
  .openapi(create, async (c) => c.json(await addStore(c.env.DB, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(update, async (c) => c.json(await editStore(c.env.DB, c.var.principal.tenantId, c.req.valid("param").storeId, c.req.valid("json")), 200))
  .openapi(myKey, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await keySettingsWithStore(c.env.DB, tenantId, apiKeyId), 200);
  })
  .openapi(bind, async (c) =>
    c.json(await bindKey(c.env.DB, c.var.principal.tenantId, c.req.valid("param").keyId, c.req.valid("json").storeId), 200),
  )
  .openapi(reinstate, async (c) => c.json(await reinstateRedeemerKey(c.env.DB, c.var.principal.tenantId, c.req.valid("param").keyId), 200))
  .openapi(productStores, async (c) =>
    c.json(await limitProductStores(c.env.DB, c.var.principal.tenantId, c.req.valid("param").productId, c.req.valid("json").storeIds), 200),
  );
