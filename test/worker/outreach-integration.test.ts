import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { inHoldout } from "../../worker/domain/outreach";
import { notifyDeliveries } from "../../worker/services/buyer-notices";
import { advanceIssuance } from "../../worker/services/issuances";
import { runFlows } from "../../worker/services/flows";
import { sendDeferred, sendMessage } from "../../worker/services/messaging";
import { api, countRows, createTenant, insertMember, recordedOfType } from "./helpers";

const DAY = 86_400_000;
const uid = () => crypto.randomUUID().replaceAll("-", "").slice(0, 16);

/** A tenant with a coupon product (valid 30 days after issue). */
async function brand() {
  const t = await createTenant("Outreach");
  const p = await api("/products", {
    method: "POST", token: t.adminKey,
    json: { kind: "coupon", name: "满50减10券", priceCents: 0, faceValueCents: 1000, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 5000, discountCents: 1000 } } },
  });
  expect(p.status).toBe(201);
  return { tenantId: t.tenant.id as string, slug: t.tenant.slug as string, key: t.adminKey, couponId: p.body.id as string };
}

/** `n` phone buyers (optionally members, with marketing consent), inserted in bulk; their ids sorted. */
async function people(tenantId: string, n: number, o: { consent?: boolean; members?: boolean } = {}) {
  const ids = Array.from({ length: n }, () => `b_${uid()}`).sort();
  const json = JSON.stringify(ids);
  const stmts = [
    env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind, phone_hash, phone_masked) SELECT value, ?, 'phone', 'ph_' || value, '138****0000' FROM json_each(?)").bind(tenantId, json),
  ];
  if (o.consent ?? true) {
    stmts.push(env.DB.prepare("INSERT INTO consents (id, tenant_id, buyer_id, purpose, action, text_version, channel) SELECT 'cns_' || value, ?, value, 'marketing', 'granted', 'v1', 'web' FROM json_each(?)").bind(tenantId, json));
  }
  if (o.members) {
    stmts.push(env.DB.prepare("INSERT INTO members (id, tenant_id, buyer_id, card_no, joined_via) SELECT 'm_' || value, ?, value, substr(value, 3), 'phone' FROM json_each(?)").bind(tenantId, json));
  }
  await env.DB.batch(stmts);
  return ids;
}

async function segment(tenantId: string, buyerIds: string[]) {
  const id = `seg_${uid()}`;
  const run = `run_${uid()}`;
  await env.DB.batch([
    env.DB.prepare("INSERT INTO segments (id, tenant_id, name, source, size, current_run_id) VALUES (?, ?, '沉睡用户', 'upload', ?, ?)").bind(id, tenantId, buyerIds.length, run),
    env.DB.prepare("INSERT INTO segment_members (tenant_id, segment_id, buyer_id, run_id) SELECT ?, ?, value, ? FROM json_each(?)").bind(tenantId, id, run, JSON.stringify(buyerIds)),
  ]);
  return id;
}

const settings = (key: string, json: unknown) => api("/outreach/settings", { method: "PUT", token: key, json });
const NO_QUIET = { start: 0, end: 0 };
const messagesOf = (tenantId: string, flow: string) =>
  env.DB.prepare("SELECT * FROM outreach_messages WHERE tenant_id = ? AND flow = ? ORDER BY created_at").bind(tenantId, flow).all<Record<string, string>>().then((r) => r.results);
const smsTo = (tenantId: string, buyerId: string) =>
  env.DB.prepare("SELECT body FROM sms_outbox WHERE tenant_id = ? AND phone_hash = ?").bind(tenantId, `ph_${buyerId}`).all<{ body: string }>().then((r) => r.results);

describe("targeted issuance", () => {
  it("issues to a 300-member segment once each, keeps a deterministic ~10% holdout, resumes after a crash without duplicates, reports", async () => {
    const b = await brand();
    const N = 300;
    const ids = await people(b.tenantId, N, { consent: false });
    const segmentId = await segment(b.tenantId, ids);
    const start = await api("/issuances", { method: "POST", token: b.key, json: { segmentId, couponProductId: b.couponId, notify: false } });
    expect(start.status).toBe(201);
    const id = start.body.id as string;
    expect(start.body).toMatchObject({ total: N, holdoutPct: 10, status: "running", processed: 0 });

    // Three pages, then a crash: the third page's decisions are lost after its orders were made, the cursor not saved.
    await advanceIssuance(env, b.tenantId, id, { pages: 3, pageSize: 50 });
    const lost = ids.slice(100, 150);
    await env.DB.batch([
      env.DB.prepare("DELETE FROM issuance_people WHERE tenant_id = ? AND issuance_id = ? AND buyer_id IN (SELECT value FROM json_each(?))").bind(b.tenantId, id, JSON.stringify(lost)),
      env.DB.prepare(`UPDATE issuances SET cursor = ?2, issued = (SELECT COUNT(*) FROM issuance_people WHERE issuance_id = ?1 AND outcome = 'issued'),
        holdout = (SELECT COUNT(*) FROM issuance_people WHERE issuance_id = ?1 AND outcome = 'holdout') WHERE id = ?1`).bind(id, ids[99]),
    ]);
    expect((await api(`/issuances/${id}`, { token: b.key })).body.processed).toBe(100);
    // Resumed by two drivers at once (the cron and an operator's "advance"): still once per person.
    await Promise.all([advanceIssuance(env, b.tenantId, id, { pages: 20, pageSize: 50 }), advanceIssuance(env, b.tenantId, id, { pages: 20, pageSize: 50 })]);

    const done = (await api(`/issuances/${id}`, { token: b.key })).body;
    const expectedHoldout = ids.filter((x) => inHoldout(id, x, 10)).length;
    expect(done).toMatchObject({ status: "done", total: N, processed: N, failed: 0, holdout: expectedHoldout, issued: N - expectedHoldout });
    expect(expectedHoldout).toBeGreaterThan(10);
    expect(expectedHoldout).toBeLessThan(55);
    // Each issued person has exactly one order and one coupon; nobody in the holdout has one.
    expect(await countRows("SELECT COUNT(*) AS n FROM orders WHERE tenant_id = ? AND source = ?", b.tenantId, `targeted:${id}`)).toBe(N - expectedHoldout);
    expect(await countRows("SELECT COUNT(*) AS n FROM (SELECT buyer_id FROM orders WHERE tenant_id = ? AND source = ? GROUP BY buyer_id HAVING COUNT(*) > 1)", b.tenantId, `targeted:${id}`)).toBe(0);
    expect(await countRows("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND kind = 'coupon' AND holder_id IN (SELECT buyer_id FROM issuance_people WHERE issuance_id = ? AND outcome = 'holdout')", b.tenantId, id)).toBe(0);
    const events = await recordedOfType(b.tenantId, "targeted_issued");
    expect(events).toHaveLength(N);
    expect(new Set(events.map((e) => e.actor.userId)).size).toBe(N);
    expect(events.filter((e) => e.payload.holdout).length).toBe(expectedHoldout);

    const report = await api(`/issuances/${id}/report`, { token: b.key });
    expect(report.body).toMatchObject({ issuance: { issued: N - expectedHoldout }, failuresByReason: [] });
    const csv = await api(`/issuances/${id}/report?format=csv`, { token: b.key });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(csv.body).toContain(`holdout,${expectedHoldout}`);
  }, 240_000);

  it("notifies issued people (SMS with an unsubscribe link), counts failures by reason and stops when the coupon runs out", async () => {
    const b = await brand();
    await settings(b.key, { quietHours: NO_QUIET });
    const limited = await api("/products", {
      method: "POST", token: b.key,
      json: { kind: "coupon", name: "限量券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", stockTotal: 5, config: { coupon: { thresholdCents: 0, discountCents: 500 } } },
    });
    expect(limited.status).toBe(201);
    const ids = await people(b.tenantId, 20);
    const segmentId = await segment(b.tenantId, ids);
    const start = await api("/issuances", { method: "POST", token: b.key, json: { segmentId, couponProductId: limited.body.id, holdoutPct: 0 } });
    const out = await advanceIssuance(env, b.tenantId, start.body.id, { pages: 5, pageSize: 10 });
    // People decided in parallel when stock ran out are failed (sold_out); nobody after them is tried.
    expect(out).toMatchObject({ status: "stopped", stopReason: "sold_out", issued: 5 });
    expect(out.failed).toBeGreaterThan(0);
    expect(out.processed).toBeLessThan(20);
    const report = await api(`/issuances/${start.body.id}/report`, { token: b.key });
    expect(report.body.failuresByReason).toEqual([{ reason: "sold_out", count: out.failed }]);
    expect(report.body.messages.sent).toBe(5);
    const sms = await smsTo(b.tenantId, ids[0]!);
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toMatch(/限量券.*退订 .*\/shop\/unsubscribe\/\?t=.*&k=/);
    expect(JSON.stringify(await recordedOfType(b.tenantId, "message_sent"))).not.toContain("ph_");
  });

  it("issues to one member through the API, idempotent by clientKey; bad input and other tenants are refused", async () => {
    const b = await brand();
    const [buyer] = await people(b.tenantId, 1, { members: true });
    const body = { memberId: `m_${buyer}`, couponProductId: b.couponId, clientKey: `crm-${uid()}`, notify: false };
    const first = await api("/issuances/direct", { method: "POST", token: b.key, json: body });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ created: true, issuance: { kind: "direct", issued: 1, status: "done" } });
    const again = await api("/issuances/direct", { method: "POST", token: b.key, json: body });
    expect(again.body).toMatchObject({ created: false, orderId: first.body.orderId });
    expect(await countRows("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND holder_id = ?", b.tenantId, buyer)).toBe(1);
    // notify off means no SMS at all: the gift's delivery sends no "您购买的…已发货" notice either (nor would a flow's).
    const delivered = (await recordedOfType(b.tenantId, "order_delivered")).filter((e) => e.payload.orderId === first.body.orderId);
    expect(delivered).toHaveLength(1);
    await notifyDeliveries(env, delivered);
    expect(await smsTo(b.tenantId, buyer!)).toEqual([]);
    const [other] = await people(b.tenantId, 1, { members: true });
    expect((await api("/issuances/direct", { method: "POST", token: b.key, json: { ...body, memberId: `m_${other}` } })).status).toBe(409);

    const bad = await api("/issuances/direct", { method: "POST", token: b.key, json: { memberId: "x", buyerId: "y", couponProductId: b.couponId, clientKey: "short" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(["json.clientKey"]));
    const noSeg = await api("/issuances", { method: "POST", token: b.key, json: { couponProductId: b.couponId, holdoutPct: 80 } });
    expect(noSeg.status).toBe(400);
    expect(noSeg.body.error.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(["json.segmentId", "json.holdoutPct"]));
    expect((await api("/issuances", { method: "POST", token: b.key, json: { segmentId: "nope", couponProductId: b.couponId } })).body.error.issues[0].path).toBe("json.segmentId");
    const cap = await settings(b.key, { capPer7Days: -1, flows: { winBack: { enabled: true } } });
    expect(cap.status).toBe(400);
    expect(cap.body.error.issues[0].path).toBe("json.capPer7Days");
    expect((await settings(b.key, { flows: { winBack: { enabled: true } } })).body.error.issues[0].path).toBe("json.flows.winBack.couponProductId");

    const c = await brand();
    expect((await api(`/issuances/${first.body.issuance.id}`, { token: c.key })).status).toBe(404);
    expect((await api("/issuances/direct", { method: "POST", token: c.key, json: body })).status).toBe(422);
  });
});

describe("messaging: consent, unsubscribe, cap, quiet hours", () => {
  it("defers an SMS in quiet hours to 09:00 Shanghai, suppresses without consent, caps per 7 days, and the link unsubscribes", async () => {
    const b = await brand();
    await settings(b.key, { capPer7Days: 1 });
    const s = { ...(await api("/outreach/settings", { token: b.key })).body };
    const [a, noConsent] = [...(await people(b.tenantId, 1)), ...(await people(b.tenantId, 1, { consent: false }))];
    const spec = (buyerId: string, trigger: string) => ({ tenantId: b.tenantId, buyerId: buyerId!, flow: "targeted" as const, triggerKey: trigger, couponName: "满50减10券" });

    const night = new Date("2026-06-01T15:30:00.000Z"); // 23:30 in Shanghai
    expect(await sendMessage(env, spec(a!, "t1"), s, night)).toMatchObject({ recorded: true, status: "deferred" });
    expect(await smsTo(b.tenantId, a!)).toHaveLength(0);
    expect(await sendDeferred(env, new Date("2026-06-02T00:59:00.000Z"))).toBe(0);
    await sendDeferred(env, new Date("2026-06-02T01:00:00.000Z"));
    expect(await smsTo(b.tenantId, a!)).toHaveLength(1);
    await sendDeferred(env, new Date("2026-06-02T01:05:00.000Z"));
    expect(await smsTo(b.tenantId, a!)).toHaveLength(1);

    const day = new Date(Date.now() - (Date.now() % DAY) + 4 * 3_600_000); // 12:00 in Shanghai today
    expect(await sendMessage(env, spec(noConsent!, "t1"), s, day)).toMatchObject({ status: "suppressed", reason: "no_consent" });
    expect(await sendMessage(env, spec(a!, "t2"), s, day)).toMatchObject({ status: "sent" });
    expect(await sendMessage(env, spec(a!, "t2"), s, day)).toMatchObject({ recorded: false });
    expect(await sendMessage(env, spec(a!, "t3"), s, day)).toMatchObject({ status: "suppressed", reason: "frequency_cap" });
    const suppressed = await recordedOfType(b.tenantId, "message_suppressed");
    expect(suppressed.map((e) => e.payload.reason).sort()).toEqual(["frequency_cap", "no_consent", "quiet_hours"]);

    // The link in the SMS: a tampered token is refused; one tap unsubscribes from this flow; all withdraws consent.
    const token = /&k=([^\s]+)/.exec((await smsTo(b.tenantId, a!))[0]!.body)![1]!;
    const unsub = (t: string, all = false) => api(`/shop/${b.slug}/unsubscribe`, { method: "POST", json: { token: t, all } });
    expect((await api(`/shop/${b.slug}/unsubscribe?token=${token}`)).body).toMatchObject({ scope: "targeted", unsubscribed: false });
    const tampered = await unsub(token.replace(/.$/, (ch) => (ch === "0" ? "1" : "0")));
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.code).toBe("invalid_token");
    expect((await unsub(token.replace(a!, noConsent!))).status).toBe(400);
    const c = await brand();
    expect((await api(`/shop/${c.slug}/unsubscribe`, { method: "POST", json: { token } })).status).toBe(400);
    expect((await unsub(token)).body).toMatchObject({ scope: "targeted", unsubscribed: true });
    const later = { ...s, capPer7Days: 10 };
    expect(await sendMessage(env, spec(a!, "t4"), later, day)).toMatchObject({ status: "suppressed", reason: "unsubscribed" });
    expect(await sendMessage(env, { ...spec(a!, "x1"), flow: "win_back" }, later, day)).toMatchObject({ status: "sent" });
    expect((await unsub(token, true)).body).toMatchObject({ scope: "all" });
    expect(await sendMessage(env, { ...spec(a!, "x2"), flow: "win_back" }, later, day)).toMatchObject({ status: "suppressed", reason: "no_consent" });
  });
});

describe("lifecycle flows from the cron", () => {
  it("each flow fires once per person per trigger across two runs and two concurrent runs", async () => {
    const b = await brand();
    const [reminded, revived, dormant, birthday, giftedByTier] = await people(b.tenantId, 5, { members: true });
    const [unconsented] = await people(b.tenantId, 1, { members: true, consent: false });
    const saved = await settings(b.key, {
      quietHours: NO_QUIET, capPer7Days: 10,
      flows: {
        expiryReminder: { enabled: true, days: 3 }, revive: { enabled: true, validityDays: 3 },
        winBack: { enabled: true, dormantDays: 60, couponProductId: b.couponId }, birthday: { enabled: true, couponProductId: b.couponId },
      },
    });
    expect(saved.status).toBe(200);
    // Coupons: one lapsing in 2 days, one expired yesterday (through direct issue, then moved in time).
    const issue = async (buyerId: string) => (await api("/issuances/direct", { method: "POST", token: b.key, json: { buyerId, couponProductId: b.couponId, clientKey: `k-${uid()}`, notify: false } })).body.orderId as string;
    const soon = await issue(reminded!);
    const old = await issue(revived!);
    const now = new Date();
    const month = now.toISOString().slice(5, 7);
    const period = now.toISOString().slice(0, 7);
    await env.DB.batch([
      env.DB.prepare("UPDATE vouchers SET valid_to = ? WHERE tenant_id = ? AND order_id = ?").bind(new Date(now.getTime() + 2 * DAY).toISOString(), b.tenantId, soon),
      env.DB.prepare("UPDATE vouchers SET valid_to = ?, status = 'expired' WHERE tenant_id = ? AND order_id = ?").bind(new Date(now.getTime() - DAY).toISOString(), b.tenantId, old),
      // Joined long ago; only `dormant` and `unconsented` have no activity since (the others got coupons: free orders are not activity).
      env.DB.prepare("UPDATE members SET joined_at = ? WHERE tenant_id = ? AND buyer_id IN (?, ?)").bind(new Date(now.getTime() - 100 * DAY).toISOString(), b.tenantId, dormant, unconsented),
      env.DB.prepare("UPDATE members SET birthday = ? WHERE tenant_id = ? AND buyer_id IN (?, ?)").bind(`${month}-15`, b.tenantId, birthday, giftedByTier),
      env.DB.prepare("INSERT INTO member_benefits (tenant_id, member_id, kind, period, order_ids) VALUES (?, ?, 'checked', ?, '[]'), (?, ?, 'checked', ?, '[]'), (?, ?, 'birthday_gift', ?, '[\"o_tier\"]')")
        .bind(b.tenantId, `m_${birthday}`, period, b.tenantId, `m_${giftedByTier}`, period, b.tenantId, `m_${giftedByTier}`, period.slice(0, 4)),
    ]);

    await runFlows(env, now);
    await runFlows(env, now);
    await Promise.all([runFlows(env, now), runFlows(env, now)]);

    const one = async (flow: string) => (await messagesOf(b.tenantId, flow)).map((m) => [m.buyer_id, m.status, m.reason]);
    expect(await one("expiry_reminder")).toEqual([[reminded, "sent", null]]);
    expect(await one("revive")).toEqual([[revived, "sent", null]]);
    expect((await one("win_back")).sort()).toEqual([[dormant, "sent", null], [unconsented, "suppressed", "no_consent"]].sort());
    expect((await one("birthday")).sort()).toEqual([[birthday, "sent", null], [giftedByTier, "sent", null]].sort());
    // Coupons: one win-back (none for the member without consent), one revival valid 3 days (the old one stays expired), one birthday coupon (none for the tier-gifted).
    const orders = async (source: string) => (await env.DB.prepare("SELECT buyer_id, id FROM orders WHERE tenant_id = ? AND source = ?").bind(b.tenantId, source).all<{ buyer_id: string; id: string }>()).results;
    expect((await orders("flow:win_back")).map((o) => o.buyer_id)).toEqual([dormant]);
    expect((await orders("flow:birthday")).map((o) => o.buyer_id)).toEqual([birthday]);
    const [revival] = await orders("flow:revive");
    expect(revival!.buyer_id).toBe(revived);
    const fresh = await env.DB.prepare("SELECT status, valid_to FROM vouchers WHERE tenant_id = ? AND order_id = ?").bind(b.tenantId, revival!.id).first<{ status: string; valid_to: string }>();
    expect(fresh!.status).toBe("issued");
    expect(Math.abs(Date.parse(fresh!.valid_to) - (now.getTime() + 3 * DAY))).toBeLessThan(60_000);
    expect(await countRows("SELECT COUNT(*) AS n FROM vouchers WHERE tenant_id = ? AND order_id = ? AND status = 'expired'", b.tenantId, old)).toBe(1);
    // Each window leaves what its flow handled (schema/d1/0203): the reminded, the revived, and the revival's own coupon.
    const marks = async (orderId: string) => env.DB.prepare("SELECT flow_reminded AS reminded, flow_revived AS revived FROM vouchers WHERE tenant_id = ? AND order_id = ?").bind(b.tenantId, orderId).first();
    expect(await marks(soon)).toEqual({ reminded: 1, revived: 0 });
    expect(await marks(old)).toEqual({ reminded: 0, revived: 1 });
    expect(await marks(revival!.id)).toEqual({ reminded: 1, revived: 1 });
    // One SMS and one message_sent per sent message.
    expect(await smsTo(b.tenantId, dormant!)).toHaveLength(1);
    expect((await recordedOfType(b.tenantId, "message_sent")).length).toBe(5);
    expect((await recordedOfType(b.tenantId, "message_sent")).find((e) => e.payload.flow === "expiry_reminder")!.payload.voucherId).toBeTruthy();
  });

  it("win-back walks past the first page from a cursor, each person once; a coupon sold out is recorded as coupon_unavailable", async () => {
    const b = await brand();
    const limited = await api("/products", {
      method: "POST", token: b.key,
      json: { kind: "coupon", name: "回归券", priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", stockTotal: 3, config: { coupon: { thresholdCents: 0, discountCents: 500 } } },
    });
    expect(limited.status).toBe(201);
    await settings(b.key, { quietHours: NO_QUIET, capPer7Days: 10, flows: { winBack: { enabled: true, dormantDays: 60, couponProductId: limited.body.id } } });
    // 205 without marketing consent (suppressed: cheap) and 5 with it (a coupon each while the 3 last).
    await people(b.tenantId, 205, { members: true, consent: false });
    const reachable = await people(b.tenantId, 5, { members: true });
    const now = new Date();
    await env.DB.prepare("UPDATE members SET joined_at = ? WHERE tenant_id = ?").bind(new Date(now.getTime() - 100 * DAY).toISOString(), b.tenantId).run();
    const outcomes = async () => (await env.DB.prepare("SELECT status, reason, count(*) AS n, count(DISTINCT buyer_id) AS people FROM outreach_messages WHERE tenant_id = ? AND flow = 'win_back' GROUP BY 1, 2 ORDER BY 1, 2")
      .bind(b.tenantId).all()).results;
    const total = async () => (await outcomes()).reduce((n, r) => n + Number(r.n), 0);

    await runFlows(env, now); // one page of 200
    expect(await total()).toBe(200);
    await Promise.all([runFlows(env, now), runFlows(env, now)]); // the other 10
    await runFlows(env, now);
    expect(await outcomes()).toEqual([
      { status: "sent", reason: null, n: 3, people: 3 },
      { status: "suppressed", reason: "coupon_unavailable", n: 2, people: 2 },
      { status: "suppressed", reason: "no_consent", n: 205, people: 205 },
    ]);
    expect(await countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND source = 'flow:win_back' AND status = 'delivered'", b.tenantId)).toBe(3);
    const missed = await env.DB.prepare("SELECT buyer_id FROM outreach_messages WHERE tenant_id = ? AND reason = 'coupon_unavailable'").bind(b.tenantId).all<{ buyer_id: string }>();
    for (const m of missed.results) {
      expect(reachable).toContain(m.buyer_id);
      expect(await smsTo(b.tenantId, m.buyer_id)).toEqual([]);
    }
    expect((await recordedOfType(b.tenantId, "message_suppressed")).filter((e) => e.payload.reason === "coupon_unavailable")).toHaveLength(2);
  });

  it("birthdays wait for the membership cron's check: the cursor holds at the first member not yet checked", async () => {
    const b = await brand();
    await settings(b.key, { quietHours: NO_QUIET, capPer7Days: 10, flows: { birthday: { enabled: true, couponProductId: b.couponId } } });
    const ids = await people(b.tenantId, 6, { members: true });
    const now = new Date();
    const period = now.toISOString().slice(0, 7);
    await env.DB.prepare("UPDATE members SET birthday = ? WHERE tenant_id = ?").bind(`${period.slice(5, 7)}-10`, b.tenantId).run();
    const check = (buyers: string[]) => env.DB.prepare("INSERT INTO member_benefits (tenant_id, member_id, kind, period) SELECT ?, 'm_' || value, 'checked', ? FROM json_each(?)")
      .bind(b.tenantId, period, JSON.stringify(buyers)).run();
    const told = async () => (await messagesOf(b.tenantId, "birthday")).map((m) => m.buyer_id).sort();
    await check([ids[0]!, ids[1]!, ids[3]!]);
    await runFlows(env, now);
    expect(await told()).toEqual([ids[0], ids[1], ids[3]].sort());
    await check([ids[2]!, ids[4]!, ids[5]!]);
    await runFlows(env, now);
    await runFlows(env, now);
    expect(await told()).toEqual([...ids].sort());
    expect(await countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND source = 'flow:birthday'", b.tenantId)).toBe(6);
  });
});
