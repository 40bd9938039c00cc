import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventInput } from "../../worker/queue/emit";
import { buildEvent } from "../../worker/queue/emit";
import { signBody } from "../../worker/domain/signature";
import { phoneHash } from "../../worker/services/buyers";
import { computeSegment, refreshSegments } from "../../worker/services/segments";
import { isMemberStmt } from "../../worker/db/segments";
import { api, createTenant, recordedEvents } from "./helpers";

/** Events straight into the real embedded warehouse the worker tests run against (signed like the queue consumer). */
async function ingest(events: EventInput[]) {
  const body = JSON.stringify({ events: events.map(buildEvent) });
  const res = await fetch(new URL("/v1/ingest", env.WAREHOUSE_URL), { method: "POST", body, headers: { "content-type": "application/json", "x-kaquan-signature": await signBody("test-ingest-secret", body) } });
  expect(res.status).toBe(200);
}

const day = (n: number) => new Date(Date.now() - n * 86_400_000);

/** A tenant with buyers b1 (2 paid orders, member: vip, 上海, phone), b2 (1 paid order, member card), b3 (viewed only, guest). */
async function world() {
  const t = await createTenant("Segments");
  const tenantId = t.tenant.id as string;
  const b = (s: string) => `byr_${tenantId.slice(-6)}_${s}`;
  const ph = await phoneHash(env, "13800138000");
  await env.DB.batch([
    env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind, phone_hash, phone_masked) VALUES (?, ?, 'phone', ?, '138****8000')").bind(b("1"), tenantId, ph),
    env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind) VALUES (?, ?, 'guest')").bind(b("2"), tenantId),
    env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind) VALUES (?, ?, 'guest')").bind(b("3"), tenantId),
    env.DB.prepare("INSERT INTO members (id, tenant_id, buyer_id, card_no, joined_via, tags, city) VALUES (?, ?, ?, ?, 'phone', '[\"vip\"]', '上海')").bind(`mbr_${b("1")}`, tenantId, b("1"), `C${tenantId.slice(-6)}1`),
    env.DB.prepare("INSERT INTO members (id, tenant_id, buyer_id, card_no, joined_via) VALUES (?, ?, ?, ?, 'phone')").bind(`mbr_${b("2")}`, tenantId, b("2"), `C${tenantId.slice(-6)}2`),
  ]);
  const paid = (u: string, n: number, cents: number): EventInput => ({ tenantId, type: "order_paid", actor: { userId: u }, payload: { orderId: `o_${u}_${n}`, amountCents: cents }, occurredAt: day(n) });
  await ingest([
    paid(b("1"), 3, 5000), paid(b("1"), 20, 1000), paid(b("2"), 10, 2000),
    { tenantId, type: "product_viewed", actor: { userId: b("3") }, payload: { productId: "p1" }, occurredAt: day(1) },
    // A user the warehouse knows but D1 does not (an erased or foreign id): never becomes a member.
    paid(`${b("0")}-ghost`, 2, 9000),
  ]);
  return { tenantId, key: t.adminKey, b };
}

const isMember = async (tenantId: string, segmentId: string, buyerId: string) => !!(await isMemberStmt(env.DB, tenantId, segmentId, buyerId).first());

describe("segments: computed in the warehouse, synced to the edge", () => {
  it("computes on demand, filters member facts at the edge, records segment_computed, previews masked", async () => {
    const w = await world();
    const made = await api("/segments", { method: "POST", token: w.key, json: { name: "买过的人", rules: { frequency: { min: 1 } } } });
    expect(made.status).toBe(201);
    const done = await api(`/segments/${made.body.id}/compute`, { method: "POST", token: w.key });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ size: 2, run: { status: "done", members: 2 } });
    expect(await isMember(w.tenantId, made.body.id, w.b("1"))).toBe(true);
    expect(await isMember(w.tenantId, made.body.id, w.b("2"))).toBe(true);
    expect(await isMember(w.tenantId, made.body.id, w.b("3"))).toBe(false);
    const computed = (await recordedEvents(w.tenantId)).filter((e) => e.type === "segment_computed");
    expect(computed.map((e) => e.payload)).toEqual([{ segmentId: made.body.id, size: 2, source: "rules", runId: done.body.run.id }]);

    const vip = await api("/segments", { method: "POST", token: w.key, json: { name: "上海 VIP", rules: { frequency: { min: 1 }, tags: ["VIP"], cities: ["上海"] } } });
    expect((await api(`/segments/${vip.body.id}/compute`, { method: "POST", token: w.key })).body.size).toBe(1);
    expect(await isMember(w.tenantId, vip.body.id, w.b("1"))).toBe(true);

    const preview = await api("/segments/preview", { method: "POST", token: w.key, json: { rules: { recencyDays: { max: 5 } } } });
    expect(preview.status).toBe(200);
    // The warehouse counts the ghost too (size 2); the sample shows only buyers the edge knows, masked.
    expect(preview.body).toMatchObject({ size: 2, memberFiltered: false, sample: [expect.stringMatching(/^byr_…/)] });
    expect(preview.body.sample[0]).not.toBe(w.b("1"));
    expect(typeof preview.body.tookMs).toBe("number");
  });

  it("a run cut short resumes from its cursor and never half-swaps; the swap replaces the old members", async () => {
    const w = await world();
    const s = await api("/segments", { method: "POST", token: w.key, json: { name: "paid", rules: { frequency: { min: 1 } } } });
    const first = await api(`/segments/${s.body.id}/compute`, { method: "POST", token: w.key });
    expect(first.body.size).toBe(2);
    // Now everyone seen (b0-ghost, b1, b2, b3 in id order) but only b2 and b3 as paid ≤ 1 … : frequency max 1.
    await api(`/segments/${s.body.id}`, { method: "PATCH", token: w.key, json: { rules: { frequency: { max: 1 } } } });
    // One page of one id, then "crash".
    const cut = await computeSegment(env, w.tenantId, s.body.id, { maxPages: 2, pageSize: 1 });
    expect(cut.run).toMatchObject({ status: "running" });
    expect(cut.size).toBe(2);
    // Nothing of the unfinished run is visible: b1 (paid twice) is still in, b3 not yet.
    expect(await isMember(w.tenantId, s.body.id, w.b("1"))).toBe(true);
    expect(await isMember(w.tenantId, s.body.id, w.b("3"))).toBe(false);
    const resumed = await api(`/segments/${s.body.id}/compute`, { method: "POST", token: w.key });
    expect(resumed.status).toBe(200);
    expect(resumed.body.run.id).toBe(cut.run!.id);
    expect(resumed.body).toMatchObject({ size: 2, run: { status: "done", members: 2 } });
    expect(await isMember(w.tenantId, s.body.id, w.b("1"))).toBe(false);
    expect(await isMember(w.tenantId, s.body.id, w.b("2"))).toBe(true);
    expect(await isMember(w.tenantId, s.body.id, w.b("3"))).toBe(true);
    const rows = await env.DB.prepare("SELECT buyer_id, run_id FROM segment_members WHERE tenant_id = ? AND segment_id = ? ORDER BY buyer_id").bind(w.tenantId, s.body.id).all();
    expect(rows.results).toEqual([{ buyer_id: w.b("2"), run_id: cut.run!.id }, { buyer_id: w.b("3"), run_id: cut.run!.id }]);
    const staged = await env.DB.prepare("SELECT count(*) AS n FROM segment_run_members WHERE tenant_id = ?").bind(w.tenantId).first<{ n: number }>();
    expect(staged!.n).toBe(0);
  });

  it("the cron refreshes a segment whose refresh_minutes have passed", async () => {
    const w = await world();
    const s = await api("/segments", { method: "POST", token: w.key, json: { name: "auto", rules: { monetaryCents: { min: 3000 } }, refreshMinutes: 60 } });
    await refreshSegments(env, 50);
    expect((await api(`/segments/${s.body.id}`, { token: w.key })).body).toMatchObject({ size: 1, run: { status: "done" } });
    expect(await isMember(w.tenantId, s.body.id, w.b("1"))).toBe(true);
  });

  it("upload hashes phones, matches ids and card numbers, stores neither phones nor unmatched rows; export has no phones", async () => {
    const w = await world();
    const csv = ["+86 138-0013-8000", `C${w.tenantId.slice(-6)}2`, "13900139000", "not an id!"].join("\n");
    const up = await api("/segments/uploads", { method: "POST", token: w.key, json: { name: "导入名单", csv } });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ rows: 4, matched: 2, unmatched: 1, invalid: [{ line: 4 }], segment: { source: "upload", size: 2 } });
    expect(await isMember(w.tenantId, up.body.segment.id, w.b("1"))).toBe(true);
    expect(await isMember(w.tenantId, up.body.segment.id, w.b("2"))).toBe(true);
    const dump = JSON.stringify([
      (await env.DB.prepare("SELECT * FROM segments WHERE tenant_id = ?").bind(w.tenantId).all()).results,
      (await env.DB.prepare("SELECT * FROM segment_members WHERE tenant_id = ?").bind(w.tenantId).all()).results,
      (await env.DB.prepare("SELECT * FROM segment_runs WHERE tenant_id = ?").bind(w.tenantId).all()).results,
      (await env.DB.prepare("SELECT * FROM audit_log WHERE tenant_id = ?").bind(w.tenantId).all()).results,
      await recordedEvents(w.tenantId),
    ]);
    expect(dump).not.toContain("13900139000");
    expect(dump).not.toContain("13800138000");

    const res = await api(`/segments/${up.body.segment.id}/members.csv`, { token: w.key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = (res.body as string).trim().split("\n");
    expect(lines[0]).toBe("member_id,card_no,buyer_id");
    expect(lines.slice(1).sort()).toEqual([`mbr_${w.b("1")},C${w.tenantId.slice(-6)}1,${w.b("1")}`, `mbr_${w.b("2")},C${w.tenantId.slice(-6)}2,${w.b("2")}`]);
    expect(res.body).not.toMatch(/138\d{8}/);

    // A new file replaces the members.
    const again = await api(`/segments/${up.body.segment.id}/upload`, { method: "POST", token: w.key, json: { csv: `member_id\n${w.b("3")}` } });
    expect(again.body).toMatchObject({ rows: 1, matched: 1, segment: { size: 1 } });
    expect(await isMember(w.tenantId, up.body.segment.id, w.b("1"))).toBe(false);
    expect(await isMember(w.tenantId, up.body.segment.id, w.b("3"))).toBe(true);
  });

  it("tenant isolation and bad rules (400 with field paths)", async () => {
    const w = await world();
    const other = await createTenant("Other");
    const s = await api("/segments", { method: "POST", token: w.key, json: { name: "mine", rules: { dormantDays: 1 } } });
    for (const r of [
      await api(`/segments/${s.body.id}`, { token: other.adminKey }),
      await api(`/segments/${s.body.id}/compute`, { method: "POST", token: other.adminKey }),
      await api(`/segments/${s.body.id}/members.csv`, { token: other.adminKey }),
    ]) expect(r.status).toBe(404);
    expect((await api("/segments", { token: other.adminKey })).body.segments).toEqual([]);
    // The other tenant's warehouse view has none of this tenant's users.
    const theirs = await api("/segments/preview", { method: "POST", token: other.adminKey, json: { rules: { frequency: { min: 0 } } } });
    expect(theirs.body.size).toBe(0);

    const bad = await api("/segments", { method: "POST", token: w.key, json: { name: "x", rules: { frequency: { min: 5, max: 1 }, highLtv: { minCents: 1, topPercent: 5 }, dormantDays: 0 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["json.rules.dormantDays", "json.rules.frequency.max", "json.rules.highLtv"]);
    const empty = await api("/segments", { method: "POST", token: w.key, json: { name: "x", rules: {} } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["json.rules"]);
  });
});
