import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, countRows, createTenant, recordedOfType } from "./helpers";
import { countingEnv } from "./counting-env";
import { issueMemberBenefits, runMembershipCron, runYearlyReviews } from "../../worker/services/member-cron";
import { createOrder } from "../../worker/services/orders";
import { retryOwedItems } from "../../worker/services/member-benefit-items";
import { EventEnvelope } from "../../schema/events";

const DAY = 86_400_000;
const tier = async (adminKey: string, body: Record<string, unknown>) => (await api("/members/tiers", { method: "POST", token: adminKey, json: body })).body.id as string;
async function coupon(adminKey: string, name: string) {
  const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name, priceCents: 0, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } } });
  expect(p.status).toBe(201);
  return p.body.id as string;
}

/** `n` members of the tenant (made by SQL for speed, each with a buyer), ids `<prefix>_<i>`, on `tierId`. */
async function members(tenantId: string, prefix: string, n: number, tierId: string | null, extra: { joinedAt?: string; benefitsPeriod?: string } = {}) {
  const seq = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)";
  await env.DB.batch([
    env.DB.prepare(`${seq} INSERT INTO buyers (id, tenant_id, kind) SELECT 'byr_' || ?3 || '_' || i, ?2, 'guest' FROM n`).bind(n, tenantId, prefix),
    env.DB.prepare(
      `${seq} INSERT INTO members (id, tenant_id, buyer_id, card_no, tier_id, joined_via, joined_at, benefits_period)
       SELECT ?3 || '_' || i, ?2, 'byr_' || ?3 || '_' || i, ?3 || i, ?4, 'phone', coalesce(?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), coalesce(?6, '') FROM n`,
    ).bind(n, tenantId, prefix, tierId, extra.joinedAt ?? null, extra.benefitsPeriod ?? null),
  ]);
}

const LONG = () => Date.now() + 120_000;

describe("membership cron: due work by indexed due dates", { timeout: 180_000 }, () => {
  it("a minute with nothing due reads a few rows beside 1,000 members, not every member", async () => {
    const { tenant } = await createTenant();
    const now = new Date();
    await runMembershipCron(env, now); // whatever other files left due
    const { env: counted, tally } = countingEnv();
    await runMembershipCron(counted, now);
    const before = tally.read;
    const p = `mq${Date.now().toString(36)}`;
    await members(tenant.id, p, 1_000, null, { benefitsPeriod: now.toISOString().slice(0, 7) });
    await runMembershipCron(counted, now);
    // Measured when written (3,000 members then): 3 rows before the members were added, 3 after. Before migration 0200 each
    // minute read every member at least twice (the review's and the benefits' candidates) and every paid term: 6,198 more.
    expect(tally.read - 2 * before).toBeLessThan(50);
    await env.DB.batch([
      env.DB.prepare("DELETE FROM members WHERE tenant_id = ? AND id LIKE ? || '\\_%' ESCAPE '\\'").bind(tenant.id, p),
      env.DB.prepare("DELETE FROM buyers WHERE tenant_id = ? AND id LIKE 'byr\\_' || ? || '\\_%' ESCAPE '\\'").bind(tenant.id, p),
    ]);
    expect(await countRows("SELECT count(*) AS n FROM members WHERE tenant_id = ?", tenant.id)).toBe(0);
  });

  it("one run gives this month's pack to every due member past the first page, each once, and marks the rest checked", async () => {
    const { tenant, adminKey } = await createTenant();
    const pack = await coupon(adminKey, "月度券包");
    const plain = await tier(adminKey, { name: "普通", rank: 0, growthThreshold: 0 });
    const gold = await tier(adminKey, { name: "金卡", rank: 1, growthThreshold: 100, privileges: { monthlyCouponProductIds: [pack] } });
    const p = `mb${Date.now().toString(36)}`;
    await members(tenant.id, `${p}g`, 25, gold);
    await members(tenant.id, `${p}p`, 200, plain);
    const now = new Date();
    const period = now.toISOString().slice(0, 7);

    await Promise.all([issueMemberBenefits(env, now, new Map(), LONG()), issueMemberBenefits(env, now, new Map(), LONG())]);
    const packs = await env.DB.prepare("SELECT buyer_id, count(*) AS n FROM orders WHERE tenant_id = ? AND product_id = ? GROUP BY buyer_id").bind(tenant.id, pack).all<{ n: number }>();
    expect(packs.results).toHaveLength(25);
    expect(packs.results.every((r) => r.n === 1)).toBe(true);
    expect(await countRows("SELECT count(*) AS n FROM member_benefits WHERE tenant_id = ? AND kind = 'checked' AND period = ?", tenant.id, period)).toBe(225);
    expect(await countRows("SELECT count(*) AS n FROM members WHERE tenant_id = ? AND benefits_period = ?", tenant.id, period)).toBe(225);

    // Again this month: nothing more; next month: each gold member's second pack.
    await issueMemberBenefits(env, now, new Map(), LONG());
    expect(await countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND product_id = ?", tenant.id, pack)).toBe(25);
    await issueMemberBenefits(env, new Date(now.getTime() + 32 * DAY), new Map(), LONG());
    expect(await countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND product_id = ?", tenant.id, pack)).toBe(50);
  });

  it("the yearly review reaches every due member past the first page: grace once, then down after the grace period", async () => {
    const { tenant, adminKey } = await createTenant();
    const silver = await tier(adminKey, { name: "银卡", rank: 0, growthThreshold: 0 });
    const gold = await tier(adminKey, { name: "金卡", rank: 1, growthThreshold: 100 });
    await api("/members/growth-rules", { method: "PUT", token: adminKey, json: { graceDays: 30 } });
    const p = `mr${Date.now().toString(36)}`;
    const now = new Date();
    await members(tenant.id, p, 205, gold);
    const due = await env.DB.prepare("SELECT joined_at, review_due_at FROM members WHERE id = ?").bind(`${p}_0`).first<{ joined_at: string; review_due_at: string }>();
    expect(Math.abs(Date.parse(due!.review_due_at) - Date.parse(due!.joined_at) - 365 * DAY)).toBeLessThan(1000);
    await runYearlyReviews(env, now, new Map(), LONG());
    expect(await countRows("SELECT count(*) AS n FROM member_reviews WHERE tenant_id = ?", tenant.id)).toBe(0);

    // Joined 400 days ago (the trigger moves the due date with joined_at): all 205 due.
    await env.DB.prepare("UPDATE members SET joined_at = ? WHERE tenant_id = ?").bind(new Date(now.getTime() - 400 * DAY).toISOString(), tenant.id).run();
    await Promise.all([runYearlyReviews(env, now, new Map(), LONG()), runYearlyReviews(env, now, new Map(), LONG())]);
    await runYearlyReviews(env, new Date(now.getTime() + 10 * DAY), new Map(), LONG());
    expect(await countRows("SELECT count(*) AS n FROM member_reviews WHERE tenant_id = ? AND state = 'grace' AND cycle = 1", tenant.id)).toBe(205);
    expect(await countRows("SELECT count(*) AS n FROM member_history WHERE tenant_id = ? AND kind = 'tier_grace'", tenant.id)).toBe(205);

    await runYearlyReviews(env, new Date(now.getTime() + 31 * DAY), new Map(), LONG());
    await runYearlyReviews(env, new Date(now.getTime() + 32 * DAY), new Map(), LONG());
    expect(await countRows("SELECT count(*) AS n FROM members WHERE tenant_id = ? AND tier_id = ?", tenant.id, silver)).toBe(205);
    expect(await countRows("SELECT count(*) AS n FROM member_history WHERE tenant_id = ? AND kind = 'tier_changed'", tenant.id)).toBe(205);
    // Next due: the second anniversary.
    const next = await env.DB.prepare("SELECT joined_at, review_due_at FROM members WHERE id = ?").bind(`${p}_0`).first<{ joined_at: string; review_due_at: string }>();
    expect(Math.abs(Date.parse(next!.review_due_at) - Date.parse(next!.joined_at) - 730 * DAY)).toBeLessThan(1000);
    expect(gold).not.toBe(silver);
  });
});

describe("membership cron: a benefit is not a purchase", { timeout: 180_000 }, () => {
  it("this month's pack and the birthday gift reach a member who already bought the product's per-buyer limit, once per period; a purchase is still held to it", async () => {
    const { tenant, adminKey } = await createTenant();
    const pack = await coupon(adminKey, "月度券包");
    const gift = await coupon(adminKey, "生日礼");
    for (const id of [pack, gift]) {
      expect((await api(`/products/${id}`, { method: "PATCH", token: adminKey, json: { perUserLimit: 1 } })).status).toBe(200);
      expect((await api(`/products/${id}/status`, { method: "POST", token: adminKey, json: { status: "published" } })).status).toBe(200);
    }
    const gold = await tier(adminKey, { name: "金卡", rank: 0, growthThreshold: 0, privileges: { monthlyCouponProductIds: [pack], birthdayGiftProductIds: [gift] } });
    const p = `ml${Date.now().toString(36)}`;
    await members(tenant.id, p, 1, gold);
    const now = new Date();
    const buyerId = `byr_${p}_0`;
    await env.DB.prepare("UPDATE members SET birthday = ? WHERE tenant_id = ?").bind(now.toISOString().slice(5, 10), tenant.id).run();
    const buy = (productId: string) => createOrder(env, { tenantId: tenant.id, buyerId, productId, idempotencyKey: crypto.randomUUID() });
    for (const id of [pack, gift]) await buy(id);
    const held = (productId: string) => countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND buyer_id = ? AND product_id = ? AND status IN ('created', 'paid', 'delivered')", tenant.id, buyerId, productId);

    await issueMemberBenefits(env, now, new Map(), LONG());
    await issueMemberBenefits(env, now, new Map(), LONG());
    expect([await held(pack), await held(gift)]).toEqual([2, 2]);
    const given = await env.DB.prepare("SELECT kind, order_ids FROM member_benefits WHERE tenant_id = ? AND kind != 'checked' ORDER BY kind").bind(tenant.id).all<{ kind: string; order_ids: string }>();
    expect(given.results.map((b) => [b.kind, JSON.parse(b.order_ids).length])).toEqual([["birthday_gift", 1], ["monthly_pack", 1]]);

    // Next month: the next pack (the birthday gift is yearly).
    await issueMemberBenefits(env, new Date(now.getTime() + 32 * DAY), new Map(), LONG());
    expect([await held(pack), await held(gift)]).toEqual([3, 2]);
    await expect(buy(pack)).rejects.toMatchObject({ code: "purchase_limit" });
  });
});

describe("membership cron: an item that cannot be issued is owed, not lost", { timeout: 180_000 }, () => {
  it("a sold-out pack item: the rest goes out, the brand is alerted once, and after restocking the next run issues it exactly once", async () => {
    const { tenant, adminKey } = await createTenant();
    const ok = await coupon(adminKey, "月度券包 A");
    const scarce = await coupon(adminKey, "月度券包 B");
    const stock = async (n: number) => expect((await api(`/products/${scarce}`, { method: "PATCH", token: adminKey, json: { stockTotal: n } })).status).toBe(200);
    await stock(0);
    const gold = await tier(adminKey, { name: "金卡", rank: 0, growthThreshold: 0, privileges: { monthlyCouponProductIds: [ok, scarce] } });
    const p = `mo${Date.now().toString(36)}`;
    await members(tenant.id, p, 1, gold);
    const buyerId = `byr_${p}_0`;
    const now = new Date();
    const at = (min: number) => new Date(now.getTime() + min * 60_000);
    const held = (productId: string) => countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND buyer_id = ? AND product_id = ? AND status IN ('created', 'paid', 'delivered')", tenant.id, buyerId, productId);
    const given = async () => JSON.parse((await env.DB.prepare("SELECT order_ids FROM member_benefits WHERE tenant_id = ? AND kind = 'monthly_pack'").bind(tenant.id).first<{ order_ids: string }>())!.order_ids) as string[];
    const alerts = async () => (await recordedOfType(tenant.id, "alert")).filter((e) => e.payload.kind === "member_benefit_unissued");

    await issueMemberBenefits(env, now, new Map(), LONG());
    await issueMemberBenefits(env, at(2), new Map(), LONG());
    await issueMemberBenefits(env, at(4), new Map(), LONG());
    expect([await held(ok), await held(scarce)]).toEqual([1, 0]);
    // The first try wrote one order and cancelled it (sold out); the retries read the empty product and wrote none.
    const written = () => countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND product_id = ?", tenant.id, scarce);
    expect(await written()).toBe(1);
    expect(await given()).toHaveLength(1);
    const raised = await alerts();
    expect(raised).toHaveLength(1);
    expect(raised[0]!.payload).toMatchObject({ productId: scarce, memberId: `${p}_0`, benefit: "monthly_pack", period: now.toISOString().slice(0, 7), reason: "sold_out" });

    await stock(5);
    await issueMemberBenefits(env, at(6), new Map(), LONG());
    expect([await held(ok), await held(scarce)]).toEqual([1, 1]);
    expect(await given()).toHaveLength(2);
    await issueMemberBenefits(env, at(8), new Map(), LONG());
    await issueMemberBenefits(env, at(10), new Map(), LONG());
    expect([await held(ok), await held(scarce)]).toEqual([1, 1]);
    expect(await given()).toHaveLength(2);
    expect(await countRows("SELECT count(*) AS n FROM member_benefits_owed WHERE tenant_id = ?", tenant.id)).toBe(0);
    expect(await alerts()).toHaveLength(1);
  });

  it("an item still owed when its period ends is kept as the record with one second alert, and never issued after", async () => {
    const { tenant, adminKey } = await createTenant();
    const scarce = await coupon(adminKey, "月度券包 C");
    const stock = async (n: number) => expect((await api(`/products/${scarce}`, { method: "PATCH", token: adminKey, json: { stockTotal: n } })).status).toBe(200);
    await stock(0);
    const gold = await tier(adminKey, { name: "金卡", rank: 0, growthThreshold: 0, privileges: { monthlyCouponProductIds: [scarce] } });
    const p = `ml${Date.now().toString(36)}`;
    await members(tenant.id, p, 1, gold);
    const now = new Date();
    const period = now.toISOString().slice(0, 7);
    const alerts = async (kind: string) => (await recordedOfType(tenant.id, "alert")).filter((e) => e.payload.kind === kind && e.payload.period === period);
    await issueMemberBenefits(env, now, new Map(), LONG());
    expect(await alerts("member_benefit_unissued")).toHaveLength(1);
    expect(await alerts("member_benefit_lapsed")).toHaveLength(0);

    // Past the period's end (two cron runs at once, then one more): one alert, the row kept out of the due range.
    const later = new Date(now.getTime() + 40 * 86_400_000);
    await Promise.all([retryOwedItems(env, later), retryOwedItems(env, later)]);
    await retryOwedItems(env, new Date(later.getTime() + 60_000));
    const lapsed = await alerts("member_benefit_lapsed");
    expect(lapsed).toHaveLength(1);
    expect(lapsed[0]!.payload).toMatchObject({ productId: scarce, memberId: `${p}_0`, benefit: "monthly_pack", period, reason: "sold_out" });
    const row = await env.DB.prepare("SELECT next_at FROM member_benefits_owed WHERE tenant_id = ? AND period = ?").bind(tenant.id, period).first<{ next_at: string }>();
    expect(row!.next_at.startsWith("9999")).toBe(true);

    // A restock after the period's end issues nothing for it.
    await stock(5);
    await retryOwedItems(env, new Date(later.getTime() + 120_000));
    expect(await countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND product_id = ? AND status IN ('created', 'paid', 'delivered')", tenant.id, scarce)).toBe(0);
    expect(EventEnvelope.safeParse(lapsed[0]).error?.issues ?? []).toEqual([]);
  });
});
