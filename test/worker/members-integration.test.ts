import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, countRows, createTenant, insertMember, otpIn, recordedOfType } from "./helpers";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { currentConsentVersion } from "../../schema/privacy";
import { EventEnvelope } from "../../schema/events";
import { recordedEvents } from "./helpers";
import { claim, couponProductOf, liveCampaign } from "./campaign-helpers";
import { runErasures } from "../../worker/services/erasure";
import { issueMemberBenefits, lapsePaidCards, runYearlyReviews } from "../../worker/services/member-cron";

const consent = { version: currentConsentVersion("phone_sign_in"), accepted: true };
let phoneSeq = 0;
const newPhone = () => `137${String(Date.now() % 1e6).padStart(6, "0")}${(phoneSeq++ % 100).toString().padStart(2, "0")}`;

async function signIn(slug: string, cookie?: string) {
  const phone = newPhone();
  await shop(slug, "/otp", { method: "POST", json: { phone } });
  const sms = await shop(slug, `/dev/sms?phone=${phone}`);
  const code = otpIn(sms.body.messages);
  const r = await shop(slug, "/otp/verify", { method: "POST", cookie, json: { phone, code, consent } });
  expect(r.status).toBe(200);
  return { cookie: r.cookie!, buyerId: r.body.buyer.id as string };
}

const tier = (adminKey: string, body: Record<string, unknown>) => api("/members/tiers", { method: "POST", token: adminKey, json: body });
async function coupon(adminKey: string, name: string, priceCents = 0) {
  const p = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name, priceCents, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "全场", config: { coupon: { thresholdCents: 0, discountCents: 500 } } } });
  expect(p.status).toBe(201);
  return p.body.id as string;
}
/** Every membership event a batch computed fields into must still be a valid envelope (the warehouse refuses others). */
async function expectValidEvents(tenantId: string) {
  const events = (await recordedEvents(tenantId)).filter((e) => /^(member_|paid_card)/.test(e.type));
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) expect(EventEnvelope.safeParse(e).error?.issues ?? []).toEqual([]);
}
const memberOf = (tenantId: string, buyerId: string) =>
  env.DB.prepare("SELECT * FROM members WHERE tenant_id = ? AND buyer_id = ?").bind(tenantId, buyerId).first<{ id: string; growth: number; tier_id: string | null; paid_tier_id: string | null; paid_until: string | null }>();

describe("members: join, growth, tiers and privileges", { timeout: 120_000 }, () => {
  it("joins once (also when many joins race), and a guest's card follows it onto the phone account", async () => {
    const { tenant, adminKey } = await createTenant();
    const entry = await tier(adminKey, { name: "普通会员", rank: 0, growthThreshold: 0 });
    expect(entry.status).toBe(201);
    const { cookie, buyerId } = await signIn(tenant.slug);
    expect((await shop(tenant.slug, "/member", { cookie })).body.member).toBeNull();
    const joins = await Promise.all(Array.from({ length: 20 }, () => shop(tenant.slug, "/member/join", { method: "POST", cookie })));
    expect(joins.every((j) => j.status === 200)).toBe(true);
    expect(new Set(joins.map((j) => j.body.member.cardNo)).size).toBe(1);
    expect(await countRows("SELECT count(*) AS n FROM members WHERE tenant_id = ? AND buyer_id = ?", tenant.id, buyerId)).toBe(1);
    const joined = await recordedOfType(tenant.id, "member_joined");
    expect(joined).toHaveLength(1);
    expect(joined[0]!.payload).toMatchObject({ memberId: joins[0]!.body.member.memberId, tierId: entry.body.id, via: "phone" });
    const card = (await shop(tenant.slug, "/member", { cookie })).body.member;
    expect(card).toMatchObject({ cardNo: expect.stringMatching(/^\d{12}$/), tier: { name: "普通会员" }, growth: 0, history: [{ kind: "joined" }] });

    // A guest joins, then signs in: the membership moves to the phone account.
    const guest = await shop(tenant.slug, "/guest", { method: "POST" });
    const gjoin = await shop(tenant.slug, "/member/join", { method: "POST", cookie: guest.cookie });
    expect(gjoin.body.member.joinedVia).toBe("guest");
    const phone = await signIn(tenant.slug, guest.cookie);
    expect((await shop(tenant.slug, "/member", { cookie: phone.cookie })).body.member.cardNo).toBe(gjoin.body.member.cardNo);

    // Birthday only under marketing consent; withdrawing it clears the birthday.
    expect((await shop(tenant.slug, "/member/birthday", { method: "PUT", cookie, json: { birthday: "13-01" } })).body.error.issues[0].path).toBe("json.birthday");
    expect((await shop(tenant.slug, "/member/birthday", { method: "PUT", cookie, json: { birthday: "05-20" } })).body.error.code).toBe("consent_required");
    await shop(tenant.slug, "/me/consents/marketing", { method: "PUT", cookie, json: { granted: true } });
    expect((await shop(tenant.slug, "/member/birthday", { method: "PUT", cookie, json: { birthday: "05-20" } })).body.member.birthday).toBe("05-20");
    await shop(tenant.slug, "/me/consents/marketing", { method: "PUT", cookie, json: { granted: false } });
    expect((await shop(tenant.slug, "/member", { cookie })).body.member.birthday).toBeNull();

    // Erasure re-keys the member to the pseudonym (birthday and tags gone); the card and its history stay for the totals.
    await shop(tenant.slug, "/member/birthday", { method: "PUT", cookie: phone.cookie, json: { birthday: "01-01" } }); // refused: no consent
    expect((await shop(tenant.slug, "/me/erasure", { method: "POST", cookie: phone.cookie, json: { confirm: "ERASE" } })).status).toBe(202);
    expect(await runErasures(env)).toMatchObject({ scrubbed: 1 });
    const erased = await env.DB.prepare("SELECT m.buyer_id, m.birthday, b.erased_at FROM members m JOIN buyers b ON b.id = m.buyer_id WHERE m.card_no = ?").bind(gjoin.body.member.cardNo).first<{ buyer_id: string; erased_at: string | null }>();
    expect(erased!.buyer_id).not.toBe(phone.buyerId);
    expect(erased!.erased_at).not.toBeNull();
    await expectValidEvents(tenant.id);
  });

  it("growth once per paid order with an upgrade at once, reversed on refund; member price and member-only products", async () => {
    const { tenant, adminKey, productId, slug } = await shopWithKeys(6);
    const base = await tier(adminKey, { name: "银卡", rank: 0, growthThreshold: 0 });
    const gold = await tier(adminKey, { name: "金卡", rank: 1, growthThreshold: 30, privileges: { percentOff: 10, memberOnlyProductIds: [productId] } });
    expect(gold.status).toBe(201);
    expect((await tier(adminKey, { name: "dup", rank: 1, growthThreshold: 5 })).body.error.code).toBe("rank_taken");
    expect((await api("/members/growth-rules", { method: "PUT", token: adminKey, json: { perYuan: 2, graceDays: 10 } })).body).toMatchObject({ perYuan: 2, graceDays: 10 });

    // Member-only: a guest and a silver member are refused; nothing is ordered, and a new guest is not even written
    // (its sign-up would count a visitor who could not buy).
    const guestsBefore = await countRows("SELECT count(*) AS n FROM buyers WHERE tenant_id = ?", tenant.id);
    const guest = await shop(slug, "/orders", { method: "POST", idem: "guest-mo-1", json: { productId } });
    expect([guest.status, guest.body.error.code]).toEqual([403, "members_only"]);
    expect(await countRows("SELECT count(*) AS n FROM buyers WHERE tenant_id = ?", tenant.id)).toBe(guestsBefore);
    expect(await recordedOfType(tenant.id, "user_signed_up")).toEqual([]);
    const { cookie, buyerId } = await signIn(slug);
    await shop(slug, "/member/join", { method: "POST", cookie });
    expect((await shop(slug, "/orders", { method: "POST", cookie, idem: "silver-mo-1", json: { productId } })).body.error.code).toBe("members_only");

    // Lower the gold threshold meanwhile? No: earn it. An order of another product pays ¥19.90 → 39 growth → gold at once.
    const other = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "现金券", priceCents: 1990, faceValueCents: 2000, validity: { kind: "relative", days: 30 }, scope: "全场", stockTotal: 10, config: { coupon: { thresholdCents: 0, discountCents: 2000 } } } });
    await api(`/products/${other.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const o = await shop(slug, "/orders", { method: "POST", cookie, idem: "silver-buy-1", json: { productId: other.body.id } });
    expect(o.body.amountCents).toBe(1990);
    await pay(o.body.checkoutUrl);
    await pay(o.body.checkoutUrl); // a repeated notice earns nothing more
    let m = (await memberOf(tenant.id, buyerId))!;
    expect([m.growth, m.tier_id]).toEqual([39, gold.body.id]);
    const changed = await recordedOfType(tenant.id, "member_tier_changed");
    expect(changed.map((e) => e.payload)).toEqual([expect.objectContaining({ memberId: m.id, fromTierId: base.body.id, toTierId: gold.body.id, toRank: 1, direction: "up" })]);
    expect((await recordedOfType(tenant.id, "member_growth_earned")).map((e) => e.payload.growth)).toEqual([39]);

    // Gold: the member-only product at 10% off (1990 → 1791), recorded with the order.
    const gb = await shop(slug, "/orders", { method: "POST", cookie, idem: "gold-buy-1", json: { productId } });
    expect([gb.status, gb.body.unitPriceCents]).toEqual([201, 1791]);
    expect(await env.DB.prepare("SELECT percent_off, list_unit_cents FROM member_order_discounts WHERE order_id = ?").bind(gb.body.id).first()).toEqual({ percent_off: 10, list_unit_cents: 1990 });
    // The same key again: the same order at the same price (a returning buyer's earlier order is read with the member
    // terms, in one round trip), nothing placed twice.
    const again = await shop(slug, "/orders", { method: "POST", cookie, idem: "gold-buy-1", json: { productId } });
    expect([again.status, again.body.id, again.body.unitPriceCents]).toEqual([200, gb.body.id, 1791]);
    expect(await countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND buyer_id = ? AND product_id = ?", tenant.id, buyerId, productId)).toBe(1);

    // Refund of the first order takes its growth back (once), and the gold tier that growth bought with it.
    const refund = await api(`/orders/${o.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "changed mind" } });
    expect(refund.status).toBe(200);
    m = (await memberOf(tenant.id, buyerId))!;
    expect([m.growth, m.tier_id]).toEqual([0, base.body.id]);
    expect((await recordedOfType(tenant.id, "member_growth_earned")).map((e) => e.payload.growth)).toEqual([39, -39]);
    expect((await recordedOfType(tenant.id, "member_tier_changed")).map((e) => e.payload)).toEqual([
      expect.objectContaining({ direction: "up", toTierId: gold.body.id }),
      expect.objectContaining({ memberId: m.id, direction: "down", reason: "order_refunded", fromTierId: gold.body.id, toTierId: base.body.id, fromRank: 1, toRank: 0 }),
    ]);

    // Operator: search by card number, the member's history, tags.
    const card = (await shop(slug, "/member", { cookie })).body.member;
    const found = await api(`/members?q=${card.cardNo}`, { token: adminKey });
    expect(found.body.members).toEqual([expect.objectContaining({ memberId: m.id, maskedPhone: expect.stringContaining("****"), tierName: "银卡" })]);
    const tagged = await api(`/members/${m.id}/tags`, { method: "PUT", token: adminKey, json: { tags: ["vip", "vip", "北京"] } });
    expect(tagged.body.tags).toEqual(["vip", "北京"]);
    expect(tagged.body.history.map((h: any) => h.kind)).toEqual(expect.arrayContaining(["joined", "tier_changed", "tags_set"]));
    expect((await api(`/members?tag=vip`, { token: adminKey })).body.members).toHaveLength(1);
    await expectValidEvents(tenant.id);
  });

  it("a refund takes back only the tier its growth bought: a check-in upgrade that needed the order goes, a tier held before stays", async () => {
    const { tenant, adminKey, slug } = await shopWithKeys(4);
    const entry = await tier(adminKey, { name: "普通会员", rank: 0, growthThreshold: 0 });
    const silver = await tier(adminKey, { name: "银卡", rank: 1, growthThreshold: 20 });
    const gold = await tier(adminKey, { name: "金卡", rank: 2, growthThreshold: 40 });
    await api("/members/growth-rules", { method: "PUT", token: adminKey, json: { perYuan: 1, actions: { check_in: 2 } } });
    const other = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "现金券", priceCents: 1990, faceValueCents: 2000, validity: { kind: "relative", days: 30 }, scope: "全场", stockTotal: 10, config: { coupon: { thresholdCents: 0, discountCents: 2000 } } } });
    await api(`/products/${other.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const buy = async (cookie: string, idem: string) => {
      const o = await shop(slug, "/orders", { method: "POST", cookie, idem, json: { productId: other.body.id } });
      await pay(o.body.checkoutUrl);
      return o.body.id as string;
    };
    const refund = (orderId: string) => api(`/orders/${orderId}/refund`, { method: "POST", token: adminKey, json: { reason: "退款" } });

    // 19 growth from the order, then the check-in's 2 reach silver: the upgrade is the check-in's, the growth the order's.
    const a = await signIn(slug);
    await shop(slug, "/member/join", { method: "POST", cookie: a.cookie });
    const order = await buy(a.cookie, "chain-buy-1");
    expect((await memberOf(tenant.id, a.buyerId))!.tier_id).toBe(entry.body.id);
    expect((await shop(slug, "/member/check-in", { method: "POST", cookie: a.cookie })).status).toBe(200);
    expect((await memberOf(tenant.id, a.buyerId))!.tier_id).toBe(silver.body.id);
    // Refunded twice at once: back to the entry tier, once, and the card says why.
    expect((await Promise.all([refund(order), refund(order)])).map((r) => r.status)).toContain(200);
    const m = (await memberOf(tenant.id, a.buyerId))!;
    expect([m.growth, m.tier_id]).toEqual([2, entry.body.id]);
    const downs = (await recordedOfType(tenant.id, "member_tier_changed")).filter((e) => e.payload.direction === "down");
    expect(downs.map((e) => e.payload)).toEqual([expect.objectContaining({ memberId: m.id, fromTierId: silver.body.id, toTierId: entry.body.id, reason: "order_refunded" })]);
    const card = (await shop(slug, "/member", { cookie: a.cookie })).body.member;
    expect(card.tier.name).toBe("普通会员");
    expect(card.history[0]).toMatchObject({ kind: "tier_changed", detail: { direction: "down", toTierName: "普通会员", reason: "order_refunded" } });

    // A member who held gold before the order (kept by a review with little growth this year) keeps it after its refund.
    const b = await signIn(slug);
    await shop(slug, "/member/join", { method: "POST", cookie: b.cookie });
    const mb = (await memberOf(tenant.id, b.buyerId))!;
    await env.DB.batch([
      env.DB.prepare("UPDATE members SET tier_id = ?, growth = 5 WHERE id = ?").bind(gold.body.id, mb.id),
      env.DB.prepare("INSERT INTO member_history (id, tenant_id, member_id, kind, detail, created_at) VALUES ('mh_kept', ?, ?, 'tier_changed', json_object('direction', 'up', 'toTierId', ?), '2026-01-01T00:00:00.000Z')")
        .bind(tenant.id, mb.id, gold.body.id),
    ]);
    const held = await buy(b.cookie, "held-buy-1");
    expect((await refund(held)).status).toBe(200);
    expect((await memberOf(tenant.id, b.buyerId))!).toMatchObject({ growth: 5, tier_id: gold.body.id });
    expect((await recordedOfType(tenant.id, "member_tier_changed")).filter((e) => e.payload.direction === "down")).toHaveLength(1);
    await expectValidEvents(tenant.id);
  });

  it("a refund that takes growth below the lowest tier's threshold leaves no tier (a brand with no threshold-0 tier)", async () => {
    const { tenant, adminKey, slug } = await shopWithKeys(4);
    const silver = await tier(adminKey, { name: "银卡", rank: 1, growthThreshold: 10, privileges: { percentOff: 5 } });
    const other = await api("/products", { method: "POST", token: adminKey, json: { kind: "coupon", name: "现金券", priceCents: 1990, faceValueCents: 2000, validity: { kind: "relative", days: 30 }, scope: "全场", stockTotal: 10, config: { coupon: { thresholdCents: 0, discountCents: 2000 } } } });
    await api(`/products/${other.body.id}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const a = await signIn(slug);
    await shop(slug, "/member/join", { method: "POST", cookie: a.cookie });
    expect((await memberOf(tenant.id, a.buyerId))!.tier_id).toBeNull();
    const o = await shop(slug, "/orders", { method: "POST", cookie: a.cookie, idem: "below-tier-1", json: { productId: other.body.id } });
    expect((await pay(o.body.checkoutUrl)).status).toBe(200);
    expect((await memberOf(tenant.id, a.buyerId))!).toMatchObject({ growth: 19, tier_id: silver.body.id });
    // Refunded twice at once: growth 0 reaches no tier, and the member held none before the order.
    const refunds = await Promise.all([1, 2].map(() => api(`/orders/${o.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "退款" } })));
    expect(refunds.map((r) => r.status)).toContain(200);
    expect((await memberOf(tenant.id, a.buyerId))!).toMatchObject({ growth: 0, tier_id: null });
    const downs = (await recordedOfType(tenant.id, "member_tier_changed")).filter((e) => e.payload.direction === "down");
    expect(downs.map((e) => e.payload)).toEqual([expect.objectContaining({ fromTierId: silver.body.id, toTierId: null, fromRank: 1, toRank: null, reason: "order_refunded" })]);
    // The card reads so: no tier, no member price, on the way to 银卡 again.
    const card = (await shop(slug, "/member", { cookie: a.cookie })).body.member;
    expect(card).toMatchObject({ tier: null, earnedTierId: null, privileges: { percentOff: 0 }, nextTier: { id: silver.body.id, growthNeeded: 10 } });
    expect(card.history[0]).toMatchObject({ kind: "tier_changed", detail: { direction: "down", fromTierId: silver.body.id, toTierId: null, reason: "order_refunded" } });
    await expectValidEvents(tenant.id);
  });

  it("a monthly pack given is not a purchase: the member may still buy the product's per-buyer limit, and the quote says so", async () => {
    const { tenant, adminKey, slug, productId } = await shopWithKeys(4, { perUserLimit: 1 });
    await tier(adminKey, { name: "普通会员", rank: 0, growthThreshold: 0, privileges: { monthlyCouponProductIds: [productId] } });
    const a = await signIn(slug);
    await shop(slug, "/member/join", { method: "POST", cookie: a.cookie });
    await issueMemberBenefits(env, new Date());
    const given = await env.DB.prepare("SELECT status, amount_cents FROM orders WHERE tenant_id = ? AND buyer_id = ? AND source = 'member:monthly_pack'").bind(tenant.id, a.buyerId).all();
    expect(given.results).toEqual([{ status: "delivered", amount_cents: 0 }]);
    const quote = await shop(slug, "/checkout/quote", { method: "POST", cookie: a.cookie, json: { productId } });
    expect([quote.body.limitLeft, quote.body.maxQuantity]).toEqual([1, 1]);
    const bought = await shop(slug, "/orders", { method: "POST", cookie: a.cookie, idem: "pack-then-buy-1", json: { productId } });
    expect(bought.status, JSON.stringify(bought.body)).toBe(201);
    expect((await pay(bought.body.checkoutUrl)).status).toBe(200);
    // Their own purchase is what the limit counts: the next one is refused, and the quote says none is left.
    const again = await shop(slug, "/orders", { method: "POST", cookie: a.cookie, idem: "pack-then-buy-2", json: { productId } });
    expect([again.status, again.body.error?.code]).toEqual([409, "purchase_limit"]);
    expect((await shop(slug, "/checkout/quote", { method: "POST", cookie: a.cookie, json: { productId } })).body.limitLeft).toBe(0);
  });

  it("the cashier lists the member price's discount between 商品金额 and 应付, so its lines add up to the charge", async () => {
    const { adminKey, slug, productId } = await shopWithKeys(4);
    await tier(adminKey, { name: "会员", rank: 0, growthThreshold: 0, privileges: { percentOff: 10 } });
    const a = await signIn(slug);
    await shop(slug, "/member/join", { method: "POST", cookie: a.cookie });
    const o = await shop(slug, "/orders", { method: "POST", cookie: a.cookie, idem: "cashier-member-1", json: { productId, quantity: 2 } });
    expect(o.body).toMatchObject({ unitPriceCents: 1791, amountCents: 3582 });
    const html = await (await exports.default.fetch(`http://kaquan.test${o.body.checkoutUrl}`)).text();
    const rows = [...html.matchAll(/<div class="(\w+)"><dt[^>]*>([^<]*)<\/dt><dd[^>]*>([^<]*)<\/dd><\/div>/g)].map((m) => [m[2], m[3]]);
    expect(rows).toEqual([["商品金额（2 件）", "¥39.80"], ["会员价优惠（9 折）", "−¥3.98"], ["应付", "¥35.82"]]);
    // A guest pays the list price: nothing came off, so the cashier shows the amount alone.
    const guest = await shop(slug, "/orders", { method: "POST", idem: "cashier-guest-1", json: { productId } });
    expect(await (await exports.default.fetch(`http://kaquan.test${guest.body.checkoutUrl}`)).text()).not.toContain('id="summary"');
  });

  it("yearly review: grace notice first, downgrade after the grace period; monthly pack and birthday gift exactly once", async () => {
    const { tenant, adminKey } = await createTenant();
    const pack = await coupon(adminKey, "月度券包");
    const gift = await coupon(adminKey, "生日礼");
    const silver = await tier(adminKey, { name: "银卡", rank: 0, growthThreshold: 0 });
    const gold = await tier(adminKey, { name: "金卡", rank: 1, growthThreshold: 100, privileges: { monthlyCouponProductIds: [pack], birthdayGiftProductIds: [gift] } });
    await api("/members/growth-rules", { method: "PUT", token: adminKey, json: { graceDays: 30 } });
    const guest = await shop(tenant.slug, "/guest", { method: "POST" });
    const buyerId = guest.body.buyer.id as string;
    const memberId = await insertMember(tenant.id, buyerId, { growth: 150 });
    await env.DB.prepare("UPDATE members SET tier_id = ?, birthday = '03-15', joined_at = '2025-01-10T00:00:00.000Z' WHERE id = ?").bind(gold.body.id, memberId).run();
    await env.DB.prepare("INSERT INTO member_growth (id, tenant_id, member_id, growth, source_kind, source_id, created_at) VALUES ('g1', ?, ?, 150, 'order', 'o-old', '2025-01-12T00:00:00.000Z'), ('g2', ?, ?, 20, 'order', 'o-new', '2026-01-05T00:00:00.000Z')").bind(tenant.id, memberId, tenant.id, memberId).run();

    // The card says until when the tier holds: the yearly review (a year after joining), then the grace period's end.
    const reviewAt = async () => (await shop(tenant.slug, "/member", { cookie: guest.cookie })).body.member.tierReviewAt;
    expect(await reviewAt()).toBe("2026-01-10T00:00:00.000Z");
    const review = new Date("2026-01-20T00:00:00.000Z");
    await runYearlyReviews(env, review);
    await runYearlyReviews(env, review);
    expect((await memberOf(tenant.id, buyerId))!.tier_id).toBe(gold.body.id);
    const grace = (await recordedOfType(tenant.id, "member_tier_changed")).map((e) => e.payload);
    expect(grace).toEqual([expect.objectContaining({ memberId, direction: "grace", fromTierId: gold.body.id, toTierId: silver.body.id })]);
    expect(await reviewAt()).toBe("2026-02-19T00:00:00.000Z");
    await runYearlyReviews(env, new Date("2026-02-10T00:00:00.000Z")); // still within the grace period
    expect((await recordedOfType(tenant.id, "member_tier_changed"))).toHaveLength(1);
    await runYearlyReviews(env, new Date("2026-02-20T00:00:00.000Z"));
    const m = (await memberOf(tenant.id, buyerId))!;
    expect([m.tier_id, m.growth]).toEqual([silver.body.id, 20]);
    expect((await recordedOfType(tenant.id, "member_tier_changed")).map((e) => e.payload.direction)).toEqual(["grace", "down"]);
    const history = (await api(`/members/${memberId}`, { token: adminKey })).body.history.map((h: any) => h.kind);
    expect(history).toEqual(expect.arrayContaining(["tier_grace", "tier_changed"]));

    // Benefits: back to gold for the month; the cron runs twice in March (birthday month) and once in April.
    await env.DB.prepare("UPDATE members SET tier_id = ? WHERE id = ?").bind(gold.body.id, memberId).run();
    const orders = () => env.DB.prepare("SELECT product_id, status FROM orders WHERE tenant_id = ? AND buyer_id = ? ORDER BY created_at").bind(tenant.id, buyerId).all<{ product_id: string; status: string }>().then((r) => r.results);
    await Promise.all([issueMemberBenefits(env, new Date("2026-03-02T00:00:00.000Z")), issueMemberBenefits(env, new Date("2026-03-02T00:00:00.000Z"))]);
    await issueMemberBenefits(env, new Date("2026-03-09T00:00:00.000Z"));
    expect((await orders()).map((o) => o.product_id).sort()).toEqual([pack, gift].sort());
    expect((await orders()).every((o) => o.status === "delivered")).toBe(true);
    await issueMemberBenefits(env, new Date("2026-04-02T00:00:00.000Z"));
    expect((await orders()).filter((o) => o.product_id === pack)).toHaveLength(2);
    expect(await countRows("SELECT count(*) AS n FROM vouchers WHERE tenant_id = ? AND holder_id = ?", tenant.id, buyerId)).toBe(3);
    await expectValidEvents(tenant.id);
  });

  it("extra lottery chances: a gold member draws 1 + 2 times a day where others draw once", async () => {
    const { tenant, adminKey } = await createTenant();
    const gold = await tier(adminKey, { name: "金卡", rank: 1, growthThreshold: 100, privileges: { extraLotteryChances: 2 } });
    const productId = await couponProductOf(tenant.id);
    const c = await liveCampaign(adminKey, {
      kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "会员抽奖",
      prizes: [{ id: "p", name: "券", productId, stock: 100, weight: 1 }], noPrizeWeight: 99, drawsPerDay: 1, perUserLimit: 10, shards: 1,
    });
    const draws = async (userId: string) => {
      const codes: (string | number)[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await claim(c.id, userId);
        codes.push(r.status === 200 ? 200 : r.body.error.code);
      }
      return codes;
    };
    expect(await draws("plain-user")).toEqual([200, "no_chances", "no_chances", "no_chances"]);
    await claim(c.id, "gold-user").then(() => undefined); // creates the buyer row (sessionHeader)
    const memberId = await insertMember(tenant.id, "gold-user", { growth: 150 });
    await env.DB.prepare("UPDATE members SET tier_id = ? WHERE id = ?").bind(gold.body.id, memberId).run();
    expect(await draws("gold-user")).toEqual([200, 200, "no_chances", "no_chances"]);
  });

  it("paid membership card: a refunded card stops granting its tier (once); a refunded renewal takes only its months back", async () => {
    const { tenant, adminKey } = await createTenant();
    await tier(adminKey, { name: "普通", rank: 0, growthThreshold: 0 });
    const plus = await tier(adminKey, { name: "PLUS", rank: 5, growthThreshold: 1_000_000, privileges: { percentOff: 5 } });
    const cardProduct = await coupon(adminKey, "PLUS 月卡", 990);
    await api(`/products/${cardProduct}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    expect((await api(`/members/paid-cards/${cardProduct}`, { method: "PUT", token: adminKey, json: { tierId: plus.body.id, months: 1 } })).status).toBe(200);
    const { cookie, buyerId } = await signIn(tenant.slug);
    await shop(tenant.slug, "/member/join", { method: "POST", cookie });
    const buy = await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "card-refund-1", json: { productId: cardProduct } });
    await pay(buy.body.checkoutUrl);
    const renew = await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "card-refund-2", json: { productId: cardProduct } });
    await pay(renew.body.checkoutUrl);
    const twoTerms = Date.parse((await memberOf(tenant.id, buyerId))!.paid_until!);
    // The renewal is refunded (twice at once): one month comes off, once.
    const r = await Promise.all([1, 2].map(() => api(`/orders/${renew.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "退款" } })));
    expect(r.map((x) => x.status).sort()).toEqual([200, 409]);
    const oneTerm = Date.parse((await memberOf(tenant.id, buyerId))!.paid_until!);
    expect(twoTerms - oneTerm).toBeGreaterThan(27 * 86_400_000);
    expect(oneTerm).toBeGreaterThan(Date.now() + 27 * 86_400_000);
    // The first card is refunded too: no PLUS any more.
    expect((await api(`/orders/${buy.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "退款" } })).status).toBe(200);
    expect(Date.parse((await memberOf(tenant.id, buyerId))!.paid_until!)).toBeLessThanOrEqual(Date.now());
    const view = (await shop(tenant.slug, "/member", { cookie })).body.member;
    expect([view.tier.name, view.paidCard]).toEqual(["普通", null]);
  });

  it("paid membership card: a refund takes back what that purchase granted, even after the operator changed the plan's months", async () => {
    const { tenant, adminKey } = await createTenant();
    await tier(adminKey, { name: "普通", rank: 0, growthThreshold: 0 });
    const plus = await tier(adminKey, { name: "PLUS", rank: 5, growthThreshold: 1_000_000 });
    const cardProduct = await coupon(adminKey, "PLUS 卡", 990);
    await api(`/products/${cardProduct}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const plan = (months: number) => api(`/members/paid-cards/${cardProduct}`, { method: "PUT", token: adminKey, json: { tierId: plus.body.id, months } });
    expect((await plan(1)).status).toBe(200);
    const { cookie, buyerId } = await signIn(tenant.slug);
    await shop(tenant.slug, "/member/join", { method: "POST", cookie });
    const until = async () => Date.parse((await memberOf(tenant.id, buyerId))!.paid_until!);
    const buy = await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "plan-change-1", json: { productId: cardProduct } });
    await pay(buy.body.checkoutUrl);
    const oneMonth = await until();
    const renew = await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "plan-change-2", json: { productId: cardProduct } });
    await pay(renew.body.checkoutUrl);
    // The operator makes the card a yearly one; the renewal bought one month, so its refund takes back one month.
    expect((await plan(12)).status).toBe(200);
    expect((await api(`/orders/${renew.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "退款" } })).status).toBe(200);
    expect(Math.abs((await until()) - oneMonth)).toBeLessThan(1000);
    expect((await shop(tenant.slug, "/member", { cookie })).body.member.tier.name).toBe("PLUS");
    // And the other way: a card bought at 12 months, the plan cut to 1, a refund takes the whole year back.
    const year = await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "plan-change-3", json: { productId: cardProduct } });
    await pay(year.body.checkoutUrl);
    expect(await until()).toBeGreaterThan(oneMonth + 360 * 86_400_000);
    expect((await plan(1)).status).toBe(200);
    expect((await api(`/orders/${year.body.id}/refund`, { method: "POST", token: adminKey, json: { reason: "退款" } })).status).toBe(200);
    expect(Math.abs((await until()) - oneMonth)).toBeLessThan(1000);
  });

  it("paid membership card: purchase, renewal extends the term, gift pack once, lapses at the end", async () => {
    const { tenant, adminKey } = await createTenant();
    const gift = await coupon(adminKey, "开卡礼");
    const monthly = await coupon(adminKey, "付费会员月券");
    const basic = await tier(adminKey, { name: "普通", rank: 0, growthThreshold: 0 });
    const gold = await tier(adminKey, { name: "金卡", rank: 2, growthThreshold: 500 });
    const plus = await tier(adminKey, { name: "PLUS", rank: 5, growthThreshold: 1_000_000, privileges: { percentOff: 5 } });
    const cardProduct = await coupon(adminKey, "PLUS 月卡", 990);
    await api(`/products/${cardProduct}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    const plan = await api(`/members/paid-cards/${cardProduct}`, { method: "PUT", token: adminKey, json: { tierId: plus.body.id, months: 1, giftProductIds: [gift], monthlyProductIds: [monthly] } });
    expect(plan.status).toBe(200);
    expect((await api(`/members/paid-cards/${cardProduct}`, { method: "PUT", token: adminKey, json: { tierId: "nope", months: 1 } })).body.error.issues[0].path).toBe("json.tierId");

    const { cookie, buyerId } = await signIn(tenant.slug);
    expect((await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "card-nonmember", json: { productId: cardProduct } })).body.error.code).toBe("not_a_member");
    await shop(tenant.slug, "/member/join", { method: "POST", cookie });
    const buy = await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "card-buy-1", json: { productId: cardProduct } });
    await pay(buy.body.checkoutUrl);
    await pay(buy.body.checkoutUrl);
    let m = (await memberOf(tenant.id, buyerId))!;
    expect(m.paid_tier_id).toBe(plus.body.id);
    const firstUntil = Date.parse(m.paid_until!);
    expect(firstUntil).toBeGreaterThan(Date.now() + 27 * 86_400_000);
    const view = (await shop(tenant.slug, "/member", { cookie })).body.member;
    expect([view.tier.name, view.privileges.percentOff, view.paidCard.tierId]).toEqual(["PLUS", 5, plus.body.id]);
    // PLUS is the top tier in force: no "距「金卡」还差 …" toward a tier below it.
    expect(view.nextTier).toBeNull();
    // The operator's search shows the tier in force, as the member's card does, and filters on it.
    const found = async (query: string) => (await api(`/members?${query}`, { token: adminKey })).body.members.map((x: any) => [x.memberId, x.tierId, x.tierName, x.earnedTierId]);
    expect(await found(`q=${view.cardNo}`)).toEqual([[m.id, plus.body.id, "PLUS", basic.body.id]]);
    expect(await found(`tierId=${plus.body.id}`)).toEqual([[m.id, plus.body.id, "PLUS", basic.body.id]]);
    expect(await found(`tierId=${basic.body.id}`)).toEqual([]);

    // Renewal at the member price (5% off 990 = 941): the term runs on from the end of the current one.
    const renew = await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "card-buy-2", json: { productId: cardProduct } });
    expect(renew.body.amountCents).toBe(941);
    await pay(renew.body.checkoutUrl);
    m = (await memberOf(tenant.id, buyerId))!;
    expect(Date.parse(m.paid_until!) - firstUntil).toBeGreaterThan(27 * 86_400_000);
    await issueMemberBenefits(env);
    await issueMemberBenefits(env);
    const issued = await env.DB.prepare("SELECT product_id FROM orders WHERE tenant_id = ? AND buyer_id = ? AND amount_cents = 0").bind(tenant.id, buyerId).all<{ product_id: string }>();
    expect(issued.results.map((r) => r.product_id).sort()).toEqual([gift, gift, monthly].sort());

    await lapsePaidCards(env, new Date(Date.parse(m.paid_until!) - 1000));
    expect((await memberOf(tenant.id, buyerId))!.paid_tier_id).toBe(plus.body.id);
    await lapsePaidCards(env, new Date(Date.parse(m.paid_until!) + 1000));
    await lapsePaidCards(env, new Date(Date.parse(m.paid_until!) + 2000));
    expect((await memberOf(tenant.id, buyerId))!.paid_tier_id).toBeNull();
    // Lapsed: the earned tier is in force again, and the next one is 金卡.
    expect((await shop(tenant.slug, "/member", { cookie })).body.member.nextTier).toMatchObject({ id: gold.body.id, name: "金卡" });
    expect(await found(`tierId=${basic.body.id}`)).toEqual([[m.id, basic.body.id, "普通", basic.body.id]]);
    const events = (await recordedOfType(tenant.id, "paid_card_changed")).map((e) => e.payload);
    expect(events.map((e) => e.kind)).toEqual(["purchased", "renewed", "lapsed"]);
    expect(events[0]).toMatchObject({ memberId: m.id, cardId: cardProduct, orderId: buy.body.id, tierId: plus.body.id });
    await expectValidEvents(tenant.id);
  });

  it("a paid card's gift pack item sold out at purchase is owed for the term: alerted once, issued once after restocking", async () => {
    const { tenant, adminKey } = await createTenant();
    const gift = await coupon(adminKey, "开卡礼");
    await api(`/products/${gift}`, { method: "PATCH", token: adminKey, json: { stockTotal: 0 } });
    const plus = await tier(adminKey, { name: "PLUS", rank: 5, growthThreshold: 1_000_000 });
    const cardProduct = await coupon(adminKey, "PLUS 月卡", 990);
    await api(`/products/${cardProduct}/status`, { method: "POST", token: adminKey, json: { status: "published" } });
    await api(`/members/paid-cards/${cardProduct}`, { method: "PUT", token: adminKey, json: { tierId: plus.body.id, months: 1, giftProductIds: [gift] } });
    const { cookie, buyerId } = await signIn(tenant.slug);
    await shop(tenant.slug, "/member/join", { method: "POST", cookie });
    const buy = await shop(tenant.slug, "/orders", { method: "POST", cookie, idem: "card-buy", json: { productId: cardProduct } });
    await pay(buy.body.checkoutUrl);
    await issueMemberBenefits(env);
    const gifts = () => countRows("SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND buyer_id = ? AND product_id = ? AND status = 'delivered'", tenant.id, buyerId, gift);
    const alerts = async () => (await recordedOfType(tenant.id, "alert")).filter((e) => e.payload.kind === "member_benefit_unissued");
    expect(await gifts()).toBe(0);
    expect((await alerts()).map((e) => [e.payload.benefit, e.payload.period, e.payload.productId])).toEqual([["paid_gift", buy.body.id, gift]]);
    const until = (await env.DB.prepare("SELECT until FROM member_benefits_owed WHERE tenant_id = ?").bind(tenant.id).first<{ until: string }>())!.until;
    expect(until).toBe((await memberOf(tenant.id, buyerId))!.paid_until);

    await api(`/products/${gift}`, { method: "PATCH", token: adminKey, json: { stockTotal: 3 } });
    await issueMemberBenefits(env, new Date(Date.now() + 60_000));
    await issueMemberBenefits(env, new Date(Date.now() + 120_000));
    expect(await gifts()).toBe(1);
    expect(await alerts()).toHaveLength(1);
    // Owed no more: the order joined the gift pack's benefit row.
    expect(await countRows("SELECT count(*) AS n FROM member_benefits_owed WHERE tenant_id = ?", tenant.id)).toBe(0);
    const row = await env.DB.prepare("SELECT order_ids FROM member_benefits WHERE tenant_id = ? AND kind = 'paid_gift'").bind(tenant.id).first<{ order_ids: string }>();
    expect(JSON.parse(row!.order_ids)).toHaveLength(1);
    await expectValidEvents(tenant.id);
  });
});
