/**
 * Daily check-in (签到) and member tasks (issue 17). A check-in is one row per member per Asia/Shanghai day (its
 * primary key) and its points are earned in the same batch, guarded on that row having been inserted by it: two
 * check-ins at once give one check-in and one set of points. A task completion is one row per (task, member,
 * completion) — 'once' for a one-off task, the fact's id for a repeatable one — paying points, growth and/or a coupon.
 * Completion is read from real facts (a birthday given, a paid order, a redemption at a store, a friend who joined).
 * Tasks reward only: no campaign reads them, so none can gate a lottery.
 */
import type { z } from "@hono/zod-openapi";
import type { MemberTaskInput } from "../../schema/points";
import { newId } from "../domain/crypto";
import { checkInPoints, nextStreak, type StreakReward } from "../domain/points";
import { chinaDay } from "../domain/china-time";
import {
  completionExists, completionReversed, completionsOf, completionsOfOrder, getTask, insertCheckInStmt, insertCompletionStmt, insertTask, lastCheckIn, listTasks,
  reverseCompletionStmt, setCompletionVoucher, taskFacts, updateTask, type TaskRow,
} from "../db/member-activity";
import { memberById } from "../db/members";
import { getVoucherRow, voidVoucherStmt, voucherIs } from "../db/vouchers";
import { getProductRow } from "../db/products";
import { ApiError } from "../errors";
import { actionGrowthStmts, earnGrowthStmts, takeBackGrowthStmts } from "./membership";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { requireMember } from "./member-lookup";
import { expireDueOfMember, movementStmts, reverseSourcePointsStmts, rulesOf, statementOf } from "./points";
import { issueVoucher } from "./vouchers";

export async function checkIn(env: Env, tenantId: string, buyerId: string, now = new Date()) {
  const member = await requireMember(env, tenantId, buyerId);
  const rules = await rulesOf(env, tenantId);
  const day = chinaDay(now);
  const last = await lastCheckIn(env.DB, tenantId, member.id);
  if (last?.day === day) throw ApiError.conflict("already_checked_in", "Already checked in today");
  const streak = nextStreak(day, last);
  const points = checkInPoints(streak, rules.check_in_points, JSON.parse(rules.streak_rewards) as StreakReward[]);
  // Repeats are refused by the keys: the day's row, the movement (check_in, day) and the derived event id.
  const inserted = { sql: "EXISTS (SELECT 1 FROM member_check_ins WHERE tenant_id = ? AND member_id = ? AND day = ?)", args: [tenantId, member.id, day] };
  const earn = points > 0
    ? await movementStmts(env, { tenantId, memberId: member.id, kind: "earn", sourceKind: "check_in", sourceId: day, points, reason: `check_in:${streak}`, buyerId, guard: inserted })
    : { stmts: [] };
  const [ins] = await env.DB.batch([
    insertCheckInStmt(env.DB, tenantId, member.id, day, streak, points),
    ...earn.stmts,
    // Growth for the check-in (growth rules `actions.check_in`), keyed by the day like the points.
    ...actionGrowthStmts(env, tenantId, { memberId: member.id }, "check_in", day, inserted),
    ...eventRows(env, [{ eventId: `evci_${member.id}_${day}`, tenantId, type: "member_checked_in", actor: { userId: buyerId }, payload: { memberId: member.id, day, streak, points } }], inserted),
  ]);
  if (!ins!.meta.changes) throw ApiError.conflict("already_checked_in", "Already checked in today");
  return { day, streak, points, balance: (await memberById(env.DB, tenantId, member.id))!.points_balance };
}

export async function checkInState(env: Env, tenantId: string, memberId: string, now = new Date()) {
  const day = chinaDay(now);
  const [last, rules] = await Promise.all([lastCheckIn(env.DB, tenantId, memberId), rulesOf(env, tenantId)]);
  const today = last?.day === day;
  const streak = !last ? 0 : today ? last.streak : nextStreak(day, last) > 1 ? last.streak : 0;
  // What a check-in gives and the next streak bonus ahead, so the page says so before it is pressed.
  const bonus = (JSON.parse(rules.streak_rewards) as StreakReward[]).filter((r) => r.day > streak && r.points > 0).sort((a, b) => a.day - b.day)[0];
  return { today, streak, dailyPoints: rules.check_in_points, nextBonus: bonus ? { day: bonus.day, points: bonus.points } : null };
}

export function toTask(r: TaskRow) {
  return {
    id: r.id, kind: r.kind, name: r.name, repeatable: !!r.repeatable, points: r.points, growth: r.growth, couponProductId: r.coupon_product_id,
    active: !!r.active, createdAt: r.created_at,
  };
}

const GATES_LOTTERY = /抽奖|lottery|draw|九宫格|大转盘/i;

export async function saveTask(env: Env, tenantId: string, input: z.infer<typeof MemberTaskInput>, taskId?: string) {
  // A task rewards; it never stands between a member and a draw (campaign-lint: participation may not be gated).
  if (GATES_LOTTERY.test(input.name)) throw ApiError.badRequest("task_gates_lottery", "A task may not be tied to a lottery", [{ path: "name", message: "no lottery in a task", code: "custom" }]);
  if (input.couponProductId && !(await getProductRow(env.DB, tenantId, input.couponProductId))) {
    throw ApiError.badRequest("unknown_product", "couponProductId is not a product of this brand", [{ path: "couponProductId", message: "unknown product", code: "custom" }]);
  }
  const row = {
    id: taskId ?? newId("tsk"), tenant_id: tenantId, kind: input.kind, name: input.name, repeatable: input.repeatable ? 1 : 0, points: input.points,
    growth: input.growth, coupon_product_id: input.couponProductId, active: input.active ? 1 : 0,
  };
  const saved = taskId ? await updateTask(env.DB, row) : await insertTask(env.DB, row);
  if (!saved) throw ApiError.notFound("Task");
  return toTask(saved);
}

export const allTasks = async (env: Env, tenantId: string) => (await listTasks(env.DB, tenantId, false)).map(toTask);

/** The completions a member's facts make available for a task: 'once' (one-off) or each fact's id (repeatable). */
async function factsFor(env: Env, tenantId: string, memberId: string) {
  const [profile, firstOrder, redemptions, friends] = await taskFacts(env.DB, tenantId, memberId);
  const ids = (r: D1Result) => (r.results as { id: string }[]).map((x) => x.id);
  return {
    complete_profile: (profile!.results[0] as { birthday: string | null } | undefined)?.birthday ? ["profile"] : [],
    first_purchase: ids(firstOrder!),
    redeem_at_store: ids(redemptions!),
    invite_friend: ids(friends!),
  } satisfies Record<TaskRow["kind"], string[]>;
}

const completionKeys = (task: TaskRow, facts: string[]) => (task.repeatable ? facts : facts.length ? ["once"] : []);

export async function myTasks(env: Env, tenantId: string, memberId: string) {
  const [tasks, done, facts] = await Promise.all([listTasks(env.DB, tenantId, true), completionsOf(env.DB, tenantId, memberId), factsFor(env, tenantId, memberId)]);
  return tasks.map((t) => {
    const ofTask = done.filter((d) => d.task_id === t.id);
    const mine = new Set(ofTask.map((d) => d.completion));
    const { active: _a, createdAt: _c, ...rest } = toTask(t);
    return { ...rest, completions: mine.size, reversed: ofTask.filter((d) => d.reversed_at).length, available: completionKeys(t, facts[t.kind]).some((k) => !mine.has(k)) };
  });
}

const alreadyRewarded = () => ApiError.conflict("task_already_rewarded", "Already rewarded for this task");

/** Claims the next completion the member's facts support: exactly once per completion (its unique key). */
export async function completeTask(env: Env, tenantId: string, buyerId: string, taskId: string) {
  const member = await requireMember(env, tenantId, buyerId);
  const task = await getTask(env.DB, tenantId, taskId);
  if (!task || !task.active) throw ApiError.notFound("Task");
  const done = new Set((await completionsOf(env.DB, tenantId, member.id)).filter((d) => d.task_id === task.id).map((d) => d.completion));
  const facts = (await factsFor(env, tenantId, member.id))[task.kind];
  const completion = completionKeys(task, facts).find((k) => !done.has(k));
  if (!completion) throw done.size ? alreadyRewarded() : ApiError.conflict("task_not_completed", "The task is not completed yet");
  const id = newId("tc");
  const guard = completionExists(id);
  const earn = task.points > 0
    ? await movementStmts(env, { tenantId, memberId: member.id, kind: "earn", sourceKind: "task", sourceId: `${task.id}:${completion}`, points: task.points, reason: task.name, buyerId, guard })
    : { stmts: [] };
  // The order a first purchase stands on: its refund takes this reward back (reverseTasksOfRefund).
  const orderId = task.kind === "first_purchase" ? (task.repeatable ? completion : facts[0]!) : null;
  const [ins] = await env.DB.batch([
    insertCompletionStmt(env.DB, { id, tenantId, taskId: task.id, memberId: member.id, completion, points: task.points, growth: task.growth, orderId }),
    // Growth through the membership ledger (once per completion; a tier reached is an upgrade at once).
    ...(task.growth > 0 ? earnGrowthStmts(env, tenantId, member.id, task.growth, "task", `${task.id}:${completion}`, guard) : []),
    ...eventRows(env, [{
      eventId: `evtc_${id}`, tenantId, type: "member_task_completed", actor: { userId: buyerId },
      payload: { memberId: member.id, taskId: task.id, completion, points: task.points, growth: task.growth },
    }], guard),
    ...earn.stmts,
  ]);
  if (!ins!.meta.changes) throw alreadyRewarded();
  let voucherId: string | null = null;
  if (task.coupon_product_id) {
    // Keyed by the completion: a retry after a crash issues the same voucher, never a second.
    const { voucher } = await issueVoucher(env, { tenantId, holderId: buyerId, productId: task.coupon_product_id, sourceKey: `task:${id}` });
    voucherId = voucher.id;
    await setCompletionVoucher(env.DB, id, voucherId);
  }
  return { taskId: task.id, completion, points: task.points, growth: task.growth, voucherId, balance: (await memberById(env.DB, tenantId, member.id))!.points_balance };
}

/** GET /shop/{store}/member/points: balance, soon-expiring lots, movements paged, today's check-in. */
export async function myPoints(env: Env, tenantId: string, buyerId: string, q: { cursor?: string; limit: number }) {
  let member = await requireMember(env, tenantId, buyerId);
  // Points past their date are expired before the balance is shown (the cron may not have reached them yet).
  if (await expireDueOfMember(env, tenantId, member.id)) member = await requireMember(env, tenantId, buyerId);
  const [statement, checkIn] = await Promise.all([statementOf(env, tenantId, member.id, q), checkInState(env, tenantId, member.id)]);
  return { memberId: member.id, balance: member.points_balance, ...statement, checkIn };
}

/** An operator's view of one member's statement. */
export async function memberPoints(env: Env, tenantId: string, memberId: string, q: { cursor?: string; limit: number }) {
  // Overdue lots go first (a no-op for a member of another tenant or none), so the balance read is the one shown.
  await expireDueOfMember(env, tenantId, memberId);
  const member = await memberById(env.DB, tenantId, memberId);
  if (!member) throw ApiError.notFound("Member");
  const [statement, checkIn] = await Promise.all([statementOf(env, tenantId, member.id, q), checkInState(env, tenantId, member.id)]);
  return { memberId: member.id, balance: member.points_balance, ...statement, checkIn };
}

export async function myTaskList(env: Env, tenantId: string, buyerId: string) {
  const member = await requireMember(env, tenantId, buyerId);
  return myTasks(env, tenantId, member.id);
}

/**
 * A refunded order takes back the first-purchase task rewards it earned, as a refund takes back an invite's: the
 * task's points (what is left of them; what was spent is the movement's shortfall, the balance never goes below
 * zero), its growth with a tier that growth bought (as an order refund's: takeBackGrowthStmts), and its coupon while
 * still unused (voided, voucher_voided) — once, in one batch guarded on the completion being marked reversed by it.
 * The completion stays: the task is not earned again by a later order.
 */
export async function reverseTasksOfRefund(env: Env, tenantId: string, orderId: string) {
  const completions = await completionsOfOrder(env.DB, tenantId, orderId);
  for (const c of completions) {
    const reversed = completionReversed(c.id);
    const stmts = [
      reverseCompletionStmt(env.DB, tenantId, c.id, orderId),
      ...(c.points > 0 ? reverseSourcePointsStmts(env, tenantId, { kind: "task", id: `${c.task_id}:${c.completion}` }, "task_order_refunded", reversed, c.buyer_id) : []),
      // Its growth as an order refund's is taken back: the negative row (task_refund, once) and a tier it bought.
      ...(c.growth > 0 ? takeBackGrowthStmts(env, tenantId, { kind: "task", id: `${c.task_id}:${c.completion}`, memberId: c.member_id }, orderId, "task_refund", reversed) : []),
    ];
    const voucher = c.voucher_id ? await getVoucherRow(env.DB, tenantId, c.voucher_id) : null;
    if (voucher?.status === "issued") {
      stmts.push(voidVoucherStmt(env.DB, tenantId, voucher.id, reversed));
      stmts.push(...eventRows(env, [{
        eventId: `evv_${voucher.id}`, tenantId, type: "voucher_voided", actor: { userId: voucher.holder_id },
        payload: { voucherId: voucher.id, productId: voucher.product_id, campaignId: voucher.campaign_id, kind: voucher.kind, reason: "task_order_refunded" },
      }], voucherIs(tenantId, voucher.id, "voided")));
    }
    await env.DB.batch(stmts);
  }
  if (completions.length) await scheduleDispatch(env);
}
