import { createRoute, z } from "@hono/zod-openapi";
import {
  ComplianceCheckInput, ComplianceResult, CreateProductInput, ImportKeysInput, ImportKeysResult, Product, ProductStatus,
  StockCounts, UpdateProductInput,
} from "../../schema/catalog";
import { ErrorBody } from "../../schema/errors";
import { Supplier, SupplierInput } from "../../schema/suppliers";
import { newId } from "../domain/crypto";
import { getProductRow, listProductRows, stockCounts } from "../db/products";
import { listSuppliers, upsertSupplier } from "../db/suppliers";
import { ApiError } from "../errors";
import { requireKey } from "../middleware/auth";
import { changeStatus, checkCopy, createProduct, patchProduct, withStock } from "../services/catalog";
import { importCardKeys } from "../services/inventory";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["catalog"];
const operator = [requireKey("operator")];
const ProductId = z.object({ productId: z.string().min(1).max(64) });
const e422 = json(ErrorBody, "Refused: issues name each missing field or banned phrase and where it stands");
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };

const list = createRoute({
  method: "get", path: "/products", tags, summary: "List this tenant's products with stock", security: bearerAuth, middleware: operator,
  request: { query: z.object({ status: ProductStatus.optional() }) },
  responses: { 200: json(z.object({ products: z.array(Product) }), "Products"), ...common },
});
const create = createRoute({
  method: "post", path: "/products", tags, summary: "Create a product (draft)", security: bearerAuth, middleware: operator,
  request: jsonBody(CreateProductInput), responses: { 201: json(Product, "Created"), ...common },
});
const get = createRoute({
  method: "get", path: "/products/{productId}", tags, summary: "One product with stock", security: bearerAuth, middleware: operator,
  request: { params: ProductId }, responses: { 200: json(Product, "Product"), 404: errors[404], ...common },
});
const patch = createRoute({
  method: "patch", path: "/products/{productId}", tags, summary: "Edit a product (a published one is re-checked)", security: bearerAuth, middleware: operator,
  request: { params: ProductId, ...jsonBody(UpdateProductInput) },
  responses: { 200: json(Product, "Updated"), 404: errors[404], 422: e422, ...common },
});
const status = createRoute({
  method: "post", path: "/products/{productId}/status", tags, security: bearerAuth, middleware: operator,
  summary: "Publish, archive or return to draft; publishing refuses missing validity/scope and banned absolute claims",
  request: { params: ProductId, ...jsonBody(z.object({ status: ProductStatus })) },
  responses: { 200: json(Product, "Updated"), 404: errors[404], 422: e422, ...common },
});
const compliance = createRoute({
  method: "post", path: "/compliance/check", tags, security: bearerAuth, middleware: [requireKey()],
  summary: "Check copy for absolute claims banned by China's Advertising Law (phrase list kept in data)",
  request: jsonBody(ComplianceCheckInput), responses: { 200: json(ComplianceResult, "Findings with field and index"), ...common },
});
const importKeys = createRoute({
  method: "post", path: "/products/{productId}/keys/import", tags, security: bearerAuth, middleware: operator,
  summary: "Add up to 1000 card keys (one chunk of an import); per-row errors for duplicates in file or stock",
  request: { params: ProductId, ...jsonBody(ImportKeysInput) },
  responses: { 200: json(ImportKeysResult, "Chunk result"), 404: errors[404], 409: errors[409], ...common },
});
const stock = createRoute({
  method: "get", path: "/products/{productId}/stock", tags, summary: "Stock counts", security: bearerAuth, middleware: operator,
  request: { params: ProductId }, responses: { 200: json(StockCounts, "Stock"), 404: errors[404], ...common },
});
const suppliers = createRoute({
  method: "get", path: "/suppliers", tags: ["suppliers"], summary: "Upstream suppliers and their circuit state", security: bearerAuth, middleware: operator,
  responses: { 200: json(z.object({ suppliers: z.array(Supplier) }), "Suppliers"), ...common },
});
const putSupplier = createRoute({
  method: "post", path: "/suppliers", tags: ["suppliers"], summary: "Add or update a supplier and the products it fulfils (with cost)", security: bearerAuth, middleware: [requireKey("admin")],
  request: jsonBody(SupplierInput), responses: { 200: json(Supplier, "Supplier"), ...common },
});

const toSupplier = (r: { id: string; name: string; base_url: string; status: "active" | "disabled"; consecutive_failures: number; open_until: string | null }) => ({
  id: r.id, name: r.name, baseUrl: r.base_url, status: r.status, consecutiveFailures: r.consecutive_failures, openUntil: r.open_until,
});

export const catalogRoutes = createRouter()
  .openapi(list, async (c) => {
    const t = c.var.principal.tenantId;
    const rows = await listProductRows(c.env.DB, t, c.req.valid("query").status);
    return c.json({ products: await Promise.all(rows.map((r) => withStock(c.env.DB, t, r))) }, 200);
  })
  .openapi(create, async (c) => c.json(await createProduct(c.env.DB, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(get, async (c) => {
    const t = c.var.principal.tenantId;
    const row = await getProductRow(c.env.DB, t, c.req.valid("param").productId);
    if (!row) throw ApiError.notFound("Product");
    return c.json(await withStock(c.env.DB, t, row), 200);
  })
  .openapi(patch, async (c) =>
    c.json(await patchProduct(c.env.DB, c.var.principal.tenantId, c.req.valid("param").productId, c.req.valid("json") as Partial<CreateProductInput>), 200),
  )
  .openapi(status, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await changeStatus(c.env, tenantId, c.req.valid("param").productId, c.req.valid("json").status, apiKeyId), 200);
  })
  .openapi(compliance, async (c) => {
    const findings = checkCopy(c.req.valid("json").texts);
    return c.json({ ok: findings.length === 0, findings }, 200);
  })
  .openapi(importKeys, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await importCardKeys(c.env, tenantId, c.req.valid("param").productId, c.req.valid("json"), apiKeyId), 200);
  })
  .openapi(stock, async (c) => {
    const t = c.var.principal.tenantId;
    const row = await getProductRow(c.env.DB, t, c.req.valid("param").productId);
    if (!row) throw ApiError.notFound("Product");
    return c.json(await stockCounts(c.env.DB, t, row), 200);
  })
  .openapi(suppliers, async (c) => c.json({ suppliers: (await listSuppliers(c.env.DB, c.var.principal.tenantId)).map(toSupplier) }, 200))
  .openapi(putSupplier, async (c) => {
    const input = c.req.valid("json");
    return c.json(toSupplier(await upsertSupplier(c.env.DB, c.var.principal.tenantId, { id: newId("sup"), ...input })), 200);
  });
