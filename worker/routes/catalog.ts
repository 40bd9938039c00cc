import { createRoute, z } from "@hono/zod-openapi";
import {
  ComplianceCheckInput, ComplianceResult, CreateProductInput, ImportKeysInput, ImportKeysResult, Product, ProductStatus,
  StockCounts, UpdateProductInput,
} from "../../schema/catalog";
import { ErrorBody } from "../../schema/errors";
import { CouponBudgetStatus } from "../../schema/coupons";
import { productCouponBudget } from "../services/coupons";
import { Supplier, SupplierInput } from "../../schema/suppliers";
import { requireKey } from "../middleware/auth";
import { changeStatus, checkCopy, createProduct, listProducts, patchProduct, productById, productStock } from "../services/catalog";
import { importCardKeys } from "../services/inventory";
import { saveSupplier, supplierList } from "../services/suppliers";
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
  request: { params: ProductId, ...jsonBody(z.object({ status: ProductStatus }).strict()) },
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
const couponBudget = createRoute({
  method: "get", path: "/products/{productId}/coupon-budget", tags, summary: "A coupon's budget (config.coupon.budget) and what was spent of it: issued count, applied count and cents",
  security: bearerAuth, middleware: operator,
  request: { params: ProductId }, responses: { 200: json(CouponBudgetStatus, "Budget"), 404: errors[404], ...common },
});
const suppliers = createRoute({
  method: "get", path: "/suppliers", tags: ["suppliers"], summary: "Upstream suppliers and their circuit state", security: bearerAuth, middleware: operator,
  responses: { 200: json(z.object({ suppliers: z.array(Supplier) }), "Suppliers"), ...common },
});
const putSupplier = createRoute({
  method: "post", path: "/suppliers", tags: ["suppliers"], summary: "Add or update a supplier and the products it fulfils (with cost)", security: bearerAuth, middleware: [requireKey("admin")],
  request: jsonBody(SupplierInput), responses: { 200: json(Supplier, "Supplier"), ...common },
});

export const catalogRoutes = createRouter()
  .openapi(list, async (c) => c.json({ products: await listProducts(c.env.DB, c.var.principal.tenantId, c.req.valid("query").status) }, 200))
  .openapi(create, async (c) => c.json(await createProduct(c.env.DB, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(get, async (c) => c.json(await productById(c.env.DB, c.var.principal.tenantId, c.req.valid("param").productId), 200))
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
  .openapi(stock, async (c) => c.json(await productStock(c.env.DB, c.var.principal.tenantId, c.req.valid("param").productId), 200))
  .openapi(couponBudget, async (c) => c.json(await productCouponBudget(c.env, c.var.principal.tenantId, c.req.valid("param").productId), 200))
  .openapi(suppliers, async (c) => c.json(await supplierList(c.env.DB, c.var.principal.tenantId), 200))
  .openapi(putSupplier, async (c) => c.json(await saveSupplier(c.env, c.var.principal.tenantId, c.req.valid("json"), new URL(c.req.url).origin), 200));
