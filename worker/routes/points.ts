import { createRoute, z } from "@hono/zod-openapi";
import { ErrorBody } from "../../schema/errors";
import { IdempotencyKey } from "../../schema/orders";
import {
  CheckInResult, ExchangeHeaders, MallExchange, MallItem, MallItemInput, MemberMall, MemberTask, MemberTaskInput, MyTask, PointsAdjustInput,
  PointsLiability, PointsMovement, PointsRules, PointsRulesInput, PointsStatement, StatementQuery, TaskCompletion,
} from "../../schema/points";
import { requireKey } from "../middleware/auth";
import { requireBuyer, shopper } from "../middleware/shopper";
import { exchange, mallItems, memberMall, saveItem } from "../services/mall";
import { allTasks, checkIn, completeTask, memberPoints, myPoints, myTaskList, saveTask } from "../services/member-activity";
import { adjustPoints, liabilityOf, rulesOf, setRules, toRules } from "../services/points";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const Tenant = z.object({ tenant: z.string().min(1).max(40) });
const Id = z.string().min(1).max(64);
const shop = { tags: ["member points"], middleware: [shopper] };
const shopErrors = { 400: errors[400], 401: errors[401], 403: json(errors[403].content["application/json"].schema, "not_a_member: join first"), 404: errors[404], 429: errors[429] };

const statement = createRoute({
  method: "get", path: "/shop/{tenant}/member/points", ...shop, summary: "My points: balance, soon-expiring points, movements (newest first, paged), today's check-in",
  request: { params: Tenant, query: StatementQuery }, responses: { 200: json(PointsStatement, "Statement"), ...shopErrors },
});
const checkInRoute = createRoute({
  method: "post", path: "/shop/{tenant}/member/check-in", ...shop, summary: "Daily check-in (签到): once per Asia/Shanghai day; streak bonuses per the brand's rules",
  request: { params: Tenant }, responses: { 200: json(CheckInResult, "Checked in"), 409: errors[409], ...shopErrors },
});
const tasks = createRoute({
  method: "get", path: "/shop/{tenant}/member/tasks", ...shop, summary: "The brand's active tasks with my completions and whether one is ready to claim",
  request: { params: Tenant }, responses: { 200: json(z.object({ tasks: z.array(MyTask) }), "Tasks"), ...shopErrors },
});
const complete = createRoute({
  method: "post", path: "/shop/{tenant}/member/tasks/{taskId}/complete", ...shop,
  summary: "Claim a task's reward: checked against real facts (birthday given, paid order, redemption, friend joined); once per completion",
  request: { params: Tenant.extend({ taskId: Id }) }, responses: { 200: json(TaskCompletion, "Rewarded"), 409: errors[409], ...shopErrors },
});
const mall = createRoute({
  method: "get", path: "/shop/{tenant}/member/mall", ...shop, summary: "Points mall: items, my balance and my exchanges",
  request: { params: Tenant }, responses: { 200: json(MemberMall, "Mall"), ...shopErrors },
});
const exchangeRoute = createRoute({
  method: "post", path: "/shop/{tenant}/member/mall/{itemId}/exchange", ...shop,
  summary: "Exchange points (plus any cash part) for a mall item: an order like any other; Idempotency-Key makes a repeat return the same exchange",
  request: { params: Tenant.extend({ itemId: Id }), headers: ExchangeHeaders },
  responses: { 201: json(MallExchange, "Exchanged"), 200: json(MallExchange, "The same exchange again"), 409: errors[409], ...shopErrors },
});

const op = { tags: ["points"], security: bearerAuth };
const opErrors = { 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429] };
const getRules = createRoute({ method: "get", path: "/points/rules", ...op, middleware: [requireKey("operator")], summary: "Earn, expiry, reminder, check-in and value rules", responses: { 200: json(PointsRules, "Rules"), ...opErrors } });
const putRules = createRoute({
  method: "put", path: "/points/rules", ...op, middleware: [requireKey("operator")], summary: "Change the points rules (fields left out keep their value)",
  request: jsonBody(PointsRulesInput), responses: { 200: json(PointsRules, "Rules"), ...opErrors },
});
const listTasks = createRoute({ method: "get", path: "/points/tasks", ...op, middleware: [requireKey("operator")], summary: "Member tasks", responses: { 200: json(z.object({ tasks: z.array(MemberTask) }), "Tasks"), ...opErrors } });
const createTask = createRoute({
  method: "post", path: "/points/tasks", ...op, middleware: [requireKey("operator")], summary: "Add a member task (pays points, growth and/or a coupon; never tied to a lottery)",
  request: jsonBody(MemberTaskInput), responses: { 201: json(MemberTask, "Created"), ...opErrors },
});
const putTask = createRoute({
  method: "put", path: "/points/tasks/{taskId}", ...op, middleware: [requireKey("operator")], summary: "Change a member task",
  request: { params: z.object({ taskId: Id }), ...jsonBody(MemberTaskInput) }, responses: { 200: json(MemberTask, "Saved"), ...opErrors },
});
const unpublished = json(ErrorBody, "invalid_mall_item: an active item needs a published product");
const listItems = createRoute({ method: "get", path: "/mall/items", ...op, middleware: [requireKey("operator")], summary: "Points mall items", responses: { 200: json(z.object({ items: z.array(MallItem) }), "Items"), ...opErrors } });
const createItem = createRoute({
  method: "post", path: "/mall/items", ...op, middleware: [requireKey("operator")], summary: "Offer a catalog product in the points mall (points or points + cash, own stock and per-member limit)",
  request: jsonBody(MallItemInput), responses: { 201: json(MallItem, "Created"), 422: unpublished, ...opErrors },
});
const putItem = createRoute({
  method: "put", path: "/mall/items/{itemId}", ...op, middleware: [requireKey("operator")], summary: "Change a mall item (stock: the new total; what was taken stays taken, so a total below it is refused with 409 stock_below_taken)",
  request: { params: z.object({ itemId: Id }), ...jsonBody(MallItemInput) }, responses: { 200: json(MallItem, "Saved"), 409: json(ErrorBody, "stock_below_taken: the new stock is below what members already exchanged; nothing changed"), 422: unpublished, ...opErrors },
});
const liability = createRoute({
  method: "get", path: "/points/liability", ...op, middleware: [requireKey("operator")], summary: "Outstanding points and their money value; issued, spent, expired",
  responses: { 200: json(PointsLiability, "Liability"), ...opErrors },
});
const adjust = createRoute({
  method: "post", path: "/points/adjustments", ...op, middleware: [requireKey("operator")],
  summary: "Manual points adjustment with a reason (audited; Idempotency-Key makes a retry one movement; never below zero)",
  request: { headers: z.object({ "idempotency-key": IdempotencyKey }), ...jsonBody(PointsAdjustInput) },
  responses: { 201: json(PointsMovement, "Adjusted"), 409: errors[409], ...opErrors },
});
const memberStatement = createRoute({
  method: "get", path: "/points/members/{memberId}", ...op, middleware: [requireKey("operator")], summary: "One member's points statement",
  request: { params: z.object({ memberId: Id }), query: StatementQuery }, responses: { 200: json(PointsStatement, "Statement"), ...opErrors },
});

export const memberPointsRoutes = createRouter()
  .openapi(statement, async (c) => c.json(await myPoints(c.env, c.var.shopper.tenantId, requireBuyer(c), c.req.valid("query")), 200))
  .openapi(checkInRoute, async (c) => c.json(await checkIn(c.env, c.var.shopper.tenantId, requireBuyer(c)), 200))
  .openapi(tasks, async (c) => c.json({ tasks: await myTaskList(c.env, c.var.shopper.tenantId, requireBuyer(c)) }, 200))
  .openapi(complete, async (c) => c.json(await completeTask(c.env, c.var.shopper.tenantId, requireBuyer(c), c.req.valid("param").taskId), 200))
  .openapi(mall, async (c) => c.json(await memberMall(c.env, c.var.shopper.tenantId, requireBuyer(c)), 200))
  .openapi(exchangeRoute, async (c) => {
    const res = await exchange(c.env, c.var.shopper.tenantId, requireBuyer(c), c.req.valid("param").itemId, c.req.valid("header")["idempotency-key"]);
    return res.created ? c.json(res.exchange, 201) : c.json(res.exchange, 200);
  });

export const pointsRoutes = createRouter()
  .openapi(getRules, async (c) => c.json(toRules(await rulesOf(c.env, c.var.principal.tenantId)), 200))
  .openapi(putRules, async (c) => c.json(await setRules(c.env, c.var.principal.tenantId, c.req.valid("json")), 200))
  .openapi(listTasks, async (c) => c.json({ tasks: await allTasks(c.env, c.var.principal.tenantId) }, 200))
  .openapi(createTask, async (c) => c.json(await saveTask(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(putTask, async (c) => c.json(await saveTask(c.env, c.var.principal.tenantId, c.req.valid("json"), c.req.valid("param").taskId), 200))
  .openapi(listItems, async (c) => c.json({ items: await mallItems(c.env, c.var.principal.tenantId, false) }, 200))
  .openapi(createItem, async (c) => c.json(await saveItem(c.env, c.var.principal.tenantId, c.req.valid("json")), 201))
  .openapi(putItem, async (c) => c.json(await saveItem(c.env, c.var.principal.tenantId, c.req.valid("json"), c.req.valid("param").itemId), 200))
  .openapi(liability, async (c) => c.json(await liabilityOf(c.env, c.var.principal.tenantId), 200))
  .openapi(adjust, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    return c.json(await adjustPoints(c.env, tenantId, c.req.valid("json"), c.req.valid("header")["idempotency-key"], apiKeyId), 201);
  })
  .openapi(memberStatement, async (c) => c.json(await memberPoints(c.env, c.var.principal.tenantId, c.req.valid("param").memberId, c.req.valid("query")), 200));
