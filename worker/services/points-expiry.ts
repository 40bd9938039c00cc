/**
 * Cron work of the points ledger (scheduled.ts): expire due lots (once each: the movement is keyed by the lot),
 * remind members N days before (once per lot: reminded_at is set by one guarded UPDATE, the event and the message
 * through services/messaging.ts follow only that), give back mall exchanges whose order will never be delivered, and take back points of refunded orders a
 * crash left unreversed. `now` is injectable for tests.
 */
import { chinaDay } from "../domain/china-time";
import { dueLots, lotsToRemind, markRemindedStmt } from "../db/points";
import { exchangesToReturn } from "../db/mall";
import { refundedOrdersWithTaskRewards, unreversedRefundedOrders } from "../db/points-sweep";
import { reverseTasksOfRefund } from "./member-activity";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { outreachSettings, sendMessage } from "./messaging";
import { expireLots, orderRefundPointsStmts } from "./points";
import { returnExchange, settlePlacedExchange } from "./mall";

const BATCH = 200;

export async function expireDuePoints(env: Env, now = new Date()): Promise<number> {
  const nowIso = now.toISOString();
  return expireLots(env, await dueLots(env.DB, nowIso, BATCH), nowIso);
}

export async function remindExpiringPoints(env: Env, now = new Date()): Promise<number> {
  const nowIso = now.toISOString();
  const settings = new Map<string, Awaited<ReturnType<typeof outreachSettings>>>();
  // One member's lots due in the same run make one SMS with their sum (the earliest day named): one per lot spent the
  // weekly message cap per lot, so a small lot's reminder could hold back a large one's. Each lot keeps its own event.
  const byMember = new Map<string, { lots: Awaited<ReturnType<typeof lotsToRemind>>; points: number }>();
  let sent = 0;
  for (const lot of await lotsToRemind(env.DB, nowIso, BATCH)) {
    const channel = lot.phone_hash ? "sms" : "webhook";
    // The day members live in (Asia/Shanghai), not the UTC date: a lot expiring at 20:00 UTC goes at 04:00 the next day.
    const expiresOn = chinaDay(new Date(lot.expires_at));
    const [marked] = await env.DB.batch([
      markRemindedStmt(env.DB, lot.id, nowIso),
      // Tenants' webhooks subscribe to this event; members with a phone also get the SMS below.
      ...eventRows(env, [{
        eventId: `evpx_${lot.id}`, tenantId: lot.tenant_id, type: "points_expiry_reminded",
        payload: { memberId: lot.member_id, points: lot.remaining, expiresOn, channel },
      }], { sql: "changes() = 1", args: [] }),
    ]);
    if (!marked!.meta.changes) continue;
    sent++;
    if (!lot.phone_hash) continue;
    const group = byMember.get(lot.member_id) ?? { lots: [], points: 0 };
    group.lots.push(lot);
    group.points += lot.remaining;
    byMember.set(lot.member_id, group);
  }
  for (const { lots, points } of byMember.values()) {
    // Lots come soonest first: the first names the day and keys the message (a repeat run finds its lots reminded).
    const first = lots[0]!;
    // The SMS is a marketing message like any other (consent, unsubscribe, cap, quiet hours): services/messaging.ts.
    if (!settings.has(first.tenant_id)) settings.set(first.tenant_id, await outreachSettings(env, first.tenant_id));
    await sendMessage(env, {
      tenantId: first.tenant_id, buyerId: first.holder_buyer_id, flow: "expiry_reminder", triggerKey: `points:${first.id}`,
      couponName: `${points} 积分`, date: chinaDay(new Date(first.expires_at)),
    }, settings.get(first.tenant_id)!, now);
  }
  return sent;
}

export async function sweepPoints(env: Env, now = new Date()): Promise<void> {
  await expireDuePoints(env, now);
  await remindExpiringPoints(env, now);
  for (const x of await exchangesToReturn(env.DB, new Date(now.getTime() - 10 * 60_000).toISOString(), BATCH)) {
    await (x.status === "placed" ? settlePlacedExchange(env, x) : returnExchange(env, x, "order_not_delivered"));
  }
  for (const o of await unreversedRefundedOrders(env.DB, BATCH)) await env.DB.batch(orderRefundPointsStmts(env, o.tenant_id, o.id));
  for (const o of await refundedOrdersWithTaskRewards(env.DB, BATCH)) await reverseTasksOfRefund(env, o.tenant_id, o.id);
  await scheduleDispatch(env);
}
