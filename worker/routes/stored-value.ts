import { createRoute, z } from "@hono/zod-openapi";
import { IdempotencyKey } from "../../schema/orders";
import {
  AccountDetail, AccountSummary, AccountsQuery, Liability, MemberCode, Plan, PlanInput, StoreCharge, StoreChargeInput, Wallet,
} from "../../schema/stored-value";
import { requireKey } from "../middleware/auth";
import { requireBuyer, shopper } from "../middleware/shopper";
import {
  accountDetail, accountsOf, buyPlan, chargeAtStore, createPlan, liabilityOf, memberCodeFor, plansOf, setPlanActive, walletOf,
} from "../services/stored-value";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const shopTags = ["store"];
const tags = ["stored-value"];
const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const shopCommon = { 400: errors[400], 401: errors[401], 403: json(errors[403].content["application/json"].schema, "not_a_member: join first"), 404: errors[404], 429: errors[429] };
const keyed = (scope: "operator" | "redeemer") => ({ security: bearerAuth, middleware: [requireKey(scope)] });
const keyCommon = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] };

const BuyResult = z
  .object({ orderId: z.string(), status: z.string(), amountCents: z.number().int(), checkoutUrl: z.string().nullable(), created: z.boolean() })
  .openapi("StoredValuePurchase");

const wallet = createRoute({
  method: "get", path: "/shop/{tenant}/member/wallet", tags: shopTags, middleware: [shopper],
  summary: "My stored-value wallet (储值卡): balance (principal and bonus), plans to buy, statement",
  request: { params: Tenant }, responses: { 200: json(Wallet, "Wallet"), ...shopCommon },
});
const buy = createRoute({
  method: "post", path: "/shop/{tenant}/member/wallet/plans/{planId}/buy", tags: shopTags, middleware: [shopper],
  summary: "Buy a stored-value plan: an order paid through the gateway; the balance is credited once it is paid",
  request: { params: Tenant.extend({ planId: z.string().min(1).max(64) }), headers: z.object({ "idempotency-key": IdempotencyKey }) },
  responses: { 201: json(BuyResult, "Order placed"), 200: json(BuyResult, "The same order again"), 409: errors[409], ...shopCommon },
});
const code = createRoute({
  method: "post", path: "/shop/{tenant}/member/wallet/code", tags: shopTags, middleware: [shopper],
  summary: "A short-lived signed pay-at-store code (5 minutes) for the merchant to scan or type",
  request: { params: Tenant }, responses: { 200: json(MemberCode, "Code"), ...shopCommon },
});

const plans = createRoute({
  method: "get", path: "/cards/plans", tags, ...keyed("operator"), summary: "Stored-value plans (充100送50…)",
  responses: { 200: json(z.object({ plans: z.array(Plan) }), "Plans"), ...keyCommon },
});
const newPlan = createRoute({
  method: "post", path: "/cards/plans", tags, ...keyed("operator"), summary: "Create a stored-value plan: pay X, get X + bonus",
  request: jsonBody(PlanInput), responses: { 201: json(Plan, "Created"), ...keyCommon },
});
const planStatus = createRoute({
  method: "post", path: "/cards/plans/{planId}/status", tags, ...keyed("operator"), summary: "Offer (active) or withdraw (archived) a plan",
  request: { params: z.object({ planId: z.string().min(1).max(64) }), ...jsonBody(z.object({ status: z.enum(["active", "archived"]) }).strict()) },
  responses: { 200: json(Plan, "Plan"), ...keyCommon },
});
const accounts = createRoute({
  method: "get", path: "/cards/accounts", tags, ...keyed("operator"), summary: "Stored-value accounts, largest balance first; q = card number or member id",
  request: { query: AccountsQuery }, responses: { 200: json(z.object({ accounts: z.array(AccountSummary) }), "Accounts"), ...keyCommon },
});
const account = createRoute({
  method: "get", path: "/cards/accounts/{memberId}", tags, ...keyed("operator"), summary: "One member's account and its ledger (newest first)",
  request: { params: z.object({ memberId: z.string().min(1).max(64) }) }, responses: { 200: json(AccountDetail, "Account"), ...keyCommon },
});
const owed = createRoute({
  method: "get", path: "/cards/liability", tags, ...keyed("operator"), summary: "Outstanding stored value: principal (refundable) and bonus",
  responses: { 200: json(Liability, "Liability"), ...keyCommon },
});
const charge = createRoute({
  method: "post", path: "/redemptions/stored-value", tags: ["redemptions"], ...keyed("redeemer"),
  summary: "储值扣款: take an amount from a member's stored-value balance at a store, by their pay-at-store code",
  description: "Idempotent per Idempotency-Key (a retry answers the first charge, Idempotent-Replayed: true). Never below zero: 409 insufficient_balance. 410 member_code_expired.",
  request: { headers: z.object({ "idempotency-key": z.string().min(8).max(100) }), ...jsonBody(StoreChargeInput) },
  responses: { 200: json(StoreCharge, "Charged"), 409: errors[409], 410: json(errors[404].content["application/json"].schema, "The code expired"), ...keyCommon },
});

export const storedValueRoutes = createRouter()
  .openapi(wallet, async (c) => c.json(await walletOf(c.env, c.var.shopper.tenantId, requireBuyer(c)), 200))
  .openapi(buy, async (c) => {
    const out = await buyPlan(c.env, c.var.shopper.tenantId, requireBuyer(c), c.req.valid("param").planId, c.req.valid("header")["idempotency-key"]);
    return c.json(out, out.created ? 201 : 200);
  })
  .openapi(code, async (c) => c.json(await memberCodeFor(c.env, c.var.shopper.tenantId, requireBuyer(c)), 200))
  .openapi(plans, async (c) => c.json({ plans: await plansOf(c.env, c.var.principal.tenantId) }, 200))
  .openapi(newPlan, async (c) => c.json(await createPlan(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(planStatus, async (c) => c.json(await setPlanActive(c.env, c.var.principal.tenantId, c.req.valid("param").planId, c.req.valid("json").status === "active"), 200))
  .openapi(accounts, async (c) => {
    const { q, limit } = c.req.valid("query");
    return c.json({ accounts: await accountsOf(c.env, c.var.principal.tenantId, q, limit) }, 200);
  })
  .openapi(account, async (c) => c.json(await accountDetail(c.env, c.var.principal.tenantId, c.req.valid("param").memberId), 200))
  .openapi(owed, async (c) => c.json(await liabilityOf(c.env, c.var.principal.tenantId), 200))
  .openapi(charge, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    const out = await chargeAtStore(c.env, { tenantId, apiKeyId }, c.req.valid("json"), c.req.valid("header")["idempotency-key"]);
    if (out.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(out.charge, 200);
  });
