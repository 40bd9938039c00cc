import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { acquireDispatchLease, chainRoundStatements, deferEvents, recordEvents, pendingRead, type OutboxRow } from "../../worker/db/event-outbox";
import { LEDGER_KINDS_BY_EVENT } from "../../worker/domain/voucher-ledger";
import { dispatchAfterResponse } from "../../worker/queue/dispatch";
import { buildEvent } from "../../worker/queue/emit";
import { api, countRows, createTenant, settleOutbox } from "./helpers";
import { issue, redemptionBrand } from "./redemption-fixtures";

const lease = () => env.DB.prepare("SELECT holder, until FROM event_dispatch_lease WHERE id = 1").first<{ holder: string | null; until: number }>();
const pending = () => countRows("SELECT count(*) AS n FROM event_outbox WHERE sent_at IS NULL");

const envelope = (n: number) => buildEvent({ tenantId: "t_chain", type: "api_key_created", payload: { keyId: `key_chain_${n}`, scopes: "analyst" } });

async function chain(holder: string, sent: number[] = []) {
  const now = Date.now();
  const results = await env.DB.batch(chainRoundStatements(env.DB, holder, sent, now, now + 60_000, 500, Object.keys(LEDGER_KINDS_BY_EVENT)));
  return { ...pendingRead(results), until: now + 60_000 };
}

describe("a dispatch round's end runs on into the next round in the same round trip", () => {
  it("keeps the lease and reads what was recorded meanwhile; gives it back when nothing is due, or when the lease is another's", async () => {
    await settleOutbox();
    expect(await acquireDispatchLease(env.DB, "dsp_a", Date.now(), Date.now() + 60_000)).toBe(true);
    await recordEvents(env.DB, [envelope(1), envelope(2)]);

    // Rows recorded while the round ran: the lease is renewed and they come back, oldest first.
    const first = await chain("dsp_a");
    expect(first.rows.map((r) => r.type)).toEqual(["api_key_created", "api_key_created"]);
    expect(await lease()).toEqual({ holder: "dsp_a", until: first.until });

    // Those rows marked sent and nothing else pending: the lease is given back, nothing is read.
    const second = await chain("dsp_a", first.rows.map((r) => r.seq));
    expect(second.rows).toEqual([]);
    expect((await lease())!.until).toBe(0);
    expect(await pending()).toBe(0);

    // The oldest pending row backs off after a failure: nothing is due, so the lease is given back.
    await recordEvents(env.DB, [envelope(3)]);
    const [row] = (await env.DB.prepare("SELECT * FROM event_outbox WHERE sent_at IS NULL").all<OutboxRow>()).results;
    await deferEvents(env.DB, [row!], () => Date.now() + 60_000, "queue down");
    expect(await acquireDispatchLease(env.DB, "dsp_a", Date.now(), Date.now() + 60_000)).toBe(true);
    expect((await chain("dsp_a")).rows).toEqual([]);
    expect((await lease())!.until).toBe(0);

    // A holder whose lease was taken over reads nothing and leaves the new holder's lease alone.
    await env.DB.prepare("UPDATE event_outbox SET next_at = 0 WHERE seq = ?").bind(row!.seq).run();
    const until = Date.now() + 60_000;
    expect(await acquireDispatchLease(env.DB, "dsp_b", Date.now(), until)).toBe(true);
    expect((await chain("dsp_a")).rows).toEqual([]);
    expect(await lease()).toEqual({ holder: "dsp_b", until });
    await env.DB.prepare("UPDATE event_dispatch_lease SET until = 0 WHERE id = 1").run();
    await settleOutbox();
  });

  it("reads, with the rows, the vouchers their ledger events name: of the event's own brand only", async () => {
    const a = await redemptionBrand();
    const b = await redemptionBrand();
    const mine = await issue(a.tenant.id, a.productId);
    const theirs = await issue(b.tenant.id, b.productId);
    await settleOutbox();
    const voucherEvent = (tenantId: string, voucherId: string) => buildEvent({ tenantId, type: "voucher_redeemed", payload: { voucherId, storeId: "st_x" } });
    await recordEvents(env.DB, [
      voucherEvent(a.tenant.id, mine.id),
      // Names brand b's voucher from brand a: never read for a.
      voucherEvent(a.tenant.id, theirs.id),
      envelope(4),
    ]);
    expect(await acquireDispatchLease(env.DB, "dsp_v", Date.now(), Date.now() + 60_000)).toBe(true);
    const read = await chain("dsp_v");
    expect(read.rows.map((r) => r.type)).toEqual(["voucher_redeemed", "voucher_redeemed", "api_key_created"]);
    expect(read.vouchers!.map((v) => [v.id, v.tenant_id])).toEqual([[mine.id, a.tenant.id]]);
    await env.DB.prepare("UPDATE event_dispatch_lease SET until = 0 WHERE id = 1").run();
    await settleOutbox();
  });

  it("requests in overlapping lanes: every row they recorded is forwarded by the dispatch after the responses, none left for the cron", async () => {
    await settleOutbox();
    const { tenant, adminKey } = await createTenant("Burst");
    // Eight buyers' worth of requests at once, each lane one after another: requests end all through the dispatch's rounds.
    const lanes = await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) statuses.push((await api("/keys", { method: "POST", token: adminKey, json: { name: `k${lane}-${i}`, scopes: ["analyst"] } })).status);
        return statuses;
      }),
    );
    expect(lanes.flat()).toEqual(Array(48).fill(201));
    // No dispatch is called here: only the ones the requests started after their responses.
    let left = -1;
    for (let i = 0; i < 200 && left !== 0; i++) {
      left = await countRows("SELECT count(*) AS n FROM event_outbox WHERE tenant_id = ? AND sent_at IS NULL", tenant.id);
      if (left) await new Promise((r) => setTimeout(r, 25));
    }
    expect(left).toBe(0);
    expect(await countRows("SELECT count(*) AS n FROM event_outbox WHERE tenant_id = ? AND type = 'api_key_created'", tenant.id)).toBe(49);
    for (let i = 0; i < 100 && (await lease())!.until > Date.now(); i++) await new Promise((r) => setTimeout(r, 25));
    expect((await lease())!.until).toBe(0);
  });

  it("a request that ends after the round's last read was issued: the dispatch goes round once more for its rows", async () => {
    await settleOutbox();
    const waits: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void waits.push(p);
    let batches = 0;
    // The round's second round trip (the journal, rows sent, and the read of what came meanwhile) is under way when
    // another request commits its row and ends: that read cannot have seen the row.
    const db = new Proxy(env.DB, {
      get(t, k) {
        if (k === "batch") {
          return async (stmts: D1PreparedStatement[]) => {
            const results = await t.batch(stmts);
            if (++batches === 2) {
              await recordEvents(env.DB, [envelope(9)]);
              dispatchAfterResponse(e, waitUntil);
            }
            return results;
          };
        }
        const v = Reflect.get(t, k);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    const e = new Proxy(env, { get: (t, k) => (k === "DB" ? db : Reflect.get(t, k)) }) as Env;
    await recordEvents(env.DB, [envelope(8)]);
    dispatchAfterResponse(e, waitUntil);
    for (let i = 0; i < waits.length; i++) await waits[i];
    expect(batches).toBeGreaterThan(2);
    expect(await pending()).toBe(0);
  });
});
