/**
 * Friend assist (助力, issue 18). The count is exact by D1 alone: each help is one batch (one transaction) whose
 * guarded INSERT…SELECT takes the help only while its request is open, in time and short of its goal, and whose
 * unique indexes take one help per friend and per device per activity; the count and the reach move only for the help
 * just inserted. The reward is a free order keyed on the request (createOrder's idempotency key), so it exists once.
 */
import type { Assist, AssistInput, AssistRequestView } from "../../schema/assists";
import {
  assistStats, countRefusalStmt, expireRequestsStmt, getAssist, helpersOf, helpFacts, helpStmts, insertAssist, insertRequestStmt, listAssists,
  openRequestOf, requestByCode, requestById, requestExists, rewardSet, setAssistStatus, setRewardOrderStmt, unrewarded,
  type AssistRequestRow, type AssistRow,
} from "../db/assists";
import { getBuyer, holderOf } from "../db/buyers";
import { getProductRow } from "../db/products";
import { newId, randomToken } from "../domain/crypto";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { requireMember } from "./member-lookup";
import { createOrder } from "./orders";
import { assertNotBlocked } from "./risk-gate";

const REWARD_KINDS = ["coupon", "card_key"];

export const toAssist = (a: AssistRow): Assist => ({
  id: a.id, name: a.name, productId: a.product_id, productName: a.product_name ?? null, goal: a.goal, hours: a.hours, startsAt: a.starts_at,
  endsAt: a.ends_at, requirePhone: !!a.require_phone, onePerDevice: !!a.one_per_device, rules: a.rules, status: a.status, createdAt: a.created_at,
});

/** A reward product must exist in this brand and be a coupon or card key (422 on body.<field>). */
export async function assertRewardProduct(env: Pick<Env, "DB">, tenantId: string, productId: string, field: string) {
  const p = await getProductRow(env.DB, tenantId, productId);
  const problem = !p ? "No such product in this brand" : !REWARD_KINDS.includes(p.kind) ? "The reward must be a coupon or card-key product" : null;
  if (problem) throw new ApiError(422, "invalid_reward_product", problem, [{ path: `json.${field}`, message: problem, code: "invalid_reward_product" }]);
}

export async function createAssist(env: Env, tenantId: string, input: AssistInput): Promise<Assist> {
  await assertRewardProduct(env, tenantId, input.productId, "productId");
  const id = newId("ast");
  await insertAssist(env.DB, {
    id, tenant_id: tenantId, name: input.name, product_id: input.productId, goal: input.goal, hours: input.hours,
    starts_at: new Date(input.startsAt).toISOString(), ends_at: new Date(input.endsAt).toISOString(),
    require_phone: input.requirePhone ? 1 : 0, one_per_device: input.onePerDevice ? 1 : 0, rules: input.rules,
  });
  return toAssist((await getAssist(env.DB, tenantId, id))!);
}

export async function setStatus(env: Env, tenantId: string, id: string, status: "active" | "closed"): Promise<Assist> {
  if (!(await setAssistStatus(env.DB, tenantId, id, status))) throw ApiError.notFound("Assist");
  return toAssist((await getAssist(env.DB, tenantId, id))!);
}

export async function statsOf(env: Env, tenantId: string, a: AssistRow) {
  await expireRequestsStmt(env.DB, tenantId, new Date().toISOString(), a.id).run();
  const s = await assistStats(env.DB, tenantId, a.id);
  return {
    assist: toAssist(a), requests: s.counts.requests, open: s.counts.open ?? 0, reached: s.counts.reached ?? 0, expired: s.counts.expired ?? 0,
    helps: s.helps, rewards: s.counts.rewards ?? 0, refusals: Object.fromEntries(s.refusals.map((r) => [r.reason, r.n])),
    recent: s.recent.map((r) => ({ code: r.code, helps: r.helps, goal: r.goal, status: r.status, expiresAt: r.expires_at, rewardOrderId: r.reward_order_id, createdAt: r.created_at })),
  };
}

export async function listWithStats(env: Env, tenantId: string) {
  return Promise.all((await listAssists(env.DB, tenantId)).map((a) => statsOf(env, tenantId, a)));
}

export async function assistForOperator(env: Env, tenantId: string, id: string) {
  const a = await getAssist(env.DB, tenantId, id);
  if (!a) throw ApiError.notFound("Assist");
  return statsOf(env, tenantId, a);
}

async function liveAssist(env: Env, tenantId: string, id: string): Promise<AssistRow> {
  const a = await getAssist(env.DB, tenantId, id);
  if (!a) throw ApiError.notFound("Assist");
  return a;
}

const isLive = (a: AssistRow, now = Date.now()) => a.status === "active" && Date.parse(a.starts_at) <= now && now < Date.parse(a.ends_at);

/** The brand's running activities, for the member centre. */
export async function liveAssists(env: Env, tenantId: string): Promise<Assist[]> {
  const now = Date.now();
  return (await listAssists(env.DB, tenantId)).filter((a) => isLive(a, now)).map(toAssist);
}

/** The activity and the viewer's latest request in it (null for a visitor without one). */
export async function assistHome(env: Env, tenantId: string, assistId: string, buyerId: string | null) {
  const a = await liveAssist(env, tenantId, assistId);
  const mine = buyerId ? await openRequestOf(env.DB, tenantId, assistId, buyerId) : null;
  return { assist: toAssist(a), mine: mine ? await viewOf(env, a, mine, buyerId) : null };
}

/**
 * A member starts a request: one open request per member per activity (a repeat answers the open one). The link
 * carries a random code, never the member's id. assist_started with the row, in one batch.
 */
export async function startRequest(env: Env, tenantId: string, assistId: string, buyerId: string, deviceId: string | null): Promise<{ view: AssistRequestView; created: boolean }> {
  const a = await liveAssist(env, tenantId, assistId);
  if (!isLive(a)) throw ApiError.conflict("assist_not_active", "该助力活动未开始或已结束 / This assist is not running now");
  const member = await requireMember(env, tenantId, buyerId);
  const now = new Date();
  const id = newId("asr");
  const expiresAt = new Date(Math.min(now.getTime() + a.hours * 3_600_000, Date.parse(a.ends_at))).toISOString();
  const row = { id, tenant_id: tenantId, assist_id: a.id, requester_id: buyerId, member_id: member.id, code: randomToken(12), device_id: deviceId, goal: a.goal, expires_at: expiresAt };
  await env.DB.batch([
    expireRequestsStmt(env.DB, tenantId, now.toISOString(), a.id),
    insertRequestStmt(env.DB, row),
    ...eventRows(env, [{ eventId: `evas_${id}`, tenantId, type: "assist_started", actor: { userId: buyerId, deviceId }, payload: { assistId: a.id, requestId: id, goal: a.goal, expiresAt } }], requestExists(id)),
  ]);
  const current = (await openRequestOf(env.DB, tenantId, a.id, buyerId))!;
  if (current.id === id) await scheduleDispatch(env);
  return { view: await viewOf(env, a, current, buyerId), created: current.id === id };
}

const maskName = (phone: string | null, helper: string) => phone ?? `好友 ${helper.slice(-4)}`;

async function viewOf(env: Env, a: AssistRow, r: AssistRequestRow, viewerId: string | null): Promise<AssistRequestView> {
  if (r.status === "reached" && !r.reward_order_id) r = await issueReward(env, r).catch(() => r);
  const helpers = await helpersOf(env.DB, r.tenant_id, r.id);
  const expired = r.status === "open" && Date.parse(r.expires_at) <= Date.now();
  let viewer: AssistRequestView["viewer"] = "visitor";
  if (viewerId === r.requester_id) viewer = "requester";
  else if (viewerId) {
    // Once per activity: a friend who helped another request of this activity cannot help this one (not "helped" it).
    const { helpedRequestId } = await helpFacts(env.DB, r.tenant_id, a.id, viewerId, null);
    if (helpedRequestId) viewer = helpedRequestId === r.id ? "helped" : "helped_other";
  }
  return {
    code: r.code, assist: toAssist(a), helps: r.helps, goal: r.goal, expiresAt: r.expires_at, status: expired ? "expired" : r.status,
    helpers: helpers.map((h) => ({ name: maskName(h.phone, h.helper), at: h.at })), viewer,
    rewardOrderId: viewer === "requester" ? r.reward_order_id : null,
  };
}

export async function viewRequest(env: Env, tenantId: string, code: string, viewerId: string | null) {
  const r = await requestByCode(env.DB, tenantId, code);
  if (!r) throw ApiError.notFound("Assist request");
  return viewOf(env, await liveAssist(env, tenantId, r.assist_id), r, viewerId);
}

type Refusal = { status: 403 | 409; code: string; message: string };
const REFUSALS: Record<string, Refusal> = {
  self_help: { status: 409, code: "assist_self_help", message: "不能为自己助力 / You cannot help your own request" },
  phone_required: { status: 403, code: "assist_phone_required", message: "请先用手机号登录再助力 / Sign in with a verified phone to help" },
  device_required: { status: 403, code: "assist_device_required", message: "无法识别设备，请刷新页面后重试 / This device could not be identified; reload the page" },
  expired: { status: 409, code: "assist_expired", message: "助力已结束（超过时限） / This request's time is up" },
  goal_reached: { status: 409, code: "assist_goal_reached", message: "助力已完成，无需再助力 / This request already has all its helps" },
  already_helped: { status: 409, code: "assist_already_helped", message: "本活动你已助力过 / You already helped in this activity" },
  device_used: { status: 409, code: "assist_device_used", message: "该设备在本活动已助力过 / This device already helped in this activity" },
  not_active: { status: 409, code: "assist_not_active", message: "活动未开始或已结束 / This assist is not running now" },
};

async function refuse(env: Env, tenantId: string, assistId: string, reason: keyof typeof REFUSALS): Promise<never> {
  await countRefusalStmt(env.DB, tenantId, assistId, reason).run();
  const r = REFUSALS[reason]!;
  throw new ApiError(r.status, r.code, r.message);
}

export interface Helper { buyerId: string; deviceId: string | null; ip: string | null }

/** A friend helps: counted once, by the entry rules; the help that reaches the goal issues the reward. */
export async function help(env: Env, tenantId: string, code: string, h: Helper): Promise<AssistRequestView> {
  const r = await requestByCode(env.DB, tenantId, code);
  if (!r) throw ApiError.notFound("Assist request");
  const a = await liveAssist(env, tenantId, r.assist_id);
  const [buyer, requester] = await Promise.all([getBuyer(env.DB, tenantId, h.buyerId), holderOf(env.DB, tenantId, r.requester_id)]);
  // The requester as they are now: a request their guest began before it was attached to the helper's account is theirs.
  if (h.buyerId === requester || (h.deviceId && h.deviceId === r.device_id)) return refuse(env, tenantId, a.id, "self_help");
  if (a.status !== "active") return refuse(env, tenantId, a.id, "not_active");
  if (a.require_phone && buyer?.kind !== "phone") return refuse(env, tenantId, a.id, "phone_required");
  if (a.one_per_device && !h.deviceId) return refuse(env, tenantId, a.id, "device_required");
  await assertNotBlocked(env, tenantId, "claim", { buyerId: h.buyerId, deviceId: h.deviceId, ip: h.ip });
  const now = new Date().toISOString();
  const id = newId("ash");
  const step = helpStmts(env.DB, { id, tenantId, assistId: a.id, requestId: r.id, helperId: h.buyerId, deviceId: a.one_per_device ? h.deviceId : null, now });
  const results = await env.DB.batch([
    ...step.stmts,
    ...eventRows(env, [{ eventId: `evah_${id}`, tenantId, type: "assist_helped", actor: { userId: h.buyerId, deviceId: h.deviceId, referrerId: r.requester_id }, payload: { assistId: a.id, requestId: r.id, helps: 0, goal: r.goal } }],
      step.inserted, [{ path: "$.payload.helps", sql: "SELECT helps FROM assist_requests WHERE id = ?", args: [r.id] }]),
  ]);
  const counted = results[0]!.meta.changes > 0;
  const after = results[3]!.results[0] as { helps: number; goal: number; status: string };
  if (!counted) {
    if (after.status === "expired" || Date.parse(r.expires_at) <= Date.parse(now)) return refuse(env, tenantId, a.id, "expired");
    if (after.status === "reached" || after.helps >= after.goal) return refuse(env, tenantId, a.id, "goal_reached");
    const facts = await helpFacts(env.DB, tenantId, a.id, h.buyerId, h.deviceId);
    return refuse(env, tenantId, a.id, facts.helped ? "already_helped" : facts.deviceUsed ? "device_used" : "goal_reached");
  }
  await scheduleDispatch(env);
  const reachedNow = results[2]!.meta.changes > 0;
  let current = (await requestById(env.DB, tenantId, r.id))!;
  if (reachedNow) current = await issueReward(env, current);
  return viewOf(env, a, current, h.buyerId);
}

/**
 * The reward of a reached request: a free order (delivered the normal way, so the voucher or card key lands in the
 * requester's 我的卡券) keyed on the request, then recorded on the request with assist_goal_reached in one batch.
 * Safe to re-run after a crash (the sweep and the request's page do): the order key and the event id repeat.
 */
export async function issueReward(env: Env, r: AssistRequestRow): Promise<AssistRequestRow> {
  if (r.reward_order_id || r.status !== "reached") return r;
  const a = (await getAssist(env.DB, r.tenant_id, r.assist_id))!;
  // The requester's guest may have been attached to an account since the request began: the reward is the account's.
  const holder = await holderOf(env.DB, r.tenant_id, r.requester_id);
  const { order } = await createOrder(env, {
    tenantId: r.tenant_id, buyerId: holder, winnerId: r.id, productId: a.product_id, idempotencyKey: `assist:${r.id}`, source: `assist:${a.id}`,
    unitPriceCents: 0, requirePublished: false, purchaseLimit: false,
  });
  const minutes = Math.max(0, Math.round((Date.parse(r.reached_at ?? new Date().toISOString()) - Date.parse(r.created_at)) / 60_000));
  // The brand's cost of the reward, as for a campaign prize: the product's face value (the growth view's reward cost).
  const costCents = await rewardCostCents(env, r.tenant_id, a.product_id);
  await env.DB.batch([
    setRewardOrderStmt(env.DB, r.tenant_id, r.id, order.id),
    ...eventRows(env, [{
      eventId: `evag_${r.id}`, tenantId: r.tenant_id, type: "assist_goal_reached", actor: { userId: holder },
      payload: { assistId: a.id, requestId: r.id, helps: r.helps, productId: a.product_id, orderId: order.id, costCents, minutesTaken: minutes },
    }], rewardSet(r.tenant_id, r.id, order.id)),
  ]);
  await scheduleDispatch(env);
  return (await requestById(env.DB, r.tenant_id, r.id))!;
}

/**
 * What a free reward (assist, invite) costs the brand, as a campaign prize's default cost: the reward product's face
 * value. Recorded as `costCents` on assist_goal_reached / invite_rewarded, which the growth view sums as reward cost.
 */
export async function rewardCostCents(env: Env, tenantId: string, productId: string): Promise<number> {
  return (await getProductRow(env.DB, tenantId, productId))?.face_value_cents ?? 0;
}

/** Cron: reached requests whose reward a crash left unrecorded. */
export async function retryAssistRewards(env: Env, tenantId: string | null = null): Promise<number> {
  let n = 0;
  for (const r of await unrewarded(env.DB, tenantId)) {
    try {
      if ((await issueReward(env, r)).reward_order_id) n++;
    } catch (e) {
      console.error(JSON.stringify({ at: "assist_reward", requestId: r.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return n;
}
