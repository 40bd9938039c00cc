import { describe, expect, it } from "vitest";
import { buildFunnelCompact, compactSource, funnelCompactDue } from "../../analytics/funnel-compact";
import { ingestEvents } from "../../analytics/ingest";
import { applyPersonMerges, pendingMerges } from "../../analytics/person-merges";
import { buildEvent } from "../../worker/queue/emit";
import { at, ev, OTHER, TENANT, useWarehouse } from "./metric-harness";

/*
 * p1 has a phone account since 09-01 (a paid order that day). On 09-07 they open a brand's page on another device: the
 * widget is seen by device d1, which becomes guest g1 (sign-up on d1), which claims in campaign c1; then they sign in
 * with their phone and the guest is attached to p1 (guest_attached), who pays the win's order. The next day the guest's
 * tab, still open, views the campaign again. g2 is another guest, never attached.
 */
const c1 = { campaignId: "c1" };
const device = (type: "page_view" | "user_signed_up", userId: string | null, deviceId: string, when: Date, payload: Record<string, string> = {}) =>
  ({ type, actor: { userId, deviceId, referrerId: null }, payload, occurredAt: when }) as unknown as ReturnType<typeof ev>;
const fixture = [
  device("user_signed_up", "p1", "dp", at("09-01", 10), { utmSource: "sms" }),
  ev("order_paid", "p1", at("09-01", 11), { orderId: "o1", amountCents: 1000 }),
  device("page_view", null, "d1", at("09-07", 10), c1),
  device("user_signed_up", "g1", "d1", at("09-07", 10, 1)),
  // The widget's page was opened from s1's share link: the guest counted as s1's invitee.
  ev("referral_signed_up", "g1", at("09-07", 10, 1), c1, "s1"),
  ev("claim_succeeded", "g1", at("09-07", 10, 2), c1),
  ev("guest_attached", "p1", at("09-07", 10, 5), { guestId: "g1" }),
  ev("order_created", "p1", at("09-07", 10, 6), { ...c1, orderId: "o2" }),
  ev("order_paid", "p1", at("09-07", 10, 7), { ...c1, orderId: "o2", amountCents: 990 }),
  ev("page_view", "g1", at("09-08", 3), c1),
  ev("user_signed_up", "g2", at("09-07", 12)),
  ev("page_view", "g2", at("09-07", 12, 1), c1),
  // A chain: q has had an account since August. On 09-10 a widget's guest g3 claims in c2 and is attached to the
  // browser's guest g4 (the widget's link to the store), which then signs in as q; q pays.
  device("user_signed_up", "q", "dq", at("08-20", 10)),
  device("user_signed_up", "g4", "d4", at("09-10", 9)),
  device("page_view", "g4", "d4", at("09-10", 9, 1), { campaignId: "c2" }),
  ev("user_signed_up", "g3", at("09-10", 10)),
  ev("claim_succeeded", "g3", at("09-10", 10, 1), { campaignId: "c2" }),
  ev("guest_attached", "g4", at("09-10", 10, 5), { guestId: "g3" }),
  ev("guest_attached", "q", at("09-10", 10, 10), { guestId: "g4" }),
  ev("order_created", "q", at("09-10", 10, 20), { campaignId: "c2", orderId: "o3" }),
  ev("order_paid", "q", at("09-10", 10, 21), { campaignId: "c2", orderId: "o3", amountCents: 500 }),
];

const wh = useWarehouse(fixture);
const users = (rows: { users: number }[]) => rows.map((r) => r.users);
const newUsers = async () => (await wh.query("acquisition")).reduce((n, r) => n + r.newUsers, 0);
const retentionByCohort = async () => Object.fromEntries((await wh.query("retention")).map((r) => [r.cohort, { users: r.users, d7: r.d7 }]));

describe("a guest attached to a phone account is one person in the warehouse", () => {
  it("before the merge the guest is a second person: a new user, a broken funnel, a cohort of its own", async () => {
    // The funnel reads the compacted build of these closed days (funnel-compact.ts): the merge must move its rows too.
    await buildFunnelCompact(wh.client());
    expect((await compactSource(wh.client(), TENANT, new Date("2026-10-01"))).build).not.toBe("0");
    expect(await newUsers()).toBe(5);
    expect((await wh.query("kfactor")).find((r) => r.campaignId === "c1")).toMatchObject({ inviteeSignups: 1 });
    expect(users(await wh.query("funnel", { campaignId: "c1" }))).toEqual([2, 1, 0, 0, 0]);
    expect(users(await wh.query("funnel", { campaignId: "c2" }))).toEqual([1, 0, 0, 0, 0]);
    expect(await retentionByCohort()).toEqual({ "2026-08-31": { users: 1, d7: 0 }, "2026-09-07": { users: 4, d7: 0 } });
  });

  it("waits until the warehouse has known the attachment for a while, then moves the guest's history to the account, once", async () => {
    // Another brand has a buyer of the same id as the guest (ids are per brand): theirs stays theirs.
    await ingestEvents(wh.client(), [buildEvent({ tenantId: OTHER, type: "user_signed_up", actor: { userId: "g1" }, occurredAt: at("09-07", 9) })]);
    // Just ingested: events of the guest still in flight (or a backlog after an outage) land first.
    expect(await applyPersonMerges(wh.client())).toBe(0);
    expect((await pendingMerges(wh.client(), new Date())).filter((m) => m.tenantId === TENANT)).toEqual([
      { tenantId: TENANT, fromId: "g1", toId: "p1" },
      { tenantId: TENANT, fromId: "g3", toId: "g4" },
      { tenantId: TENANT, fromId: "g4", toId: "q" },
    ]);
    // A run that dies midway (here after copying the guest's funnel rows, before deleting the originals) is run again
    // whole at the next look, and the numbers below are those of one clean run.
    let commands = 0;
    const dying = new Proxy(wh.client(), {
      get(t, k) {
        if (k === "command") return async (...a: Parameters<typeof t.command>) => (++commands === 5 ? Promise.reject(new Error("killed")) : t.command(...a));
        const v = Reflect.get(t, k);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    await expect(applyPersonMerges(dying, { minAgeMs: 0 })).rejects.toThrow("killed");
    // The other brand's mirror of the fixture attaches its own guests (x-g1 to x-p1, …).
    expect(await applyPersonMerges(wh.client(), { minAgeMs: 0 })).toBe(6);
    expect(await applyPersonMerges(wh.client(), { minAgeMs: 0 })).toBe(0);
  });

  it("after it: one new user (the account's first sign-up), the funnel whole, the guest's visit the account's return", async () => {
    expect(await newUsers()).toBe(2);
    // p1 had an account already: s1's share brought nobody new.
    expect((await wh.query("kfactor")).find((r) => r.campaignId === "c1")).toMatchObject({ inviteeSignups: 0 });
    // View (d1 → g1 → p1) → claim (g1 → p1) → the win's order and payment (p1); g2 viewed.
    expect(users(await wh.query("funnel", { campaignId: "c1" }))).toEqual([2, 1, 1, 1, 0]);
    // The build is still current: the merge moved rows and the crashed run's copies were not made twice.
    expect((await compactSource(wh.client(), TENANT, new Date("2026-10-01"))).build).not.toBe("0");
    expect(await funnelCompactDue(wh.client())).toBeNull();
    await wh.client().command({ query: "TRUNCATE TABLE funnel_compact_builds" });
    expect(users(await wh.query("funnel", { campaignId: "c1" }))).toEqual([2, 1, 1, 1, 0]);
    // g3 → g4 → q in one run: the widget's claim and the browser's view are q's, who paid.
    expect(users(await wh.query("funnel", { campaignId: "c2" }))).toEqual([1, 1, 1, 1, 0]);
    expect(users(await wh.query("funnel"))).toEqual([3, 2, 2, 2, 0]);
    // p1 (cohort of 09-01) came back on day 7 through the guest's tab; the 09-07 cohort is g2 alone.
    expect(await retentionByCohort()).toEqual({ "2026-08-31": { users: 1, d7: 1 }, "2026-09-07": { users: 1, d7: 0 } });
    const ltv = await wh.query("ltv");
    expect(ltv.map((r) => [r.cohort, r.users])).toEqual([["2026-08-31", 1], ["2026-09-07", 1]]);
    expect(ltv[0]!.ltv7Cents).toBe(1990);
  });

  it("leaves another tenant's people alone", async () => {
    // Theirs: x-p1 (x-g1 merged into it), x-g2, and their own g1, whom this brand's merge of its g1 did not touch.
    expect((await wh.query("acquisition", {}, OTHER)).reduce((n, r) => n + r.newUsers, 0)).toBe(3);
  });
});
