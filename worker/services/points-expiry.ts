/**
 * Cron work of the points ledger (scheduled.ts): expire due lots (once each: the movement is keyed by the lot),
 * remind members N days before (once per lot: reminded_at is set by one guarded UPDATE, the event and the SMS follow
 * only that), give back mall exchanges whose order will never be delivered, and take back points of refunded orders a
 * crash left unreversed. `now` is injectable for tests.
 */
import { newId } from "../domain/crypto";
import { dueLots, expireLotStmts, lotsToRemind, markRemindedStmt } from "../db/points";
import { exchangesToReturn } from "../db/mall";
import { unreversedRefundedOrders } from "../db/points-sweep";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { sandboxSms } from "../sms/sandbox";
import { movementEventRows, orderRefundPointsStmts } from "./points";
import { returnExchange } from "./mall";

const BATCH = 200;

export async function expireDuePoints(env: Env, now = new Date()): Promise<number> {
  const nowIso = now.toISOString();
  let expired = 0;
  for (const lot of await dueLots(env.DB, nowIso, BATCH)) {
    const id = newId("pm");
    const [ins] = await env.DB.batch([...expireLotStmts(env.DB, lot, id, nowIso), ...movementEventRows(env, lot.tenant_id, "expire", id)]);
    expired += ins!.meta.changes ?? 0;
  }
  return expired;
}

export async function remindExpiringPoints(env: Env, now = new Date()): Promise<number> {
  const nowIso = now.toISOString();
  const sms = sandboxSms(env.DB);
  let sent = 0;
  for (const lot of await lotsToRemind(env.DB, nowIso, BATCH)) {
    const channel = lot.phone_hash ? "sms" : "webhook";
    const expiresOn = lot.expires_at.slice(0, 10);
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
    if (lot.phone_hash) await sms.send(lot.tenant_id, lot.phone_hash, `【会员积分】您有 ${lot.remaining} 积分将于 ${expiresOn} 过期，请及时到积分商城兑换。`);
  }
  return sent;
}

export async function sweepPoints(env: Env, now = new Date()): Promise<void> {
  await expireDuePoints(env, now);
  await remindExpiringPoints(env, now);
  for (const x of await exchangesToReturn(env.DB, new Date(now.getTime() - 10 * 60_000).toISOString(), BATCH)) await returnExchange(env, x, "order_not_delivered");
  for (const o of await unreversedRefundedOrders(env.DB, BATCH)) await env.DB.batch(orderRefundPointsStmts(env, o.tenant_id, o.id));
  await scheduleDispatch(env);
}
