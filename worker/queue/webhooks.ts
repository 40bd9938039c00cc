import { z } from "zod";
import { isValidEnvelope, type EventEnvelope } from "../../schema/events";
import type { WebhookType } from "../../schema/webhooks";
import {
  abandonDelivery, countExhausted, disableEndpoint, getEndpoint, insertDeliveries, leaseDelivery, listEndpoints,
  markEndpointFailing, markEndpointHealthy, overdueDeliveries, recordAttempt, toEndpoint, type EndpointRow, type NewDelivery,
} from "../db/webhooks";
import { newId } from "../domain/crypto";
import { isDevelopment } from "../domain/deploy-config";
import { openSecret } from "../domain/secret-box";
import { webhookHeaders } from "../domain/standard-webhooks";
import { alertOf, deliveryId, matches, webhookPayload, type EndpointRule } from "../domain/webhook-match";
import { RETRY_WINDOW_MS, webhookRetryDelay } from "../domain/webhook-retry";
import { targetProblem } from "../domain/webhook-target";
import { raiseAlert } from "../services/alerts";
import { eventRows, scheduleDispatch } from "./emit";

export const WEBHOOK_QUEUE = "kaquan-webhooks";
export const SEND_TIMEOUT_MS = 10_000;
const LEASE_MS = 60_000; // longer than one send with its timeout
const EXCERPT_BYTES = 1024;
/**
 * An endpoint is disabled after this many deliveries in a row ran out of retries, or once every attempt failed for
 * the whole retry window (3 days): a shorter limit would cut short the retries that let a brand's outage lose nothing.
 */
export const DISABLE_AFTER_EXHAUSTED = 5;
export const DISABLE_AFTER_FAILING_MS = RETRY_WINDOW_MS;
const ENDPOINT_CACHE_MS = 30_000;

type RouteEnv = Pick<Env, "DB" | "WEBHOOKS" | "BUYER_SESSION_SECRET">;
type SendEnv = Pick<Env, "DB" | "WEBHOOKS" | "EVENTS" | "TENANT_LEDGER" | "CARD_KEY_ENCRYPTION_KEY" | "ENVIRONMENT">;
const DeliveryMessage = z.object({ deliveryId: z.string().min(1).max(200) });

// ---- routing: events → deliveries ----

/**
 * Each tenant's endpoints, enabled or not, cached briefly per isolate (a change made elsewhere shows within 30 s). A
 * disabled endpoint's deliveries are recorded too, parked (insertDeliveries reads its status), so what it missed
 * can be replayed once it is enabled again.
 */
const endpointCache = new Map<string, { at: number; rules: EndpointRule[] }>();

export function forgetEndpoints(tenantId: string) {
  endpointCache.delete(tenantId);
}

async function endpointRules(db: D1Database, tenantId: string, now: number): Promise<EndpointRule[]> {
  const hit = endpointCache.get(tenantId);
  if (hit && now - hit.at < ENDPOINT_CACHE_MS) return hit.rules;
  const rules = (await listEndpoints(db, tenantId)).map((r) => {
    const e = toEndpoint(r);
    return { id: e.id, eventTypes: e.eventTypes, filter: e.filter };
  });
  if (endpointCache.size > 5000) endpointCache.clear();
  endpointCache.set(tenantId, { at: now, rules });
  return rules;
}

/**
 * Called by the events consumer for every batch: records one delivery per matching (endpoint, event) and queues it
 * (parked instead, unsent, while the endpoint is disabled),
 * and passes alert-worthy events through the alert channels (de-duplicated; webhooks of type `alert` only when the
 * alert passed). A redelivered batch records nothing twice. Returns the ids queued.
 */
export async function routeOutbound(env: RouteEnv, events: EventEnvelope[], now = Date.now()): Promise<string[]> {
  const rows: NewDelivery[] = [];
  const add = (rule: EndpointRule, event: EventEnvelope, type: WebhookType, body: string) =>
    rows.push({ id: deliveryId(rule.id, event.eventId, type), tenantId: event.tenantId, endpointId: rule.id, eventId: event.eventId, type, occurredAt: event.occurredAt, body });
  const byTenant = new Map<string, EndpointRule[]>(); // one await per tenant, not per event (bulk batches hold 100k)
  for (const event of events) {
    const alert = alertOf(event);
    let rules = byTenant.get(event.tenantId);
    if (!rules) byTenant.set(event.tenantId, (rules = await endpointRules(env.DB, event.tenantId, now)));
    const targets = event.type === "alert" ? [] : rules.filter((r) => matches(r, event.type, event));
    if (!targets.length && !alert) continue;
    // The consumer checked only the envelope's frame; nothing goes out on an event its type's schema refuses (the
    // warehouse refuses it too, and the consumer dead-letters it). Checked only here, where something would go out.
    if (!isValidEnvelope(event)) continue;
    if (targets.length) {
      const body = JSON.stringify(webhookPayload(event, event.type));
      for (const rule of targets) add(rule, event, event.type, body);
    }
    if (alert && (await raiseAlert(env, event, alert, now))) {
      const body = JSON.stringify(webhookPayload(event, "alert", alert));
      for (const rule of rules.filter((r) => matches(r, "alert", event))) add(rule, event, "alert", body);
    }
  }
  const ids = await insertDeliveries(env.DB, rows, new Date(now).toISOString());
  await enqueue(env, ids);
  return ids;
}

export async function enqueue(env: Pick<Env, "WEBHOOKS">, ids: string[], delaySeconds = 0) {
  for (let i = 0; i < ids.length; i += 100) {
    await env.WEBHOOKS.sendBatch(ids.slice(i, i + 100).map((id) => ({ body: { deliveryId: id }, ...(delaySeconds ? { delaySeconds } : {}) })));
  }
}

// ---- sending ----

async function excerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < EXCERPT_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  const bytes = new Uint8Array(Math.min(size, EXCERPT_BYTES));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c.subarray(0, bytes.length - at), at);
    at += Math.min(c.length, bytes.length - at);
  }
  // Cut at a character boundary so the excerpt stays ≤ 1 KB once re-encoded.
  let text = new TextDecoder().decode(bytes);
  if (text.endsWith("\uFFFD")) text = text.replace(/\uFFFD+$/, "");
  return text;
}

export interface SendOptions {
  now?: number;
  fetcher?: typeof fetch;
}

export interface SendResult {
  outcome: "succeeded" | "retrying" | "failed" | "skipped";
  statusCode?: number | null;
  delaySeconds?: number | null;
  disabled?: boolean;
}

async function secretsFor(env: SendEnv, ep: EndpointRow, nowIso: string): Promise<string[]> {
  const secrets = [await openSecret(env.CARD_KEY_ENCRYPTION_KEY, ep.secret_sealed)];
  if (ep.previous_secret_sealed && ep.previous_secret_until && ep.previous_secret_until > nowIso) {
    secrets.push(await openSecret(env.CARD_KEY_ENCRYPTION_KEY, ep.previous_secret_sealed));
  }
  return secrets;
}

/** One attempt of one delivery, if it is due and not being sent elsewhere: send, log, and schedule or end it. */
export async function attemptDelivery(env: SendEnv, id: string, opts: SendOptions = {}): Promise<SendResult> {
  const now = opts.now ?? Date.now();
  const nowIso = new Date(now).toISOString();
  const d = await leaseDelivery(env.DB, id, nowIso, new Date(now + LEASE_MS).toISOString());
  if (!d) return { outcome: "skipped" };
  const ep = await getEndpoint(env.DB, d.tenant_id, d.endpoint_id);
  if (!ep || ep.status === "disabled") {
    await abandonDelivery(env.DB, d.id, ep ? "endpoint disabled" : "endpoint removed", nowIso);
    return { outcome: "skipped" };
  }

  let statusCode: number | null = null;
  let text = "";
  const started = Date.now();
  const problem = targetProblem(ep.url, isDevelopment(env));
  if (problem) text = `target refused: ${problem}`;
  else {
    try {
      const headers = await webhookHeaders(await secretsFor(env, ep, nowIso), d.id, Math.floor(now / 1000), d.body);
      const res = await (opts.fetcher ?? fetch)(ep.url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "user-agent": "kaquan-webhooks/1" },
        body: d.body,
        redirect: "manual", // a redirect is not followed (it could point anywhere): it counts as a failure
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      statusCode = res.status;
      text = await excerpt(res).catch(() => "");
    } catch (e) {
      const name = e instanceof Error ? e.name : "";
      text = name === "TimeoutError" || name === "AbortError" ? `timeout: no answer within ${SEND_TIMEOUT_MS / 1000} s` : `error: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const durationMs = Date.now() - started;
  const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;

  let delay: number | null = null;
  let failingSince: string | null = null;
  if (ok) await markEndpointHealthy(env.DB, ep.id);
  else {
    failingSince = await markEndpointFailing(env.DB, ep.id, nowIso);
    delay = webhookRetryDelay(d.attempts, Date.parse(d.first_attempt_at ?? nowIso), now);
  }
  const outcome = ok ? "succeeded" : delay !== null ? "retrying" : "failed";
  const nextAttemptAt = delay !== null ? new Date(now + delay * 1000).toISOString() : null;
  await recordAttempt(env.DB, {
    id: newId("wha"), delivery: d, statusCode, excerpt: text.slice(0, EXCERPT_BYTES), durationMs, outcome, nextAttemptAt,
    error: ok ? null : statusCode !== null ? `HTTP ${statusCode}` : text.slice(0, 200), at: nowIso,
  });
  // A lost message is re-sent by the cron sweep (sweepWebhookDeliveries), so a failed send here is only logged.
  if (delay !== null) await enqueue(env, [d.id], delay).catch((e) => console.warn(JSON.stringify({ at: "webhooks", problem: "enqueue_failed", detail: String(e) })));

  let disabled = false;
  if (!ok) {
    const exhausted = outcome === "failed" ? await countExhausted(env.DB, ep.id) : 0;
    const reason =
      exhausted >= DISABLE_AFTER_EXHAUSTED ? `${exhausted} deliveries in a row ran out of retries`
      : failingSince && now - Date.parse(failingSince) >= DISABLE_AFTER_FAILING_MS ? `every attempt failed since ${failingSince}`
      : null;
    // The alert is recorded in the disabling batch, only by the call whose update disabled it.
    const alert = (why: string) => eventRows(env, [{ tenantId: ep.tenant_id, type: "alert", payload: { kind: "webhook_endpoint_disabled", endpointId: ep.id, url: ep.url, reason: why } }], { sql: "changes() = 1", args: [] });
    if (reason && (await disableEndpoint(env.DB, ep.id, reason, alert(reason)))) {
      disabled = true;
      forgetEndpoints(ep.tenant_id);
      await scheduleDispatch(env);
    }
  }
  return { outcome, statusCode, delaySeconds: delay, disabled };
}

/** The WEBHOOKS queue consumer: one attempt per message; the message is always acknowledged (D1 holds the state). */
export async function consumeWebhooks(batch: MessageBatch<unknown>, env: SendEnv): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = DeliveryMessage.safeParse(msg.body);
      if (parsed.success) {
        try {
          await attemptDelivery(env, parsed.data.deliveryId);
        } catch (e) {
          // D1 trouble: try the message again (the lease, if taken, lapses in a minute).
          console.error(JSON.stringify({ at: "webhooks", problem: "attempt_error", deliveryId: parsed.data.deliveryId, detail: String(e) }));
          return msg.retry({ delaySeconds: 60 });
        }
      }
      msg.ack();
    }),
  );
}

/** Cron: re-queue pending deliveries whose message is overdue by more than a minute (lost, or a failed enqueue). */
export async function sweepWebhookDeliveries(env: Pick<Env, "DB" | "WEBHOOKS">, now = Date.now()): Promise<number> {
  const ids = await overdueDeliveries(env.DB, new Date(now - 60_000).toISOString(), 500);
  await enqueue(env, ids);
  return ids.length;
}

