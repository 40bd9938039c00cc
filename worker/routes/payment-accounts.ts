import { createRoute, z } from "@hono/zod-openapi";
import { PaymentAccount, PaymentAccountInput } from "../../schema/payments";
import { requireKey } from "../middleware/auth";
import { listAccounts, savePaymentAccount } from "../services/payment-accounts";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["payments"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] };

const list = createRoute({
  method: "get", path: "/payment-accounts", tags, security: bearerAuth, middleware: [requireKey("admin")],
  summary: "The brand's connected payment gateway accounts (never their keys)",
  responses: { 200: json(z.object({ accounts: z.array(PaymentAccount) }), "Accounts"), ...common },
});
const save = createRoute({
  method: "put", path: "/payment-accounts", tags, security: bearerAuth, middleware: [requireKey("admin")],
  summary: "Connect or replace the brand's account at WeChat Pay (API v3) or Alipay; the credentials are sealed at rest",
  description: "The answer names the account id; the gateway's notify URL for it is /api/v1/pay/callback/{provider}/{accountId}.",
  request: jsonBody(PaymentAccountInput),
  responses: { 200: json(PaymentAccount, "Saved"), ...common },
});

export const paymentAccountRoutes = createRouter()
  .openapi(list, async (c) => c.json({ accounts: await listAccounts(c.env, c.var.principal.tenantId) }, 200))
  .openapi(save, async (c) => c.json(await savePaymentAccount(c.env, c.var.principal.tenantId, c.req.valid("json")), 200));
