import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { acquireDispatchLease, releaseDispatchLease } from "../../worker/db/event-outbox";
import { api, settleOutbox } from "./helpers";
import { issue, redemptionBrand } from "./redemption-fixtures";

const settled = (p: Promise<unknown>) => {
  const state = { done: false };
  void p.finally(() => (state.done = true));
  return state;
};

describe("ledger export and checkpoint vs the event dispatcher", () => {
  it("wait for a dispatcher mid-round, then include every fact committed before they were asked", async () => {
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    // The brand's setup requests may still be dispatching (they would hold the lease taken below).
    await settleOutbox();
    // Another dispatcher holds the lease (it has read pending rows and its ledger appends are in flight).
    const other = "dsp_other_dispatcher";
    expect(await acquireDispatchLease(env.DB, other, Date.now(), Date.now() + 60_000)).toBe(true);
    try {
      // Committed now; this call's own dispatch finds the lease taken and leaves the rows to the holder.
      const w = await issue(b.tenant.id, b.productId);
      const pending = await env.DB.prepare("SELECT count(*) AS n FROM event_outbox WHERE tenant_id = ? AND sent_at IS NULL").bind(b.tenant.id).first<{ n: number }>();
      expect(pending!.n).toBeGreaterThan(0);

      const exported = api("/ledger/export", { token: b.adminKey });
      const checkpoint = api("/ledger/checkpoints", { method: "POST", token: b.adminKey });
      const e = settled(exported);
      const c = settled(checkpoint);
      await new Promise((r) => setTimeout(r, 400));
      // Neither reads the ledger while the lease is held by someone else.
      expect([e.done, c.done]).toEqual([false, false]);
      await releaseDispatchLease(env.DB, other);

      const x = await exported;
      expect(x.status).toBe(200);
      const kinds = x.body.entries.map((en: { kind: string; subjectId: string }) => `${en.kind}:${en.subjectId}`);
      expect(kinds).toEqual([`issuance:${v.id}`, `delivery:${v.id}`, `issuance:${w.id}`, `delivery:${w.id}`]);
      expect(x.body.head.seq).toBe(4);
      const cp = await checkpoint;
      expect(cp.status).toBe(200);
      // Whichever ran first, the checkpoint covers w's entries too.
      expect(cp.body.checkpoint?.seqTo ?? (await api("/ledger/export", { token: b.adminKey })).body.checkpoints.at(-1).seqTo).toBe(4);
      expect((await api("/ledger/verify", { token: b.adminKey })).body.ok).toBe(true);
    } finally {
      await releaseDispatchLease(env.DB, other);
    }
  });
});
