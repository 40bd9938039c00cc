import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventEnvelope, JournaledMessage } from "../../schema/events";
import { dispatchEvents } from "../../worker/queue/dispatch";
import { eventRows } from "../../worker/queue/emit";
import { withRequestEvents } from "../../worker/queue/request-events";
import { runScheduled } from "../../worker/scheduled";
import { setVoucherStatus, voucherIs } from "../../worker/db/vouchers";
import { voidVoucher } from "../../worker/services/voucher-void";
import { issueVoucher } from "../../worker/services/vouchers";
import { api, settleOutbox } from "./helpers";
import { redemptionBrand } from "./redemption-fixtures";

/** A Queue producer that refuses while `down`, and records every envelope it accepted. */
function flakyQueue() {
  const accepted: EventEnvelope[] = [];
  const q = {
    down: true,
    accepted,
    async send(body: JournaledMessage) {
      if (q.down) throw new Error("Queue send failed: service unavailable");
      accepted.push(...body.events);
    },
    async sendBatch(msgs: Iterable<{ body: EventEnvelope }>) {
      if (q.down) throw new Error("Queue send failed: service unavailable");
      for (const m of msgs) accepted.push(m.body);
    },
  };
  return q;
}

const withQueue = (queue: ReturnType<typeof flakyQueue>) => new Proxy(env, { get: (t, k) => (k === "EVENTS" ? queue : Reflect.get(t, k)) }) as Env;

/** The tenant's voucher events in the outbox (the brand's setup records its own events too). */
const outbox = (tenantId: string) =>
  env.DB.prepare("SELECT event_id, type, sent_at, attempts FROM event_outbox WHERE tenant_id = ? AND type LIKE 'voucher_%' ORDER BY seq")
    .bind(tenantId)
    .all<{ event_id: string; type: string; sent_at: string | null; attempts: number }>()
    .then((r) => r.results);

const ledgerKinds = async (adminKey: string) =>
  (await api("/ledger/export", { token: adminKey })).body.entries.map((e: { kind: string; subjectId: string }) => `${e.kind}:${e.subjectId}`) as string[];

describe("transactional outbox: a failure after the commit loses and repeats nothing", () => {
  it("Queue down after the commit: the cron later delivers every event exactly once, and every ledger entry exactly once", async () => {
    const b = await redemptionBrand();
    await settleOutbox();
    const queue = flakyQueue();
    const e = withQueue(queue);
    const issued = [];
    for (let i = 0; i < 3; i++) issued.push((await issueVoucher(e, { tenantId: b.tenant.id, holderId: "buyer_1", productId: b.productId, sourceKey: `t:${i}` })).voucher);
    await voidVoucher(e, b.tenant.id, issued[0]!.code, "mistake", "key_test");
    // Committed with the changes and handed to the journal (D1) by the dispatcher; the Queue refused every send.
    await dispatchEvents(e);
    const waiting = await outbox(b.tenant.id);
    expect(waiting.map((r) => r.type)).toEqual(["voucher_issued", "voucher_issued", "voucher_issued", "voucher_voided"]);
    expect(waiting.every((r) => r.sent_at !== null)).toBe(true);
    expect(queue.accepted).toHaveLength(0);
    // Counted event by event: other files' dispatchers share this D1, and a message of theirs may hold this
    // tenant's setup events beside another tenant's voucher events.
    const journaled = () =>
      env.DB.prepare(
        `SELECT count(*) AS n FROM event_journal j, json_each(j.body) e
         WHERE json_extract(e.value, '$.tenantId') = ? AND json_extract(e.value, '$.type') LIKE 'voucher\\_%' ESCAPE '\\'`,
      ).bind(b.tenant.id).first<{ n: number }>().then((r) => r!.n);
    expect(await journaled()).toBe(4);

    // Back up: the cron sends nothing early (a message may still be on its way for a minute) …
    queue.down = false;
    await runScheduled(e);
    expect(queue.accepted.filter((x) => x.tenantId === b.tenant.id && x.type.startsWith("voucher_"))).toHaveLength(0);
    // … then, a minute on, sends each journaled message once, in the order they were journaled.
    await env.DB.prepare("UPDATE event_journal SET resend_at = 0 WHERE instr(body, ?) > 0").bind(b.tenant.id).run();
    await runScheduled(e);
    await runScheduled(e);
    const mine = queue.accepted.filter((x) => x.tenantId === b.tenant.id && x.type.startsWith("voucher_"));
    expect(mine.map((x) => x.eventId)).toEqual(waiting.map((r) => r.event_id));
    // The ledger saw each step once, in order.
    expect(await ledgerKinds(b.adminKey)).toEqual([
      ...issued.flatMap((v) => [`issuance:${v.id}`, `delivery:${v.id}`]),
      `void:${issued[0]!.id}`,
    ]);
    expect((await api("/ledger/verify", { token: b.adminKey })).body.ok).toBe(true);
  });

  it("dispatch skipped (the isolate died after the commit): the cron forwards the rows once", async () => {
    const b = await redemptionBrand();
    await settleOutbox();
    const queue = flakyQueue();
    queue.down = false;
    const e = withQueue(queue);
    const { voucher } = await withRequestEvents(
      () => issueVoucher(e, { tenantId: b.tenant.id, holderId: "buyer_2", productId: b.productId, sourceKey: "lost:1" }),
      () => undefined, // the waitUntil dispatch never ran
    );
    expect((await outbox(b.tenant.id)).map((r) => r.sent_at)).toEqual([null]);
    await runScheduled(e);
    await dispatchEvents(e);
    expect(queue.accepted.filter((x) => x.tenantId === b.tenant.id && x.type.startsWith("voucher_")).map((x) => x.type)).toEqual(["voucher_issued"]);
    expect(await ledgerKinds(b.adminKey)).toEqual([`issuance:${voucher.id}`, `delivery:${voucher.id}`]);
  });

  it("the journal could not be written: no row is marked sent, and the next dispatch sends each event once", async () => {
    const b = await redemptionBrand();
    await settleOutbox();
    const queue = flakyQueue();
    queue.down = false;
    // D1 refuses the journal's transaction (the rows are marked sent in that same transaction).
    let journalDown = true;
    const db = new Proxy(env.DB, {
      get: (t, k) =>
        k === "batch"
          ? (stmts: D1PreparedStatement[]) => {
              if (journalDown && stmts.some((s) => /INTO event_journal/.test((s as unknown as { statement: string }).statement))) return Promise.reject(new Error("D1_ERROR: disk I/O error"));
              return t.batch(stmts);
            }
          : Reflect.get(t, k),
    });
    const e = new Proxy(env, { get: (t, k) => (k === "EVENTS" ? queue : k === "DB" ? db : Reflect.get(t, k)) }) as Env;
    const { voucher } = await withRequestEvents(() => issueVoucher(e, { tenantId: b.tenant.id, holderId: "buyer_4", productId: b.productId, sourceKey: "j:1" }), () => undefined);
    await dispatchEvents(e);
    const [row] = await outbox(b.tenant.id);
    expect(row).toMatchObject({ type: "voucher_issued", sent_at: null, attempts: 1 });
    expect(queue.accepted.filter((x) => x.tenantId === b.tenant.id)).toHaveLength(0);
    // The lease was given back, so the next dispatch (once the back-off is over) is not held up a minute.
    expect((await env.DB.prepare("SELECT until FROM event_dispatch_lease").first<{ until: number }>())!.until).toBe(0);

    journalDown = false;
    await env.DB.prepare("UPDATE event_outbox SET next_at = 0 WHERE tenant_id = ?").bind(b.tenant.id).run();
    await dispatchEvents(e);
    await dispatchEvents(e);
    expect((await outbox(b.tenant.id)).map((r) => r.sent_at !== null)).toEqual([true]);
    expect(queue.accepted.filter((x) => x.tenantId === b.tenant.id && x.type.startsWith("voucher_")).map((x) => x.type)).toEqual(["voucher_issued"]);
    expect(await ledgerKinds(b.adminKey)).toEqual([`issuance:${voucher.id}`, `delivery:${voucher.id}`]);
  });

  it("a guarded change that did not happen records no event; a repeated one records it once", async () => {
    const b = await redemptionBrand();
    const { voucher } = await issueVoucher(env, { tenantId: b.tenant.id, holderId: "buyer_3", productId: b.productId, sourceKey: "g:1" });
    const voided = (id: string) => ({ eventId: id, tenantId: b.tenant.id, type: "voucher_voided" as const, payload: { voucherId: voucher.id, reason: "test" } });
    // issued → redeemed is not what this call asks: it moves nothing, and its event row is not written.
    await env.DB.prepare("UPDATE vouchers SET status = 'redeemed' WHERE id = ?").bind(voucher.id).run();
    const moved = await setVoucherStatus(env.DB, b.tenant.id, voucher.id, ["issued"], "voided", eventRows(env, [voided("ev_guard_1")], voucherIs(b.tenant.id, voucher.id, "voided")));
    expect(moved).toBeNull();
    expect((await outbox(b.tenant.id)).map((r) => r.type)).toEqual(["voucher_issued"]);
    // The same derived id twice: one row.
    await env.DB.batch(eventRows(env, [voided("ev_twice_1")]));
    await env.DB.batch(eventRows(env, [voided("ev_twice_1")]));
    expect((await outbox(b.tenant.id)).filter((r) => r.event_id === "ev_twice_1")).toHaveLength(1);
  });
});
