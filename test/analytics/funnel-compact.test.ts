import { describe, expect, it } from "vitest";
import type { ClickHouseClient } from "@clickhouse/client";
import { buildFunnelCompact, compactSource, funnelCompactDue, pruneFunnelCompact, scheduleFunnelCompact } from "../../analytics/funnel-compact";
import { ingestEvents } from "../../analytics/ingest";
import { runMetric } from "../../analytics/metrics";
import { PERSONS_PER_SLICE, setPersonsPerSlice } from "../../analytics/metrics/person-slices";
import { rekeyUser } from "../../analytics/privacy";
import type { EventEnvelope, EventType } from "../../schema/events";
import { buildEvent, type EventInput } from "../../worker/queue/emit";
import { useWarehouse } from "./metric-harness";

/*
 * The funnel read from the compacted build must give exactly what it gives from funnel_people alone: the answers are
 * taken first (no build yet), then again after a build, over spans that start and end mid-day, end before the frontier
 * or after it, with windows of an hour to a month, and per campaign. The data is random but seeded: views in runs with
 * claims, orders and redemptions between them, steps at the same second as a view, repeated events, devices that sign
 * up later (their views count for the user), and views from a signed-up device after the user's claim.
 */
const T = "tC";
const wh = useWarehouse([]);

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

const mk = (type: EventType, actor: EventInput["actor"], payload: Record<string, string | number>, at: Date | string, tenantId = T) =>
  buildEvent({ tenantId, type, actor, payload, occurredAt: new Date(at) } as EventInput);

const VIEWS: EventType[] = ["page_view", "product_viewed", "widget_impression"];
const START = Date.UTC(2026, 8, 1);

function randomEvents(seed: number, people: number): EventEnvelope[] {
  const r = rng(seed);
  const out: EventEnvelope[] = [];
  const pick = <X>(xs: X[]) => xs[Math.floor(r() * xs.length)]!;
  const campaign = () => pick(["c1", "c2", undefined]);
  for (let p = 0; p < people; p++) {
    const user = `u${p}`;
    const device = r() < 0.35 ? `d${p}` : null;
    let t = START + Math.floor(r() * 26 * 86_400_000);
    const signupAt = device && r() < 0.8 ? t + Math.floor(r() * 3 * 86_400_000) : null;
    const n = 3 + Math.floor(r() * 14);
    for (let i = 0; i < n; i++) {
      t += Math.floor(r() ** 3 * 4 * 86_400_000);
      const anonymous = device !== null && (signupAt === null || t < signupAt || r() < 0.15);
      const actor = anonymous ? { deviceId: device! } : { userId: user, deviceId: device };
      const x = r();
      const c = campaign();
      let type: EventType;
      let payload: Record<string, string | number> = {};
      if (x < 0.62) { type = pick(VIEWS); if (c) payload = { campaignId: c }; }
      else if (x < 0.78) { type = pick(["claim_succeeded", "draw_made"] as EventType[]); payload = { campaignId: c ?? "c3" }; }
      // Orders and redemptions of a campaign too: the per-campaign funnel counts only those (from events).
      else if (x < 0.88) { type = "order_created"; payload = { orderId: `o${p}-${i}`, ...(c ? { campaignId: c } : {}) }; }
      else if (x < 0.95) { type = "order_paid"; payload = { orderId: `o${p}-${i}`, amountCents: 990, ...(c ? { campaignId: c } : {}) }; }
      else { type = "voucher_redeemed"; payload = { voucherId: `v${p}-${i}`, ...(c ? { campaignId: c } : {}) }; }
      out.push(mk(type, actor, payload, new Date(t)));
      // A step at the same second as a view, and a repeated event.
      if (type === "page_view" && r() < 0.1) out.push(mk("claim_succeeded", actor, { campaignId: c ?? "c1" }, new Date(t)));
      if (r() < 0.05) out.push(mk(type, actor, payload, new Date(t)));
    }
    if (device && signupAt !== null) out.push(mk("user_signed_up", { userId: user, deviceId: device }, {}, new Date(signupAt)));
  }
  return out;
}

const CASES: Record<string, unknown>[] = [];
for (const span of [
  { from: "2026-09-01", to: "2026-11-01" },
  { from: "2026-09-03T07:30:00Z", to: "2026-10-20T16:45:00Z" },
  { from: "2026-09-05", to: "2026-09-19" }, // ends well before the frontier
  { from: "2026-09-02T11:00:00Z", to: "2026-09-21T13:00:00Z" }, // ends mid-day before the frontier
  { from: "2026-09-22T05:00:00Z", to: "2026-10-05" }, // crosses the frontier
]) {
  for (const windowHours of [1, 24, 168, 720]) CASES.push({ ...span, windowHours });
  for (const campaignId of ["c1", "c2"]) CASES.push({ ...span, windowHours: 72, campaignId });
}

const answers = async (cases = CASES, tenant = T) => {
  const out: number[][] = [];
  for (const p of cases) out.push((await runMetric(wh.client(), tenant, "funnel", p)).rows.map((r) => (r as { users: number }).users));
  return out;
};
/** Every other case (each span; windows of 1 h and 7 days, campaign c1) for the sliced reads. */
const SOME = CASES.filter((_, i) => i % 2 === 0);
/** The same answers read in slices of about 150 people (a tenant with many people: metrics/person-slices.ts). */
const inSlices = async (cases = SOME, perSlice = 150, tenant = T) => {
  setPersonsPerSlice(perSlice);
  try {
    return await answers(cases, tenant);
  } finally {
    setPersonsPerSlice(PERSONS_PER_SLICE);
  }
};
const NOW = new Date("2026-09-24T09:00:00Z"); // frontier 2026-09-24T00:00Z

describe("the funnel's compacted build", () => {
  it("gives exactly the levels funnel_people gives, for every span, window and campaign (in slices of people too)", async () => {
    const events = randomEvents(7, 400);
    await ingestEvents(wh.client(), events);
    const raw = await answers();
    expect(raw.some((a) => a[1]! > 0 && a[4]! > 0)).toBe(true);
    expect(await inSlices()).toEqual(raw.filter((_, i) => i % 2 === 0));
    expect(await funnelCompactDue(wh.client(), NOW)).toBe("none");

    const b = await buildFunnelCompact(wh.client(), NOW);
    expect(b.frontier.toISOString()).toBe("2026-09-24T00:00:00.000Z");
    expect(b.rows).toBeGreaterThan(0);
    expect(b.rows).toBeLessThan(b.rawRows); // it did compact
    expect((await compactSource(wh.client(), T, new Date("2026-11-01"))).build).toBe(b.build);
    expect(await funnelCompactDue(wh.client(), NOW)).toBeNull();
    expect(await answers()).toEqual(raw);
    expect(await inSlices()).toEqual(raw.filter((_, i) => i % 2 === 0));
  });

  it("a late step before the frontier makes the funnel read funnel_people until the next build", async () => {
    const before = await answers();
    // u-late viewed on 09-10 and, arriving late, claimed an hour later: one more at the claim step.
    await ingestEvents(wh.client(), [
      mk("page_view", { userId: "u-late" }, { campaignId: "c1" }, "2026-09-10T10:00:00Z"),
      mk("claim_succeeded", { userId: "u-late" }, { campaignId: "c1" }, "2026-09-10T11:00:00Z"),
    ]);
    expect((await compactSource(wh.client(), T, new Date("2026-11-01"))).build).toBe("0");
    expect(await funnelCompactDue(wh.client(), NOW)).toBe("changed");
    const fallback = await answers();
    expect(fallback[0]![1]).toBe(before[0]![1]! + 1);
    const again = await buildFunnelCompact(wh.client(), NOW);
    expect((await compactSource(wh.client(), T, new Date("2026-11-01"))).build).toBe(again.build);
    expect(await answers()).toEqual(fallback);
    // The first build is dropped by the next prune, not the current one.
    expect(await pruneFunnelCompact(wh.client())).toBe(1);
    expect(await pruneFunnelCompact(wh.client())).toBe(0);
    // A build whose process died before recording it: kept while it may still be running, dropped after an hour.
    const crashed = Number(again.build) + 1;
    await wh.client().command({ query: `INSERT INTO funnel_compact (build, tenant_id, person_key, occurred_at, step) VALUES (${crashed}, '${T}', 1, '2026-09-10 00:00:00', 1)` });
    expect(await pruneFunnelCompact(wh.client(), crashed + 60_000)).toBe(0);
    expect(await pruneFunnelCompact(wh.client(), crashed + 3_700_000)).toBe(1);
    expect(await answers()).toEqual(fallback);
  });

  it("a view from before the frontier still starts a chain that ends after it", async () => {
    // Only views in the build (no other step), then a claim after the frontier inside the 7-day window.
    await ingestEvents(wh.client(), [
      mk("page_view", { userId: "u-cross" }, { campaignId: "c2" }, "2026-09-22T10:00:00Z"),
      mk("claim_succeeded", { userId: "u-cross" }, { campaignId: "c2" }, "2026-09-25T10:00:00Z"),
    ]);
    const rawNow = await answers(); // the view is before the frontier: the build is stale, so this is funnel_people's answer
    await buildFunnelCompact(wh.client(), NOW);
    expect((await compactSource(wh.client(), T, new Date("2026-11-01"))).build).not.toBe("0");
    expect(await answers()).toEqual(rawNow);
  });


  it("asks for a new build once a day closes, and an erasure leaves no key of the person in the build", async () => {
    expect(await funnelCompactDue(wh.client(), new Date("2026-09-25T00:20:00Z"))).toBe("frontier");
    const key = async (id: string) => {
      const rs = await wh.client().query({
        query: `SELECT (SELECT count() FROM funnel_compact WHERE tenant_id = {t:String} AND person_key = cityHash64({id:String}))
          + (SELECT count() FROM funnel_people WHERE tenant_id = {t:String} AND (person_key = cityHash64({id:String}) OR link_key = cityHash64({id:String}))) AS n`,
        query_params: { t: T, id }, format: "JSONEachRow",
      });
      return Number((await rs.json<{ n: number }>())[0]!.n);
    };
    // The erased person: a user who signed up on a device that viewed before, and a second device of theirs that nobody
    // signed up on (its views count as a visitor of their own).
    const events = randomEvents(7, 400);
    const signedUp = events.filter((e) => e.type === "user_signed_up").map((e) => [e.actor.userId!, e.actor.deviceId!] as const);
    const devices = new Set(events.map((e) => e.actor.deviceId).filter(Boolean));
    const lonely = [...devices].find((d) => !signedUp.some(([, sd]) => sd === d))!;
    const [user, device] = signedUp.find(([u, d]) => events.some((e) => e.actor.deviceId === d && !e.actor.userId && e.type !== "user_signed_up"))!;
    expect(await key(user)).toBeGreaterThan(0);
    expect(await key(lonely)).toBeGreaterThan(0);
    const before = await answers();
    const slicedBefore = await inSlices();
    await rekeyUser(wh.client(), { tenantId: T, userIds: [user], deviceIds: [device, lonely], pseudonym: "anon_funnelcompact01" });
    expect(await key(user)).toBe(0);
    expect(await key(device)).toBe(0);
    expect(await key(lonely)).toBe(0);
    expect(await key("anon_funnelcompact01")).toBeGreaterThan(0);
    // Every answer as before: the device's steps went with the person, the lonely device's to a key of its own.
    expect(await answers()).toEqual(before);
    expect(await inSlices()).toEqual(slicedBefore);
    // A second pass (late deliveries) changes nothing.
    await rekeyUser(wh.client(), { tenantId: T, userIds: [user], deviceIds: [device, lonely], pseudonym: "anon_funnelcompact01" });
    expect(await answers()).toEqual(before);
  });

  it("the warehouse's schedule builds at its first look, and after a failed build waits instead of retrying at every look", async () => {
    const lines: string[] = [];
    let fail = true;
    const flaky = new Proxy(wh.client(), {
      get(target, prop, receiver) {
        if (prop !== "command") return Reflect.get(target, prop, receiver);
        return async (p: { query: string }) => {
          if (fail && p.query.includes("INSERT INTO funnel_compact")) throw new Error("out of memory (simulated)");
          return target.command(p as never);
        };
      },
    }) as ClickHouseClient;
    const until = async (ok: () => unknown) => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    const first = scheduleFunnelCompact(flaky, { everyMs: 100, changedGapMs: 60_000, log: (l) => lines.push(l) });
    await until(() => first.status().lastError);
    await new Promise((r) => setTimeout(r, 800)); // several more looks
    first.stop();
    expect(first.status().lastError).toContain("out of memory");
    expect(lines.filter((l) => l.includes("compaction failed"))).toHaveLength(1);
    expect(first.status().waiting).not.toBeNull();

    fail = false;
    const second = scheduleFunnelCompact(flaky, { everyMs: 100, log: (l) => lines.push(l) }); // a restarted process
    await until(() => second.status().lastBuild);
    second.stop();
    expect(second.status().lastBuild).toMatchObject({ reason: first.status().waiting, tenants: 1 });
    expect((await compactSource(wh.client(), T, new Date())).build).toBe(second.status().lastBuild!.build);
  });

  it("a device in the build that signs up after the frontier counts for its user, once, in slices too", async () => {
    const L = "tL"; // a tenant of its own (last: the schedule test counts one tenant): two people, two slices
    await ingestEvents(wh.client(), [
      mk("page_view", { deviceId: "d-late" }, { campaignId: "c2" }, "2026-09-23T10:00:00Z", L),
      mk("page_view", { userId: "u-other" }, {}, "2026-09-23T11:00:00Z", L),
    ]);
    await buildFunnelCompact(wh.client(), NOW);
    const wide = [CASES[3]!]; // 09-01..11-01, 720 h window
    const [unlinked] = await answers(wide, L); // a device that never signed up is a visitor of its own
    await ingestEvents(wh.client(), [
      mk("user_signed_up", { userId: "u-late-link", deviceId: "d-late" }, {}, "2026-09-25T09:00:00Z", L),
      mk("claim_succeeded", { userId: "u-late-link" }, { campaignId: "c2" }, "2026-09-25T10:00:00Z", L),
    ]);
    const build = (await compactSource(wh.client(), L, new Date("2026-11-01"))).build;
    expect(build).not.toBe("0"); // nothing changed before the frontier: the device's view is read from the build
    const [linked] = await answers(wide, L);
    expect(unlinked!.slice(0, 2)).toEqual([2, 0]);
    expect(linked!.slice(0, 2)).toEqual([2, 1]); // the device's view is now its user's: one viewer who claimed
    expect(await inSlices(wide, 1, L)).toEqual([linked]);
  });
});
