import { createRoute, z } from "@hono/zod-openapi";
import { ErrorBody } from "../../schema/errors";
import {
  AlreadyRedeemed,
  RedeemInput,
  RedeemRefusal,
  Redemption,
  RedemptionHistory,
  RedemptionHistoryQuery,
  RedemptionReversal,
  RedemptionToday,
  RedemptionTodayQuery,
  ReverseRedemptionInput,
  RiskEvent,
  VoucherStatusList,
  VoucherStatusQuery,
} from "../../schema/redemptions";
import { Voucher } from "../../schema/vouchers";
import { requireKey } from "../middleware/auth";
import { clientIp, enforceRateLimit, clientIpKey } from "../middleware/rate-limit";
import { redemptionHistory, redemptionToday, riskEvents, voucherStatusList } from "../services/redemption-reads";
import { redeem } from "../services/redemptions";
import { reverseRedemption } from "../services/redemption-reversal";
import { voidVoucher } from "../services/voucher-void";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const tags = ["redemptions"];

const redeemRoute = createRoute({
  method: "post",
  path: "/redemptions",
  tags,
  summary: "Redeem (核销) a voucher at a store: by its QR public code or a typed coupon code / card key",
  description:
    "Idempotent per Idempotency-Key (a retry returns the first outcome). Concurrent attempts on one voucher: exactly one succeeds, the others get 409 voucher_already_redeemed with when and where.",
  security: bearerAuth,
  middleware: [requireKey("redeemer")],
  request: { headers: z.object({ "idempotency-key": z.string().min(8).max(100) }), ...jsonBody(RedeemInput) },
  responses: {
    200: json(Redemption, "Redeemed"),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: json(z.union([AlreadyRedeemed, RedeemRefusal]), "Already redeemed (with when and where), expired, voided, not valid here… — with the voucher (title, validity, the stores it is valid at) when the code is the brand's"),
    422: json(RedeemRefusal, "A coupon with a threshold needs orderAmountCents"),
    429: errors[429],
  },
});

const reverseRoute = createRoute({
  method: "post",
  path: "/redemptions/{id}/reverse",
  tags,
  summary: "Undo (撤销核销) a redemption made by mistake: the voucher is usable again",
  description:
    "Within 24 h of the redemption, by a redeemer key that may redeem at its store (a store-bound key: its own store only), once. " +
    "A retry with the same Idempotency-Key and reason answers the same reversal (Idempotent-Replayed: true); another attempt gets 409 already_reversed. " +
    "409 reversal_window_closed after the window (with reversibleUntil), redemption_not_reversible for a refused attempt or a voucher no longer redeemed; " +
    "404 redemption_not_found (also for another brand's). A voucher whose validity ended meanwhile stays expired (voucherStatus: expired). " +
    "Recorded as voucher_redemption_reversed, a redemption_reversal ledger entry and an audit-log row, in one D1 batch with the change.",
  security: bearerAuth,
  middleware: [requireKey("redeemer")],
  request: {
    params: z.object({ id: z.string().min(1).max(64) }),
    headers: z.object({ "idempotency-key": z.string().min(8).max(100) }),
    ...jsonBody(ReverseRedemptionInput),
  },
  responses: {
    200: json(RedemptionReversal, "Undone; the voucher is usable again unless it expired meanwhile"),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
    429: errors[429],
  },
});

const history = createRoute({
  method: "get",
  path: "/redemptions",
  tags,
  summary: "Redemption history: what was redeemed (or refused) where and when; a store-bound key sees its store only",
  security: bearerAuth,
  middleware: [requireKey("redeemer")],
  request: { query: RedemptionHistoryQuery },
  responses: { 200: json(RedemptionHistory, "Attempts, newest first"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

const today = createRoute({
  method: "get",
  path: "/redemptions/today",
  tags,
  summary: "Today's redemptions (China Standard Time day): count, face value and discounts, at one store or all; a store-bound key sees its store only",
  security: bearerAuth,
  middleware: [requireKey("redeemer")],
  request: { query: RedemptionTodayQuery },
  responses: { 200: json(RedemptionToday, "Today's totals"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

const status = createRoute({
  method: "get",
  path: "/voucher-status",
  tags,
  summary: "Live status of vouchers by public code, for the holder's page to poll with If-None-Match (304 when unchanged)",
  request: { query: VoucherStatusQuery },
  responses: {
    200: json(VoucherStatusList, "Statuses (unknown codes are left out)"),
    304: { description: "Unchanged since the ETag given in If-None-Match" },
    400: errors[400],
    429: errors[429],
  },
});

const risk = createRoute({
  method: "get",
  path: "/risk-events",
  tags,
  summary: "Risk events raised by redemption monitoring and by compensation (one holder reporting across several orders)",
  security: bearerAuth,
  middleware: [requireKey("operator")],
  responses: { 200: json(z.object({ events: z.array(RiskEvent) }), "Newest first"), 401: errors[401], 403: errors[403], 429: errors[429] },
});

const voidRoute = createRoute({
  method: "post",
  path: "/vouchers/{code}/void",
  tags,
  summary: "Void an issued voucher of this brand (recorded in the ledger)",
  security: bearerAuth,
  middleware: [requireKey("operator")],
  request: { params: z.object({ code: z.string().min(4).max(64) }), ...jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: { 200: json(Voucher, "Voided"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 409: errors[409], 429: errors[429] },
});

export const redemptionRoutes = createRouter()
  .openapi(redeemRoute, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    const out = await redeem(
      c.env,
      { tenantId, apiKeyId, ip: clientIp(c) },
      c.req.valid("json"),
      c.req.valid("header")["idempotency-key"],
      c.var.requestId,
      c.executionCtx,
    );
    if (out.replayed) c.header("Idempotent-Replayed", "true");
    if (out.status === 200) return c.json(out.body as Redemption, 200);
    if (out.status === 409) return c.json(out.body as AlreadyRedeemed, 409);
    if (out.status === 422) return c.json(out.body as RedeemRefusal, 422);
    return c.json(out.body as ErrorBody, 404);
  })
  .openapi(reverseRoute, async (c) => {
    const { tenantId, apiKeyId, scopes } = c.var.principal;
    const out = await reverseRedemption(
      c.env,
      {
        tenantId, apiKeyId, scopes, ip: clientIp(c), userAgent: c.req.header("user-agent")?.slice(0, 300) ?? null,
        requestId: c.var.requestId ?? null, route: c.req.routePath, path: new URL(c.req.url).pathname,
      },
      c.req.valid("param").id,
      c.req.valid("json").reason,
      c.req.valid("header")["idempotency-key"],
    );
    if (out.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(out.body, 200);
  })
  .openapi(history, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await redemptionHistory(c.env.DB, tenantId, apiKeyId, c.req.valid("query")), 200);
  })
  .openapi(today, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await redemptionToday(c.env.DB, tenantId, apiKeyId, c.req.valid("query").storeId), 200);
  })
  .openapi(status, async (c) => {
    await enforceRateLimit(c.env, "voucher-status", clientIpKey(c), 240, 60);
    const { vouchers, etag } = await voucherStatusList(c.env.DB, c.req.valid("query").codes);
    c.header("ETag", etag);
    c.header("Cache-Control", "no-cache");
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    return c.json({ vouchers }, 200);
  })
  .openapi(voidRoute, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await voidVoucher(c.env, tenantId, c.req.valid("param").code, c.req.valid("json").reason, apiKeyId), 200);
  })
  .openapi(risk, async (c) => c.json(await riskEvents(c.env.DB, c.var.principal.tenantId), 200));
