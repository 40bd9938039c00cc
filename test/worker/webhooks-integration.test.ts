import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { attemptDelivery, DISABLE_AFTER_FAILING_MS, routeOutbound, sweepWebhookDeliveries } from "../../worker/queue/webhooks";
import { replay } from "../../worker/services/webhooks";
import { RETRY_CAP_SECONDS, RETRY_WINDOW_MS } from "../../worker/domain/webhook-retry";
import { api, createTenant, recordedEvents } from "./helpers";
import { event, receiver, testEnv } from "./webhook-fixtures";

async function endpoint(adminKey: string, body: Record<string, unknown>) {
  const res = await api("/webhooks/endpoints", { method: "POST", token: adminKey, json: body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string };
}

describe("webhook endpoints (admin API)", () => {
  it("shows the secret once, stores it sealed, and refuses bad URLs and types with field paths", async () => {
    const { tenant, adminKey } = await createTenant();
    const ep = await endpoint(adminKey, { url: "https://crm.brand.example/hooks", eventTypes: ["order_paid"], filter: { productId: "prd_1" } });
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await api("/webhooks/endpoints", { token: adminKey });
    expect(listed.body.endpoints).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(ep.secret);
    const row = await env.DB.prepare("SELECT secret_sealed FROM webhook_endpoints WHERE id = ?").bind(ep.id).first<{ secret_sealed: string }>();
    expect(row!.secret_sealed.startsWith("v1.")).toBe(true);
    expect(row!.secret_sealed).not.toContain(ep.secret.slice(6));

    for (const url of ["http://crm.brand.example/hooks", "https://10.0.0.8/hook", "https://169.254.169.254/latest", "https://[fd00::1]/x", "ftp://x.example/"]) {
      const bad = await api("/webhooks/endpoints", { method: "POST", token: adminKey, json: { url, eventTypes: ["order_paid"] } });
      expect(bad.status, url).toBe(400);
      expect(bad.body.error.issues[0].path).toBe("json.url");
    }
    // Development accepts a receiver on the brand's own machine.
    await endpoint(adminKey, { url: "http://localhost:4000/hooks", eventTypes: ["order_paid"] });
    const badType = await api("/webhooks/endpoints", { method: "POST", token: adminKey, json: { url: "https://a.example/h", eventTypes: ["nope"] } });
    expect(badType.status).toBe(400);
    expect(badType.body.error.issues[0].path).toBe("json.eventTypes.0");

    const patched = await api(`/webhooks/endpoints/${ep.id}`, { method: "PATCH", token: adminKey, json: { eventTypes: ["order_paid", "alert"], status: "disabled" } });
    expect(patched.body).toMatchObject({ eventTypes: ["order_paid", "alert"], status: "disabled", disabledReason: "disabled by an admin" });
    const other = await createTenant();
    expect((await api(`/webhooks/endpoints/${ep.id}`, { token: other.adminKey })).status).toBe(404);
    expect((await api(`/webhooks/endpoints/${ep.id}`, { method: "DELETE", token: adminKey })).status).toBe(200);
    expect((await api(`/webhooks/endpoints/${ep.id}`, { token: adminKey })).status).toBe(404);
    expect(tenant.id).toBeTruthy();
  });

  it("lists every webhook type in the OpenAPI document's webhooks section", async () => {
    const doc = (await api("/openapi.json")).body;
    expect(Object.keys(doc.webhooks)).toEqual(expect.arrayContaining(["order_paid", "alert", "voucher_redeemed"]));
    const op = doc.webhooks.order_paid.post;
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(["webhook-id", "webhook-timestamp", "webhook-signature"]);
    expect(op.requestBody.content["application/json"].schema.$ref).toBe("#/components/schemas/WebhookPayload");
  });
});

describe("webhook deliveries", () => {
  it("signs per Standard Webhooks: the reference verifier accepts it and refuses a tampered body or timestamp", async () => {
    const { tenant, adminKey } = await createTenant();
    const ep = await endpoint(adminKey, { url: "https://crm.brand.example/hooks", eventTypes: ["order_paid"], filter: { productId: "prd_a" } });
    const t = testEnv();
    const paid = event(tenant.id, "order_paid", { orderId: "ord_1", productId: "prd_a", amountCents: 1990 });
    const ids = await routeOutbound(t.env, [
      paid,
      event(tenant.id, "order_paid", { orderId: "ord_2", productId: "prd_b" }), // filtered out
      event(tenant.id, "order_created", { orderId: "ord_1", productId: "prd_a" }), // not subscribed
    ]);
    expect(ids).toHaveLength(1);
    expect(t.webhooks.sent.map((m) => m.body.deliveryId)).toEqual(ids);
    // The same events again (a redelivered Queue batch): nothing new.
    expect(await routeOutbound(t.env, [paid])).toEqual([]);

    const r = receiver([200]);
    expect(await attemptDelivery(t.env, ids[0]!, { fetcher: r.fetcher })).toMatchObject({ outcome: "succeeded", statusCode: 200 });
    const [got] = r.received;
    expect(got!.url).toBe("https://crm.brand.example/hooks");
    expect(got!.headers["webhook-id"]).toBe(ids[0]);
    const payload = new Webhook(ep.secret).verify(got!.body, got!.headers) as any;
    expect(payload).toEqual({
      type: "order_paid",
      timestamp: paid.occurredAt,
      data: { eventId: paid.eventId, orderId: "ord_1", productId: "prd_a", amountCents: 1990, userId: "byr_1" },
    });
    expect(got!.body).not.toContain(tenant.id);
    expect(got!.body).not.toContain("key_internal");
    expect(() => new Webhook(ep.secret).verify(got!.body.replace("1990", "1"), got!.headers)).toThrow();
    const ts = Number(got!.headers["webhook-timestamp"]);
    expect(() => new Webhook(ep.secret).verify(got!.body, { ...got!.headers, "webhook-timestamp": String(ts + 1) })).toThrow();

    const log = await api(`/webhooks/endpoints/${ep.id}/attempts`, { token: adminKey });
    expect(log.body.attempts).toEqual([expect.objectContaining({ deliveryId: ids[0], eventId: paid.eventId, attempt: 1, statusCode: 200, responseExcerpt: "ok", outcome: "succeeded", nextAttemptAt: null })]);
    // Delivered once: another message for it changes nothing.
    expect(await attemptDelivery(t.env, ids[0]!, { fetcher: r.fetcher })).toEqual({ outcome: "skipped" });
    expect(r.received).toHaveLength(1);
  });

  it("sends nothing for an event its type's schema refuses (the consumer checks only the envelope's frame)", async () => {
    const { tenant, adminKey } = await createTenant();
    await endpoint(adminKey, { url: "https://crm.brand.example/hooks", eventTypes: ["order_paid"] });
    const t = testEnv();
    const forged = { ...event(tenant.id, "order_paid", { orderId: "ord_9" }), payload: { orderId: "ord_9", amountCents: "9.90" } };
    expect(await routeOutbound(t.env, [forged as never])).toEqual([]);
    expect(await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: "ord_9", amountCents: 990 })])).toHaveLength(1);
  });

  it("retries failures and timeouts with growing, jittered delays (≤ 12 h each) for at most 3 days, then dead-letters", async () => {
    const { tenant, adminKey } = await createTenant();
    const ep = await endpoint(adminKey, { url: "https://erp.brand.example/in", eventTypes: ["voucher_redeemed"] });
    const t = testEnv();
    const [id] = await routeOutbound(t.env, [event(tenant.id, "voucher_redeemed", { voucherId: "vch_1" })]);
    const r = receiver([500, "timeout", ...Array(60).fill(503)]);
    const start = Date.now();
    let now = start;
    const first = await attemptDelivery(t.env, id!, { fetcher: r.fetcher, now });
    expect(first).toMatchObject({ outcome: "retrying", statusCode: 500 });
    // Not due yet: a duplicate message does not send early.
    expect(await attemptDelivery(t.env, id!, { fetcher: r.fetcher, now: now + 1000 })).toEqual({ outcome: "skipped" });

    const delays: number[] = [first.delaySeconds!];
    let outcome = first.outcome;
    while (outcome === "retrying") {
      now += delays.at(-1)! * 1000;
      const res = await attemptDelivery(t.env, id!, { fetcher: r.fetcher, now });
      outcome = res.outcome;
      if (res.delaySeconds) delays.push(res.delaySeconds);
      expect(res.outcome).not.toBe("skipped");
    }
    expect(outcome).toBe("failed");
    expect(delays.every((d) => d >= 1 && d <= RETRY_CAP_SECONDS)).toBe(true);
    expect(delays[1]!).toBeGreaterThan(delays[0]! / 2);
    expect(Math.max(...delays)).toBeGreaterThan(6 * 3600); // the cap is reached
    expect(now - start).toBeLessThanOrEqual(RETRY_WINDOW_MS);
    expect(now - start).toBeGreaterThan(RETRY_WINDOW_MS - RETRY_CAP_SECONDS * 1000);
    // Every retry was queued with its delay, none beyond what Queues accepts.
    const queued = t.webhooks.sent.filter((m) => m.body.deliveryId === id && m.delaySeconds);
    expect(queued.map((m) => m.delaySeconds)).toEqual(delays);

    const log = (await api(`/webhooks/deliveries/${id}`, { token: adminKey })).body;
    expect(log.delivery).toMatchObject({ status: "failed", attempts: delays.length + 1, nextAttemptAt: null });
    const attempts = [...log.attempts].reverse();
    expect(attempts[0]).toMatchObject({ attempt: 1, statusCode: 500, outcome: "retrying" });
    expect(attempts[0].responseExcerpt.length).toBe(1024);
    expect(attempts[1]).toMatchObject({ attempt: 2, statusCode: null, responseExcerpt: "timeout: no answer within 10 s", outcome: "retrying" });
    expect(attempts.at(-1)).toMatchObject({ outcome: "failed", nextAttemptAt: null });
    expect(Date.parse(attempts[0].nextAttemptAt) - start).toBe(delays[0]! * 1000);
    expect(ep.id).toBeTruthy();

    // The operator finds the dead letters among what went through: status=failed lists them, and nothing else.
    const [ok] = await routeOutbound(t.env, [event(tenant.id, "voucher_redeemed", { voucherId: "vch_2" })]);
    expect(await attemptDelivery(t.env, ok!, { fetcher: receiver([200]).fetcher, now })).toMatchObject({ outcome: "succeeded" });
    const dead = await api(`/webhooks/endpoints/${ep.id}/deliveries?status=failed`, { token: adminKey });
    expect(dead.status).toBe(200);
    expect(dead.body.deliveries.map((d: any) => [d.id, d.type, d.status, d.lastStatusCode])).toEqual([[id, "voucher_redeemed", "failed", 503]]);
    const sent = await api(`/webhooks/endpoints/${ep.id}/deliveries?status=succeeded`, { token: adminKey });
    expect(sent.body.deliveries.map((d: any) => d.id)).toEqual([ok]);
    expect((await api(`/webhooks/endpoints/${ep.id}/deliveries`, { token: adminKey })).body.deliveries).toHaveLength(2);
    const bad = await api(`/webhooks/endpoints/${ep.id}/deliveries?status=dead`, { token: adminKey });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues?.[0]?.path ?? bad.body.error.message).toContain("status");
    const other = await createTenant();
    expect((await api(`/webhooks/endpoints/${ep.id}/deliveries?status=failed`, { token: other.adminKey })).status).toBe(404);
  });

  it("pages deliveries and attempts by cursor: rows made at the same moment are neither skipped nor repeated; a cursor no page gave is 400", async () => {
    const { tenant, adminKey } = await createTenant();
    const ep = await endpoint(adminKey, { url: "https://crm.brand.example/hooks", eventTypes: ["voucher_redeemed"] });
    const t = testEnv();
    const ids = await routeOutbound(t.env, Array.from({ length: 7 }, (_, i) => event(tenant.id, "voucher_redeemed", { voucherId: `vch_p${i}` })));
    for (const id of ids) await attemptDelivery(t.env, id!, { fetcher: receiver([200]).fetcher, now: Date.now() });
    // One order's created, paid and delivered events are recorded together: the same created_at, which `before`
    // (a time) cut through, so rows past a page boundary were never listed.
    await env.DB.batch([
      env.DB.prepare("UPDATE webhook_deliveries SET created_at = '2026-12-01T00:00:00.000Z' WHERE endpoint_id = ?").bind(ep.id),
      env.DB.prepare("UPDATE webhook_attempts SET created_at = '2026-12-01T00:00:00.000Z' WHERE endpoint_id = ?").bind(ep.id),
    ]);
    for (const log of ["deliveries", "attempts"] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const r = await api(`/webhooks/endpoints/${ep.id}/${log}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: adminKey });
        expect(r.status).toBe(200);
        seen.push(...r.body[log].map((x: any) => x.id as string));
        cursor = r.body.nextCursor;
        if (!cursor) break;
      }
      expect(seen, log).toHaveLength(7);
      expect(new Set(seen).size, log).toBe(7);
      const bad = await api(`/webhooks/endpoints/${ep.id}/${log}?cursor=zzz`, { token: adminKey });
      expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_cursor"]);
    }
    expect((await api(`/webhooks/endpoints/${ep.id}/deliveries?before=garbage`, { token: adminKey })).status).toBe(400);
    expect((await api(`/webhooks/endpoints/${ep.id}/deliveries?before=2026-12-02T00:00:00Z`, { token: adminKey })).body.deliveries).toHaveLength(7);
  });

  it("signs with both secrets during a rotation overlap, and with the new one only without overlap", async () => {
    const { tenant, adminKey } = await createTenant();
    const ep = await endpoint(adminKey, { url: "https://crm.brand.example/h", eventTypes: ["order_paid"] });
    const rotated = await api(`/webhooks/endpoints/${ep.id}/rotate-secret`, { method: "POST", token: adminKey, json: { overlapMinutes: 60 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(ep.secret);
    expect(rotated.body.endpoint.rotationOverlapUntil).toBeTruthy();
    const t = testEnv();
    const r = receiver();
    const [id] = await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: "o1" })]);
    await attemptDelivery(t.env, id!, { fetcher: r.fetcher });
    const got = r.received[0]!;
    expect(got.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(rotated.body.secret).verify(got.body, got.headers)).toMatchObject({ type: "order_paid" });
    expect(new Webhook(ep.secret).verify(got.body, got.headers)).toMatchObject({ type: "order_paid" });

    const again = await api(`/webhooks/endpoints/${ep.id}/rotate-secret`, { method: "POST", token: adminKey, json: { overlapMinutes: 0 } });
    const [id2] = await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: "o2" })]);
    await attemptDelivery(t.env, id2!, { fetcher: r.fetcher });
    const got2 = r.received[1]!;
    expect(got2.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(new Webhook(again.body.secret).verify(got2.body, got2.headers)).toBeTruthy();
    expect(() => new Webhook(rotated.body.secret).verify(got2.body, got2.headers)).toThrow();
    const bad = await api(`/webhooks/endpoints/${ep.id}/rotate-secret`, { method: "POST", token: adminKey, json: { overlapMinutes: -1 } });
    expect(bad.status).toBe(400);
  });

  it("replays one delivery with the same webhook-id, and an endpoint's deliveries in a time range", async () => {
    const { tenant, adminKey } = await createTenant();
    const ep = await endpoint(adminKey, { url: "https://crm.brand.example/h", eventTypes: ["voucher_issued"] });
    const t = testEnv();
    const r = receiver();
    const base = Date.parse("2026-11-01T10:00:00.000Z");
    const evs = [0, 1, 2].map((h) => event(tenant.id, "voucher_issued", { voucherId: `v${h}` }, new Date(base + h * 3600_000)));
    const ids = await routeOutbound(t.env, evs);
    for (const id of ids) await attemptDelivery(t.env, id, { fetcher: r.fetcher });
    expect(r.received).toHaveLength(3);

    // The service with the recording queue (the API's replay goes to the pool's real queue, whose consumer would race this test).
    expect(await replay(t.env, tenant.id, { deliveryId: ids[1]! })).toEqual([ids[1]]);
    expect(t.webhooks.sent.at(-1)!.body).toEqual({ deliveryId: ids[1] });
    await attemptDelivery(t.env, ids[1]!, { fetcher: r.fetcher, now: Date.now() + 1 });
    expect(r.received.at(-1)!.headers["webhook-id"]).toBe(ids[1]);
    expect((await api(`/webhooks/deliveries/${ids[1]}`, { token: adminKey })).body.attempts).toHaveLength(2);

    const range = await replay(t.env, tenant.id, { endpointId: ep.id, from: "2026-11-01T10:00:00Z", to: "2026-11-01T11:30:00Z" });
    expect(range.sort()).toEqual([ids[0], ids[1]].sort());
    const pending = await api(`/webhooks/endpoints/${ep.id}/deliveries`, { token: adminKey });
    expect(pending.body.deliveries.filter((d: { status: string }) => d.status === "pending").map((d: { eventId: string }) => d.eventId).sort())
      .toEqual([evs[0]!.eventId, evs[1]!.eventId].sort());
    const badRange = await api(`/webhooks/endpoints/${ep.id}/replay`, { method: "POST", token: adminKey, json: { from: "2026-11-02T00:00:00Z", to: "2026-11-01T00:00:00Z" } });
    expect(badRange.status).toBe(400);
    expect((await api(`/webhooks/deliveries/msg_nope/replay`, { method: "POST", token: adminKey })).status).toBe(404);
    // Through the API: a localhost endpoint (refused at once when the pool's consumer tries it).
    const local = await endpoint(adminKey, { url: "http://127.0.0.1:9/h", eventTypes: ["voucher_issued"] });
    const [lid] = await routeOutbound(t.env, [event(tenant.id, "voucher_issued", { voucherId: "vl" })]);
    await attemptDelivery(t.env, lid!, { fetcher: r.fetcher });
    const viaApi = await api(`/webhooks/deliveries/${lid}/replay`, { method: "POST", token: adminKey });
    expect(viaApi).toMatchObject({ status: 202, body: { replayed: 1 } });
    const ranged = await api(`/webhooks/endpoints/${local.id}/replay`, { method: "POST", token: adminKey, json: { from: "2020-01-01T00:00:00Z", to: "2020-01-02T00:00:00Z" } });
    expect(ranged).toMatchObject({ status: 202, body: { replayed: 0 } });
  });

  it("disables an endpoint whose every attempt failed for the 3-day retry window, raises one alert, and stops sending to it", async () => {
    const { tenant, adminKey } = await createTenant();
    const ep = await endpoint(adminKey, { url: "https://down.brand.example/h", eventTypes: ["order_paid"] });
    const t = testEnv();
    const always500 = receiver(Array(200).fill(500));
    const start = Date.now();
    const [first] = await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: "a" })], start);
    await attemptDelivery(t.env, first!, { fetcher: always500.fetcher, now: start });
    const failing = () => api(`/webhooks/endpoints/${ep.id}`, { token: adminKey }).then((r) => r.body.failingSince);
    expect(await failing()).toBe(new Date(start).toISOString());
    // A success in between starts the clock again.
    const [b] = await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: "b" })], start);
    await attemptDelivery(t.env, b!, { fetcher: receiver([200]).fetcher, now: start + 5000 });
    expect(await failing()).toBeNull();
    // Then only failures: a new delivery every 6 hours, each failing.
    const firstFail = start + 6 * 3600_000;
    let now = firstFail;
    let disabledAt: number | null = null;
    const made: string[] = [];
    while (disabledAt === null) {
      const [id] = await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: `x${made.length}` })], now);
      made.push(id!);
      const res = await attemptDelivery(t.env, id!, { fetcher: always500.fetcher, now });
      expect(res.outcome).toBe("retrying");
      if (res.disabled) disabledAt = now;
      else {
        expect(await failing()).toBe(new Date(firstFail).toISOString());
        now += 6 * 3600_000;
      }
    }
    expect(disabledAt - firstFail).toBe(DISABLE_AFTER_FAILING_MS);
    const a = made.at(-2)!; // still pending, retrying later

    const shown = (await api(`/webhooks/endpoints/${ep.id}`, { token: adminKey })).body;
    expect(shown).toMatchObject({ status: "disabled", disabledReason: expect.stringContaining("every attempt failed since") });
    // Recorded once, in the batch that disabled it (whichever dispatcher then sends it).
    const alerts = (await recordedEvents(tenant.id)).filter((e) => e.type === "alert");
    expect(alerts).toEqual([expect.objectContaining({ tenantId: tenant.id, payload: expect.objectContaining({ kind: "webhook_endpoint_disabled", endpointId: ep.id }) })]);
    // Nothing more is sent to it: its pending delivery ends, and new events are recorded but parked, not queued.
    const sends = always500.received.length;
    expect(await attemptDelivery(t.env, a, { fetcher: always500.fetcher, now: now + 13 * 3600_000 })).toEqual({ outcome: "skipped" });
    expect(always500.received.length).toBe(sends);
    expect((await api(`/webhooks/deliveries/${a}`, { token: adminKey })).body.delivery).toMatchObject({ status: "failed", lastError: "endpoint disabled" });
    const missed = event(tenant.id, "order_paid", { orderId: "c" });
    expect(await routeOutbound(t.env, [missed])).toEqual([]);
    const parked = (await api(`/webhooks/endpoints/${ep.id}/deliveries`, { token: adminKey })).body.deliveries.find((d: { eventId: string }) => d.eventId === missed.eventId);
    expect(parked).toMatchObject({ status: "failed", lastError: "endpoint disabled" });
    // Enabled again by an admin: new events flow, and a replay of the time it was off sends what it missed.
    await api(`/webhooks/endpoints/${ep.id}`, { method: "PATCH", token: adminKey, json: { status: "enabled" } });
    expect(await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: "d" })])).toHaveLength(1);
    const back = receiver([200]);
    const since = new Date(Date.parse(missed.occurredAt) - 1000).toISOString();
    const replayed = await replay(t.env, tenant.id, { endpointId: ep.id, from: since, to: new Date(Date.now() + 60_000).toISOString() });
    expect(replayed).toContain(parked.id);
    expect(await attemptDelivery(t.env, parked.id, { fetcher: back.fetcher, now: Date.now() + 1 })).toMatchObject({ outcome: "succeeded" });
    expect(back.received.map((r) => r.headers["webhook-id"])).toEqual([parked.id]);
    expect(JSON.parse(back.received[0]!.body).data.orderId).toBe("c");
  });
});

describe("webhook deliveries: exhausted in a row, lost messages", () => {
  it("disables an endpoint after 5 deliveries in a row ran out of retries, even within 3 days of failing", async () => {
    const { tenant, adminKey } = await createTenant();
    const ep = await endpoint(adminKey, { url: "https://flaky.brand.example/h", eventTypes: ["order_paid"] });
    const t = testEnv();
    const failing = receiver(Array(500).fill(500));
    const start = Date.now();
    const ids = await routeOutbound(t.env, [1, 2, 3, 4, 5].map((i) => event(tenant.id, "order_paid", { orderId: `o${i}` })), start);
    for (const id of ids) await attemptDelivery(t.env, id, { fetcher: failing.fetcher, now: start });
    // One success resets the count (and the failing clock) before the five run out.
    const [ok] = await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: "ok" })], start);
    await attemptDelivery(t.env, ok!, { fetcher: receiver([200]).fetcher, now: start + 3600_000 });
    const results = [];
    for (const id of ids) {
      let res;
      do {
        const d = (await api(`/webhooks/deliveries/${id}`, { token: adminKey })).body.delivery;
        res = await attemptDelivery(t.env, id, { fetcher: failing.fetcher, now: Date.parse(d.nextAttemptAt) });
      } while (res.outcome === "retrying");
      results.push(res);
    }
    expect(results.map((r) => [r.outcome, r.disabled])).toEqual([["failed", false], ["failed", false], ["failed", false], ["failed", false], ["failed", true]]);
    expect((await api(`/webhooks/endpoints/${ep.id}`, { token: adminKey })).body).toMatchObject({ status: "disabled", disabledReason: "5 deliveries in a row ran out of retries" });
    const alerts = (await recordedEvents(tenant.id)).filter((e) => e.type === "alert");
    expect(alerts.map((e) => [e.payload.kind, e.payload.reason])).toEqual([["webhook_endpoint_disabled", "5 deliveries in a row ran out of retries"]]);
  });

  it("re-queues a pending delivery whose message was lost, from the cron sweep", async () => {
    const { tenant, adminKey } = await createTenant();
    await endpoint(adminKey, { url: "https://crm.brand.example/h", eventTypes: ["order_paid"] });
    const t = testEnv();
    const start = Date.now();
    const [id] = await routeOutbound(t.env, [event(tenant.id, "order_paid", { orderId: "lost" })], start);
    t.webhooks.sent.length = 0; // the message is lost
    await sweepWebhookDeliveries(t.env, start + 30_000); // not overdue yet (the sweep is global: other tests' rows may go)
    expect(t.webhooks.sent.map((m) => m.body.deliveryId)).not.toContain(id);
    await sweepWebhookDeliveries(t.env, start + 5 * 60_000);
    expect(t.webhooks.sent.map((m) => m.body.deliveryId)).toContain(id);
  });
});

describe("webhooks in the running worker", () => {
  it("takes events from the events consumer through the WEBHOOKS queue to an attempt in the log", async () => {
    const { tenant, adminKey } = await createTenant();
    // Nothing listens on port 9: the real consumer's attempt is refused at once and logged for a retry.
    const ep = await endpoint(adminKey, { url: "http://127.0.0.1:9/hooks", eventTypes: ["api_key_created"] });
    const key = await api("/keys", { method: "POST", token: adminKey, json: { name: "pos", scopes: ["redeemer"] } });
    expect(key.status).toBe(201);
    let attempts: any[] = [];
    for (let i = 0; i < 100 && !attempts.length; i++) {
      await new Promise((r) => setTimeout(r, 200));
      attempts = (await api(`/webhooks/endpoints/${ep.id}/attempts`, { token: adminKey })).body.attempts;
    }
    expect(attempts[0]).toMatchObject({ attempt: 1, statusCode: null, outcome: "retrying" });
    const deliveries = (await api(`/webhooks/endpoints/${ep.id}/deliveries`, { token: adminKey })).body.deliveries;
    // The tenant's first admin key may arrive too (its event can be consumed after the endpoint exists).
    expect(deliveries.length).toBeGreaterThanOrEqual(1);
    for (const d of deliveries) expect(d).toMatchObject({ type: "api_key_created", status: "pending", lastStatusCode: null });
    expect(tenant.id).toBeTruthy();
  });
});
