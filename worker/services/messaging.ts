/**
 * The one way to tell a member something (issue 19): the SMS sandbox for members with a phone, else the brand's
 * webhook (a recorded message_sent reaches the brand's subscribed endpoints; their system tells the person). Every
 * message passes marketing consent, unsubscribes, the per-person cap per 7 days and quiet hours (an SMS in quiet hours
 * waits, it is never dropped) — domain/outreach.ts decideSend. One outreach_messages row per (flow, person, trigger)
 * is the record: its insert, the event and (after the batch) the SMS happen once. No phone numbers in events or logs.
 */
import { DEFAULT_OUTREACH, OutreachSettings, type Flow } from "../../schema/outreach";
import { newId } from "../domain/crypto";
import { decideSend, messageBody, unsubscribeToken, type SendDecision } from "../domain/outreach";
import {
  deferredDue, getSettingsRow, insertMessageStmt, messageExists, personRow, settleDeferredStmt, type DeferredRow, type PersonRow,
} from "../db/outreach";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { sandboxSms } from "../sms/sandbox";

export interface MessageSpec {
  tenantId: string;
  buyerId: string;
  flow: Flow;
  triggerKey: string;
  couponName?: string | null;
  /** A date the text names (expiry, new validity), YYYY-MM-DD. */
  date?: string | null;
  voucherId?: string | null;
  couponProductId?: string | null;
  orderId?: string | null;
  issuanceId?: string | null;
  /** The flow's coupon could not be issued (sold out, over a limit, budget spent): recorded as suppressed, not sent. */
  couponUnavailable?: boolean;
}
export type MessageOutcome = { recorded: boolean; status: "sent" | "deferred" | "suppressed"; reason: string | null; channel: string };

export async function outreachSettings(env: Pick<Env, "DB">, tenantId: string): Promise<OutreachSettings> {
  const row = await getSettingsRow(env.DB, tenantId);
  return row ? OutreachSettings.parse(JSON.parse(row.settings)) : DEFAULT_OUTREACH;
}

const WEEK_MS = 7 * 86_400_000;

async function person(env: Env, tenantId: string, buyerId: string, now: Date) {
  return personRow(env.DB, tenantId, buyerId, new Date(now.getTime() - WEEK_MS).toISOString());
}

function decide(flow: Flow, p: PersonRow | null, s: OutreachSettings, now: Date): SendDecision {
  if (!p) return { status: "suppressed", reason: "no_channel", channel: "webhook" };
  return decideSend(flow, {
    marketingConsent: p.consent === "granted", unsubscribed: new Set((p.unsubs ?? "").split(",").filter(Boolean)), sentLast7Days: p.sent7, hasPhone: !!p.phone_hash,
  }, s, now);
}

/** Whether a message to this person would go out (or wait for quiet hours' end) now: flows that issue check this first. */
export async function wouldReach(env: Env, tenantId: string, buyerId: string, flow: Flow, s: OutreachSettings, now = new Date()) {
  return decide(flow, await person(env, tenantId, buyerId, now), s, now);
}

/** `<origin>/shop/unsubscribe/?t=<store>&k=<token>`: one tap withdraws this flow's messages (the page offers "all"). */
export async function unsubscribeUrl(env: Env, tenantId: string, slug: string, buyerId: string, flow: Flow) {
  const origin = (env.CORS_ORIGINS ?? "").split(",")[0]?.trim() ?? "";
  return `${origin}/shop/unsubscribe/?t=${encodeURIComponent(slug)}&k=${await unsubscribeToken(env.BUYER_SESSION_SECRET, tenantId, buyerId, flow)}`;
}

const sentEvent = (m: { id: string; tenantId: string; buyerId: string; flow: string; triggerKey: string; channel: string; memberId: string | null; voucherId: string | null; couponProductId: string | null; orderId: string | null; issuanceId: string | null }) => ({
  eventId: `evms_${m.id}`, tenantId: m.tenantId, type: "message_sent" as const, actor: { userId: m.buyerId },
  payload: { flow: m.flow, trigger: m.triggerKey, channel: m.channel, memberId: m.memberId, voucherId: m.voucherId, couponProductId: m.couponProductId, orderId: m.orderId, issuanceId: m.issuanceId },
});
const suppressedEvent = (m: { id: string; tenantId: string; buyerId: string; flow: string; triggerKey: string; memberId: string | null }, reason: string) => ({
  eventId: `evmx_${m.id}`, tenantId: m.tenantId, type: "message_suppressed" as const, actor: { userId: m.buyerId },
  payload: { flow: m.flow, trigger: m.triggerKey, reason, memberId: m.memberId },
});

/**
 * Records the decision for (flow, person, trigger) once and sends it: sent → message_sent (+ the SMS), deferred →
 * message_suppressed quiet_hours now and message_sent when the cron sends it, suppressed → message_suppressed.
 * `extra` statements join the same batch (e.g. a flow's own mark), guarded by nothing: they must be idempotent.
 */
export async function sendMessage(env: Env, spec: MessageSpec, s: OutreachSettings, now = new Date(), extra: D1PreparedStatement[] = []): Promise<MessageOutcome> {
  const p = await person(env, spec.tenantId, spec.buyerId, now);
  const decided = decide(spec.flow, p, s, now);
  const d: SendDecision = spec.couponUnavailable ? { status: "suppressed", reason: "coupon_unavailable", channel: decided.channel } : decided;
  const id = newId("msg");
  const body = p && d.status !== "suppressed" && d.channel === "sms"
    ? messageBody(p.brand, spec.flow, { coupon: spec.couponName, date: spec.date }, await unsubscribeUrl(env, spec.tenantId, p.slug, spec.buyerId, spec.flow))
    : "";
  const nowIso = now.toISOString();
  const row = {
    id, tenantId: spec.tenantId, buyerId: spec.buyerId, flow: spec.flow, triggerKey: spec.triggerKey, channel: d.channel, status: d.status,
    reason: d.status === "suppressed" ? d.reason : null, body, voucherId: spec.voucherId ?? null, couponProductId: spec.couponProductId ?? null,
    orderId: spec.orderId ?? null, issuanceId: spec.issuanceId ?? null, sendAfter: d.status === "deferred" ? d.sendAfter : null, sentAt: d.status === "sent" ? nowIso : null,
  };
  const ref = { ...row, memberId: p?.member_id ?? null };
  const event = d.status === "sent" ? sentEvent(ref) : suppressedEvent(ref, d.status === "suppressed" ? d.reason : "quiet_hours");
  const [ins] = await env.DB.batch([insertMessageStmt(env.DB, row), ...eventRows(env, [event], messageExists(id)), ...extra]);
  const recorded = (ins!.meta.changes ?? 0) > 0;
  if (recorded && d.status === "sent" && d.channel === "sms" && p?.phone_hash) await sandboxSms(env.DB).send(spec.tenantId, p.phone_hash, body);
  return { recorded, status: d.status, reason: d.status === "suppressed" ? d.reason : d.status === "deferred" ? "quiet_hours" : null, channel: d.channel };
}

/** Messages whose quiet hours are over: sent now (consent, unsubscribe and cap checked again), each once. */
export async function sendDeferred(env: Env, now = new Date(), limit = 200): Promise<number> {
  const nowIso = now.toISOString();
  let sent = 0;
  const settings = new Map<string, OutreachSettings>();
  for (const m of await deferredDue(env.DB, nowIso, limit)) {
    if (!settings.has(m.tenant_id)) settings.set(m.tenant_id, await outreachSettings(env, m.tenant_id));
    const p = await person(env, m.tenant_id, m.buyer_id, now);
    const d = decide(m.flow as Flow, p, settings.get(m.tenant_id)!, now);
    const go = d.status !== "suppressed";
    const ref = refOf(m, p);
    const [upd] = await env.DB.batch([
      settleDeferredStmt(env.DB, m.id, go ? "sent" : "suppressed", go ? null : d.reason, nowIso),
      ...eventRows(env, [go ? sentEvent(ref) : { ...suppressedEvent(ref, d.status === "suppressed" ? d.reason : ""), eventId: `evmy_${m.id}` }], { sql: "changes() = 1", args: [] }),
    ]);
    if (!upd!.meta.changes || !go) continue;
    sent++;
    if (m.channel === "sms" && p?.phone_hash) await sandboxSms(env.DB).send(m.tenant_id, p.phone_hash, m.body);
  }
  if (sent) await scheduleDispatch(env);
  return sent;
}

const refOf = (m: DeferredRow, p: PersonRow | null) => ({
  id: m.id, tenantId: m.tenant_id, buyerId: m.buyer_id, flow: m.flow, triggerKey: m.trigger_key, channel: m.channel, memberId: p?.member_id ?? null,
  voucherId: m.voucher_id, couponProductId: m.coupon_product_id, orderId: m.order_id, issuanceId: m.issuance_id,
});
