import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../schema/events";
import { parkedEventCount } from "../../worker/db/event-outbox";
import { drainEventOutbox, emitEvents } from "../../worker/queue/emit";

/** A Queue producer that refuses while `down`, and records what it accepted. */
function flakyQueue() {
  const accepted: EventEnvelope[] = [];
  const q = {
    down: true,
    accepted,
    async send(body: EventEnvelope | EventEnvelope[]) {
      if (q.down) throw new Error("Queue send failed: service unavailable");
      accepted.push(...(Array.isArray(body) ? body : [body]));
    },
    async sendBatch(msgs: Iterable<{ body: EventEnvelope }>) {
      if (q.down) throw new Error("Queue send failed: service unavailable");
      for (const m of msgs) accepted.push(m.body);
    },
  };
  return q;
}

const parked = (tenantId: string) =>
  env.DB.prepare("SELECT event_id, attempts, next_at FROM event_outbox WHERE tenant_id = ? ORDER BY event_id")
    .bind(tenantId)
    .all<{ event_id: string; attempts: number; next_at: number }>()
    .then((r) => r.results);

describe("event outbox: a Queue outage loses no event", () => {
  it("parks refused events in D1, keeps them through a failed re-send, and sends each once the Queue is back", async () => {
    const queue = flakyQueue();
    const e = { DB: env.DB, EVENTS: queue as unknown as Queue };
    const tenantId = `ten_outbox_${Date.now()}`;
    const sent = await emitEvents(e, Array.from({ length: 150 }, (_, i) => ({ tenantId, type: "page_view" as const, payload: { i } })));
    const ids = sent.map((x) => x.eventId);
    expect(queue.accepted).toHaveLength(0);
    expect(await parked(tenantId)).toHaveLength(150);

    // Still down: nothing is sent, every event waits with back-off.
    const now = Date.now() + 1;
    expect(await drainEventOutbox(e, 1000, now)).toBe(0);
    const waiting = await parked(tenantId);
    expect(waiting).toHaveLength(150);
    expect(waiting.every((r) => r.attempts === 1 && r.next_at > now)).toBe(true);

    // Back up: not yet due → nothing; due → every event exactly once, and the outbox is empty.
    queue.down = false;
    expect(await drainEventOutbox(e, 1000, now)).toBe(0);
    expect(await drainEventOutbox(e, 1000, now + 10 * 60_000)).toBe(150);
    expect(queue.accepted.map((x) => x.eventId).sort()).toEqual([...ids].sort());
    expect(await parked(tenantId)).toHaveLength(0);
    expect(await drainEventOutbox(e, 1000, now + 20 * 60_000)).toBe(0);
    expect(queue.accepted).toHaveLength(150);
  });

  it("drains what an isolate parked on its next good send, in the same call", async () => {
    const queue = flakyQueue();
    const e = { DB: env.DB, EVENTS: queue as unknown as Queue };
    const tenantId = `ten_outbox2_${Date.now()}`;
    const [first] = await emitEvents(e, [{ tenantId, type: "page_view" }]);
    expect(await parked(tenantId)).toHaveLength(1);
    queue.down = false;
    const [second] = await emitEvents(e, [{ tenantId, type: "page_view" }]);
    const accepted = queue.accepted.map((x) => x.eventId);
    expect(accepted.filter((id) => id === first!.eventId || id === second!.eventId)).toEqual([second!.eventId, first!.eventId]);
    expect(await parked(tenantId)).toHaveLength(0);
    expect(await parkedEventCount(env.DB)).toBe(0);
  });
});
