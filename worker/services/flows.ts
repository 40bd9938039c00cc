/**
 * Lifecycle flows (issue 19 item 5), run from the cron for tenants that turned them on: expiry reminder N days before
 * a coupon lapses, revive an expired coupon once (a new voucher of the same product with a short validity), win back
 * members dormant N days, birthday gift. Exactly once per (flow, person, trigger): the trigger is the voucher, the
 * last activity's time, or the year; its outreach_messages row (services/messaging.ts) is inserted once, and a coupon
 * is a free order under `flow:<flow>:<person>:<trigger>`, so two runs, concurrent or not, issue and tell once.
 * A person the message would not reach (no consent, unsubscribed, over the cap) gets the suppression recorded and no
 * coupon; quiet hours only delay the SMS. Win-back and birthdays walk their candidates from a cursor (outreach_cursors).
 */
import type { Flow, OutreachSettings } from "../../schema/outreach";
import { chinaDay } from "../domain/china-time";
import { monthKey } from "../domain/tiers";
import {
  birthdayMembers, couponProduct, dormantMembers, expiredCoupons, expiringCoupons, flowCursor, moveFlowCursorStmt, shortenOrderVouchersStmt, tenantsWithFlows } from "../db/outreach";
import type { Keyset } from "../db/statements";
import { ApiError } from "../errors";
import { scheduleDispatch } from "../queue/emit";
import { outreachSettings, sendMessage, wouldReach, type MessageSpec } from "./messaging";
import { createOrder } from "./orders";

const BATCH = 200;
const DAY = 86_400_000;

/**
 * Issue (unless the message would be suppressed) and tell; the free order's key makes a repeat the same order. A coupon
 * that cannot be issued (sold out, over a limit, budget spent) is final for this trigger — the order's key would only
 * replay the refusal — so it is recorded as suppressed `coupon_unavailable`, not sent, and the walk moves on. An order
 * another run is still placing under the same key (a repeat answers it in status `created`) is not settled: nothing is
 * recorded (null), and a later run records what became of it.
 */
async function issueAndTell(env: Env, s: OutreachSettings, spec: MessageSpec & { productId: string }, now: Date, after?: (orderId: string) => D1PreparedStatement[]) {
  const reach = await wouldReach(env, spec.tenantId, spec.buyerId, spec.flow, s, now);
  if (reach.status === "suppressed") return sendMessage(env, spec, s, now);
  let orderId: string;
  try {
    const { order } = await createOrder(env, {
      tenantId: spec.tenantId, buyerId: spec.buyerId, productId: spec.productId, idempotencyKey: `flow:${spec.flow}:${spec.buyerId}:${spec.triggerKey}`,
      source: `flow:${spec.flow}`, unitPriceCents: 0, requirePublished: false,
    });
    if (order.status === "created") return null;
    orderId = order.id;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    console.error(JSON.stringify({ at: "flow-issue", tenantId: spec.tenantId, flow: spec.flow, error: e.code }));
    return sendMessage(env, { ...spec, couponProductId: spec.productId, couponUnavailable: true }, s, now);
  }
  return sendMessage(env, { ...spec, orderId, couponProductId: spec.productId }, s, now, after?.(orderId) ?? []);
}

export async function runExpiryReminders(env: Env, t: string, s: OutreachSettings, now: Date) {
  const days = s.flows.expiryReminder.days;
  for (const v of await expiringCoupons(env.DB, t, now.toISOString(), new Date(now.getTime() + days * DAY).toISOString(), BATCH)) {
    await sendMessage(env, {
      tenantId: t, buyerId: v.holder_id, flow: "expiry_reminder", triggerKey: v.id, voucherId: v.id, couponProductId: v.product_id, couponName: v.title,
      date: chinaDay(new Date(v.valid_to)),
    }, s, now);
  }
}

export async function runRevivals(env: Env, t: string, s: OutreachSettings, now: Date) {
  const { validityDays, withinDays } = s.flows.revive;
  const validTo = new Date(now.getTime() + validityDays * DAY).toISOString();
  for (const v of await expiredCoupons(env.DB, t, new Date(now.getTime() - withinDays * DAY).toISOString(), now.toISOString(), BATCH)) {
    await issueAndTell(env, s, {
      tenantId: t, buyerId: v.holder_id, flow: "revive", triggerKey: v.id, voucherId: v.id, productId: v.product_id, couponName: v.title, date: chinaDay(new Date(validTo)),
    }, now, (orderId) => [shortenOrderVouchersStmt(env.DB, t, orderId, validTo)]);
  }
}

/**
 * A page of candidates after the flow's cursor, each handled; the cursor then moves past every candidate handled
 * before the first one that is not (a birthday member the membership cron has not checked yet, a coupon another run
 * is still issuing), so the next run starts there: nobody handled is read again, nobody waiting is skipped.
 */
async function walk<T extends { id: string }>(
  env: Env, t: string, flow: Flow, period: string, page: (after: Keyset | null) => Promise<T[]>, keyOf: (row: T) => string, handle: (row: T) => Promise<boolean>,
) {
  const from = await flowCursor(env.DB, t, flow, period);
  let to: Keyset | null = null;
  let held = false;
  for (const row of await page(from)) {
    held = !(await handle(row)) || held;
    if (!held) to = { at: keyOf(row), id: row.id };
  }
  if (to) await moveFlowCursorStmt(env.DB, t, flow, period, to).run();
}

export async function runWinBack(env: Env, t: string, s: OutreachSettings, now: Date) {
  const { dormantDays, couponProductId } = s.flows.winBack;
  if (!couponProductId) return;
  const coupon = await couponProduct(env.DB, t, couponProductId);
  if (!coupon) return;
  const before = new Date(now.getTime() - dormantDays * DAY).toISOString();
  await walk(env, t, "win_back", "", (after) => dormantMembers(env.DB, t, before, after, BATCH), (m) => m.trigger_key, async (m) =>
    (await issueAndTell(env, s, { tenantId: t, buyerId: m.buyer_id, flow: "win_back", triggerKey: m.trigger_key, productId: coupon.id, couponName: coupon.name }, now)) !== null);
}

/**
 * Birthday month (the membership cron's definition), after that cron checked the member this month: a member whose
 * tier already gave a birthday gift this year gets the greeting only, never a second gift; others get the chosen coupon.
 */
export async function runBirthdays(env: Env, t: string, s: OutreachSettings, now: Date) {
  const period = monthKey(now);
  const coupon = s.flows.birthday.couponProductId ? await couponProduct(env.DB, t, s.flows.birthday.couponProductId) : null;
  await walk(env, t, "birthday", period, (after) => birthdayMembers(env.DB, t, period.slice(5, 7), period, period.slice(0, 4), after, BATCH), (m) => m.birthday, async (m) => {
    if (!m.checked) return false;
    const spec = { tenantId: t, buyerId: m.buyer_id, flow: "birthday" as Flow, triggerKey: period.slice(0, 4) };
    const tierGave = (JSON.parse(m.tier_gift ?? "[]") as string[]).length > 0;
    if (tierGave || !coupon) {
      await sendMessage(env, spec, s, now);
      return true;
    }
    return (await issueAndTell(env, s, { ...spec, productId: coupon.id, couponName: coupon.name }, now)) !== null;
  });
}

/** The cron's part: every tenant with a flow on, each flow on its own (one failing does not stop the others). */
export async function runFlows(env: Env, now = new Date()) {
  for (const row of await tenantsWithFlows(env.DB)) {
    const s = await outreachSettings(env, row.tenant_id);
    const jobs = [
      s.flows.expiryReminder.enabled && runExpiryReminders(env, row.tenant_id, s, now),
      s.flows.revive.enabled && runRevivals(env, row.tenant_id, s, now),
      s.flows.winBack.enabled && runWinBack(env, row.tenant_id, s, now),
      s.flows.birthday.enabled && runBirthdays(env, row.tenant_id, s, now),
    ];
    for (const r of await Promise.allSettled(jobs)) {
      if (r.status === "rejected") console.error(JSON.stringify({ at: "flows", tenantId: row.tenant_id, error: r.reason instanceof Error ? r.reason.message : String(r.reason) }));
    }
  }
  await scheduleDispatch(env);
}
