/**
 * Service notices to a buyer about their own order (issue 21 item 4): delivered (with the link to the order page
 * that shows the keys and the redemption tutorial), a ticket reply, a ticket resolution. They are not marketing, so
 * marketing consent and the weekly cap do not apply (services/messaging.ts applies those to campaigns); a buyer who
 * unsubscribed from all messages ('all') gets none by SMS. Every notice is recorded once per key (buyer_notices)
 * with a message_sent event (flow 'service', channel sms or webhook), which the brand's webhooks receive — the
 * channel for buyers without a phone. No phone numbers in events or logs.
 */
import { isValidEnvelope, type EventEnvelope } from "../../schema/events";
import { firstRows } from "../db/statements";
import { deliveredNoticeStmt, insertNoticeStmt, noticeTargetStmt, type NoticeTarget } from "../db/tickets";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { sandboxSms } from "../sms/sandbox";

export type NoticeKind = "delivered" | "ticket_reply" | "ticket_resolved";
export interface Notice { tenantId: string; buyerId: string; orderId: string; kind: NoticeKind; key: string; product: string; detail?: string }
type Channel = "sms" | "webhook";

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
export async function notifyBuyer(env: Env, n: Notice): Promise<Channel | null> {
  const [who] = await firstRows<NoticeTarget>(env.DB, [noticeTargetStmt(env.DB, n.tenantId, n.buyerId)]);
  return (await sendNotices(env, who ? [{ n, who }] : []))[0] ?? null;
}

/**
 * From the events consumer: each order_delivered tells its buyer, once (a redelivered batch sends nothing again).
 * A batch's notices cost three D1 round trips and one dispatch together, not per order: the consumer shares the
 * worker's thread and D1 with the buyers' requests.
 */
export async function notifyDeliveries(env: Env, events: EventEnvelope[]): Promise<void> {
  const all = events.filter((e) => e.type === "order_delivered" && !e.payload.simulated && isValidEnvelope(e));
  for (let i = 0; i < all.length; i += NOTICES_AT_ONCE) await notifyDelivered(env, all.slice(i, i + NOTICES_AT_ONCE));
}

const NOTICES_AT_ONCE = 50;

async function notifyDelivered(env: Env, delivered: EventEnvelope[]): Promise<void> {
  try {
    const rows = await firstRows<NoticeTarget & { product_name: string | null }>(
      env.DB, delivered.map((e) => deliveredNoticeStmt(env.DB, e.tenantId, String(e.payload.orderId))),
    );
    const notices = delivered.flatMap((e, i) => {
      const who = rows[i];
      const orderId = String(e.payload.orderId);
      return who ? [{ who, n: { tenantId: e.tenantId, buyerId: who.buyer_id, orderId, kind: "delivered" as const, key: orderId, product: who.product_name ?? "" } }] : [];
    });
    await sendNotices(env, notices);
  } catch (err) {
    // A notice never holds the warehouse delivery back; the next redelivery of the batch tries again.
    console.error(JSON.stringify({ at: "notifyDeliveries", orders: delivered.length, error: err instanceof Error ? err.message : String(err) }));
  }
}

/** Records each notice once per key with its message_sent event (one batch), then sends the SMS ones and dispatches. */
async function sendNotices(env: Env, list: { n: Notice; who: NoticeTarget }[]): Promise<(Channel | null)[]> {
  if (!list.length) return [];
  const planned = list.map(({ n, who }) => {
    const optedOut = (who.unsubs ?? "").split(",").includes("all");
    const channel: Channel = who.phone_hash && !optedOut ? "sms" : "webhook";
    const noticeKey = `${n.kind}:${n.key}`;
    const stmts = [
      insertNoticeStmt(env.DB, { tenantId: n.tenantId, key: noticeKey, buyerId: n.buyerId, orderId: n.orderId, channel }),
      ...eventRows(env, [{
        eventId: `evsn_${noticeKey}`.slice(0, 64), tenantId: n.tenantId, type: "message_sent", actor: { userId: n.buyerId },
        payload: { flow: "service", trigger: n.kind, channel, orderId: n.orderId },
      }], { sql: "changes() = 1", args: [] }),
    ];
    return { n, who, channel, stmts };
  });
  const results = await env.DB.batch(planned.flatMap((p) => p.stmts));
  let at = 0;
  const sent = planned.map((p) => {
    const inserted = (results[at]!.meta.changes ?? 0) > 0;
    at += p.stmts.length;
    return inserted ? p.channel : null;
  });
  for (const [i, p] of planned.entries()) {
    if (sent[i] !== "sms") continue;
    const text = `【${p.who.brand}】${TEXT[p.n.kind]({ product: p.n.product, link: orderPageUrl(env, p.who.slug, p.n.orderId), detail: p.n.detail })}`;
    await sandboxSms(env.DB).send(p.n.tenantId, p.who.phone_hash!, text);
  }
  if (sent.some(Boolean)) await scheduleDispatch(env);
  return sent;
}
