/**
 * Service notices to a buyer about their own order (issue 21 item 4): delivered (with the link to the order page
 * that shows the keys and the redemption tutorial), a ticket reply, a ticket resolution. They are not marketing, so
 * marketing consent and the weekly cap do not apply (services/messaging.ts applies those to campaigns); a buyer who
 * unsubscribed from all messages ('all') gets none by SMS. Every notice is recorded once per key (buyer_notices)
 * with a message_sent event (flow 'service', channel sms or webhook), which the brand's webhooks receive — the
 * channel for buyers without a phone. No phone numbers in events or logs.
 */
import type { EventEnvelope } from "../../schema/events";
import { deliveredOrderOf, insertNoticeStmt, noticeTarget } from "../db/tickets";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { sandboxSms } from "../sms/sandbox";

export type NoticeKind = "delivered" | "ticket_reply" | "ticket_resolved";

const TEXT: Record<NoticeKind, (x: { product: string; link: string; detail?: string }) => string> = {
  delivered: (x) => `您购买的「${x.product}」已发货，查看卡密和使用教程：${x.link}`,
  ticket_reply: (x) => `您的售后工单（${x.product}）有新回复：${x.link}`,
  ticket_resolved: (x) => `您的售后工单（${x.product}）已处理${x.detail ? `：${x.detail}` : ""}。详情：${x.link}`,
};

export function orderPageUrl(env: Pick<Env, "CORS_ORIGINS">, slug: string, orderId: string) {
  const origin = (env.CORS_ORIGINS ?? "").split(",")[0]?.trim() ?? "";
  return `${origin}/shop/order/?t=${encodeURIComponent(slug)}&o=${encodeURIComponent(orderId)}`;
}

/** Sends one notice (once per key). Returns the channel used, or null when it was sent before / the buyer is gone. */
export async function notifyBuyer(
  env: Env,
  n: { tenantId: string; buyerId: string; orderId: string; kind: NoticeKind; key: string; product: string; detail?: string },
): Promise<"sms" | "webhook" | null> {
  const who = await noticeTarget(env.DB, n.tenantId, n.buyerId);
  if (!who) return null;
  const optedOut = (who.unsubs ?? "").split(",").includes("all");
  const channel = who.phone_hash && !optedOut ? "sms" : "webhook";
  const noticeKey = `${n.kind}:${n.key}`;
  const [ins] = await env.DB.batch([
    insertNoticeStmt(env.DB, { tenantId: n.tenantId, key: noticeKey, buyerId: n.buyerId, orderId: n.orderId, channel }),
    ...eventRows(env, [{
      eventId: `evsn_${noticeKey}`.slice(0, 64), tenantId: n.tenantId, type: "message_sent", actor: { userId: n.buyerId },
      payload: { flow: "service", trigger: n.kind, channel, orderId: n.orderId },
    }], { sql: "changes() = 1", args: [] }),
  ]);
  if (!ins!.meta.changes) return null;
  if (channel === "sms") {
    const text = `【${who.brand}】${TEXT[n.kind]({ product: n.product, link: orderPageUrl(env, who.slug, n.orderId), detail: n.detail })}`;
    await sandboxSms(env.DB).send(n.tenantId, who.phone_hash!, text);
  }
  await scheduleDispatch(env);
  return channel;
}

/** From the events consumer: each order_delivered tells its buyer, once (a redelivered batch sends nothing again). */
export async function notifyDeliveries(env: Env, events: EventEnvelope[]): Promise<void> {
  for (const e of events) {
    if (e.type !== "order_delivered" || e.payload.simulated) continue;
    const orderId = String(e.payload.orderId);
    try {
      const o = await deliveredOrderOf(env.DB, e.tenantId, orderId);
      if (!o) continue;
      await notifyBuyer(env, { tenantId: e.tenantId, buyerId: o.buyer_id, orderId, kind: "delivered", key: orderId, product: o.product_name ?? "" });
    } catch (err) {
      // A notice never holds the warehouse delivery back; the next redelivery of the batch tries again.
      console.error(JSON.stringify({ at: "notifyDeliveries", orderId, error: err instanceof Error ? err.message : String(err) }));
    }
  }
}
