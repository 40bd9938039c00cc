import { env } from "cloudflare:workers";
import type { EventEnvelope, EventType } from "../../schema/events";
import { buildEvent, type EventInput } from "../../worker/queue/emit";

/** A Queue producer that records what it was given (so the pool's real consumers do not race the test). */
export function recordingQueue() {
  const sent: { body: any; delaySeconds?: number }[] = [];
  const q = {
    sent,
    async send(body: unknown, opts?: { delaySeconds?: number }) {
      sent.push({ body, delaySeconds: opts?.delaySeconds });
    },
    async sendBatch(msgs: Iterable<{ body: unknown; delaySeconds?: number }>) {
      for (const m of msgs) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  };
  return q;
}

export function testEnv() {
  const webhooks = recordingQueue();
  const events = recordingQueue();
  const e = {
    DB: env.DB,
    WEBHOOKS: webhooks as unknown as Queue,
    EVENTS: events as unknown as Queue,
    TENANT_LEDGER: env.TENANT_LEDGER,
    CARD_KEY_ENCRYPTION_KEY: env.CARD_KEY_ENCRYPTION_KEY,
    BUYER_SESSION_SECRET: env.BUYER_SESSION_SECRET,
    ENVIRONMENT: env.ENVIRONMENT,
  };
  return { env: e, webhooks, events };
}

export interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A receiving endpoint: records each request and answers with the next scripted status (or throws for "timeout"). */
export function receiver(script: (number | "timeout")[] = []) {
  const received: Received[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    received.push({ url: String(input), headers, body: String(init?.body) });
    const next = script.length ? script.shift()! : 200;
    if (next === "timeout") throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    return new Response(next >= 200 && next < 300 ? "ok" : `nope ${"x".repeat(3000)}`, { status: next });
  }) as typeof fetch;
  return { received, fetcher };
}

export function event(tenantId: string, type: EventType, payload: EventEnvelope["payload"] = {}, occurredAt = new Date()): EventEnvelope {
  return buildEvent({ tenantId, type, payload, occurredAt, actor: { userId: "byr_1", apiKeyId: "key_internal" } } as EventInput);
}
