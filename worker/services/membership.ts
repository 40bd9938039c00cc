/**
 * Membership (issue 17): joining a brand, tiers and growth rules, growth earned exactly once per source with an
 * upgrade at once, the member card, member prices and member-only products, the operator's member search.
 */
import { GROWTH_ACTIONS, GrowthRules, TierPrivileges, type GrowthAction, type MemberCard, type Tier } from "../../schema/members";
import type { z } from "@hono/zod-openapi";
import type { TierInput, PaidCardPlanInput } from "../../schema/members";
import { newId } from "../domain/crypto";
import { cardNumber, effectiveTier, memberPrice, progressToNext, NO_PRIVILEGES } from "../domain/tiers";
import {
  deleteUnusedTier, growthRowExists, growthRulesStmt, growthStmts, historyExists, historyOf, insertMemberStmt, insertTier, listTierRows,
  memberByBuyerStmt, memberInserted, paidCardPlanStmt, refundDowngradeStmts, paidTermRefundStmts, paidCardPlansStmt, paidCardStmts, paidTermOf, putGrowthRules, putPaidCardPlan,
searchMembers, setTagsStmt, tiersStmt, updateTier, historyStmt, type Frag, type GrowthRulesRow, type PaidCardPlanRow,
  type TierRow, lotteryBonusOf, memberOfBuyer, orderGrowthOf, actionGrowthOf, nonMemberMayOrder, setBirthdayOfBuyer, setCityOfBuyer, tenantHasLotteryBonus,
} from "../db/membership";
import { getBuyer } from "../db/buyers";
import { memberById, type MemberRow } from "../db/members";
import type { SqlGuard } from "../db/statements";
import { ApiError } from "../errors";
import { HOT_CACHE_MS, tenantCache } from "./tenant-cache";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { getProductRow, productRowStmt, type ProductRow } from "../db/products";

export const toTier = (r: TierRow): Tier => ({
  id: r.id, name: r.name, rank: r.rank, growthThreshold: r.growth_threshold, privileges: TierPrivileges.parse(JSON.parse(r.privileges)),
});

export async function listTiers(env: Pick<Env, "DB">, tenantId: string): Promise<Tier[]> {
  return (await listTierRows(env.DB, tenantId)).map(toTier);
}

async function assertProductsExist(env: Pick<Env, "DB">, tenantId: string, ids: Record<string, string[]>) {
  for (const [field, list] of Object.entries(ids)) {
    for (const [i, id] of list.entries()) {
      if (!(await getProductRow(env.DB, tenantId, id))) {
        throw ApiError.badRequest("unknown_product", `No product ${id}`, [{ path: `json.${field}.${i}`, message: "no such product", code: "unknown_product" }]);
      }
    }
  }
}

const privilegeProducts = (p: TierPrivileges, at = "privileges") => ({
  [`${at}.monthlyCouponProductIds`]: p.monthlyCouponProductIds,
  [`${at}.memberOnlyProductIds`]: p.memberOnlyProductIds,
  [`${at}.birthdayGiftProductIds`]: p.birthdayGiftProductIds,
});

export async function saveTier(env: Pick<Env, "DB">, tenantId: string, input: z.output<typeof TierInput>, id?: string): Promise<Tier> {
  await assertProductsExist(env, tenantId, privilegeProducts(input.privileges));
  const row = { id: id ?? newId("tier"), tenant_id: tenantId, name: input.name, rank: input.rank, growth_threshold: input.growthThreshold, privileges: JSON.stringify(input.privileges) };
  const saved = id ? await updateTier(env.DB, row) : await insertTier(env.DB, row);
  bonusTiers.invalidate(tenantId);
  if (!saved) {
    if (id && !(await listTierRows(env.DB, tenantId)).some((t) => t.id === id)) throw ApiError.notFound("Tier");
    throw ApiError.conflict("rank_taken", `Another tier already has rank ${input.rank}`);
  }
  return toTier(saved);
}

export async function removeTier(env: Pick<Env, "DB">, tenantId: string, id: string) {
  if (!(await listTierRows(env.DB, tenantId)).some((t) => t.id === id)) throw ApiError.notFound("Tier");
  bonusTiers.invalidate(tenantId);
  if (!(await deleteUnusedTier(env.DB, tenantId, id))) throw ApiError.conflict("tier_in_use", "Members hold this tier (or a paid card grants it)");
}

// Only the actions that earn are shown (rules saved before the action list was fixed may name others).
const actionsOf = (json: string): GrowthRules["actions"] => {
  const saved = JSON.parse(json) as Record<string, number>;
  return Object.fromEntries(GROWTH_ACTIONS.filter((k) => typeof saved[k] === "number").map((k) => [k, saved[k]]));
};

const rulesOf = (r: GrowthRulesRow | null): GrowthRules =>
  r ? { perYuan: r.per_yuan, actions: actionsOf(r.actions), graceDays: r.grace_days } : GrowthRules.parse({});

export async function getGrowthRules(env: Pick<Env, "DB">, tenantId: string): Promise<GrowthRules> {
  return rulesOf(await growthRulesStmt(env.DB, tenantId).first<GrowthRulesRow>());
}

export async function saveGrowthRules(env: Pick<Env, "DB">, tenantId: string, rules: GrowthRules): Promise<GrowthRules> {
  await putGrowthRules(env.DB, tenantId, rules.perYuan, JSON.stringify(rules.actions), rules.graceDays);
  return getGrowthRules(env, tenantId);
}

/**
 * Growth for one member action (check-in, store redemption) at the brand's rate for it (growth rules `actions`), as
 * statements for the action's own batch: read in SQL there, written only while `guard` holds, once per member and
 * (kind, sourceId) — a retried or raced action adds nothing. No rate for the action, or not a member: nothing.
 */
export function actionGrowthStmts(
  env: Pick<Env, "DB">, tenantId: string, who: { memberId: string } | { buyerId: string }, kind: GrowthAction, sourceId: string, guard?: SqlGuard,
): D1PreparedStatement[] {
  const member = "memberId" in who ? { sql: "SELECT ?", args: [who.memberId] } : memberOfBuyer(tenantId, who.buyerId);
  return growthChangeStmts(env, tenantId, member, actionGrowthOf(tenantId, kind), kind, sourceId, guard);
}

/**
 * Growth for one source (a redemption, a check-in, a task…), as statements for the caller's batch: earned once per
 * member and source (a repeat changes nothing and records nothing), member_growth_earned with it, and an upgrade at
 * once (history row + member_tier_changed direction up) when the new growth reaches a better tier.
 */
export function earnGrowthStmts(env: Pick<Env, "DB">, tenantId: string, memberId: string, growth: number, sourceKind: string, sourceId: string, guard?: SqlGuard): D1PreparedStatement[] {
  return growthChangeStmts(env, tenantId, { sql: "SELECT ?", args: [memberId] }, { sql: "SELECT ?", args: [Math.trunc(growth)] }, sourceKind, sourceId, guard);
}

function growthChangeStmts(env: Pick<Env, "DB">, tenantId: string, member: Frag, growth: Frag, sourceKind: string, sourceId: string, guard?: SqlGuard, id = newId("mg")) {
  const historyId = newId("mh");
  const ofRow = (expr: string) => ({ sql: `SELECT ${expr} FROM member_growth WHERE id = ?`, args: [id] });
  const ofHistory = (path: string) => ({ sql: `SELECT json_extract(detail, '${path}') FROM member_history WHERE id = ?`, args: [historyId] });
  return [
    ...growthStmts(env.DB, { id, historyId, tenantId, member, growth, sourceKind, sourceId, guard }),
    ...eventRows(env, [{ eventId: `ev${id}`, tenantId, type: "member_growth_earned", payload: { memberId: "", growth: 0, sourceKind, sourceId } }], growthRowExists(id), [
      { path: "$.payload.memberId", ...ofRow("member_id") },
      { path: "$.payload.growth", ...ofRow("growth") },
      { path: "$.actor.userId", sql: "SELECT buyer_id FROM members WHERE id = (SELECT member_id FROM member_growth WHERE id = ?)", args: [id] },
    ]),
    ...eventRows(env, [{ eventId: `ev${historyId}`, tenantId, type: "member_tier_changed", payload: { memberId: "", direction: "up", reason: "growth" } }], historyExists(historyId), [
      { path: "$.payload.memberId", sql: "SELECT member_id FROM member_history WHERE id = ?", args: [historyId] },
      { path: "$.payload.fromTierId", ...ofHistory("$.fromTierId") },
      { path: "$.payload.toTierId", ...ofHistory("$.toTierId") },
      { path: "$.payload.toRank", ...ofHistory("$.toRank") },
      { path: "$.actor.userId", sql: "SELECT buyer_id FROM members WHERE id = (SELECT member_id FROM member_history WHERE id = ?)", args: [historyId] },
    ]),
  ];
}

/**
 * For the batch that marks an order paid (guard: paid by this very notice): growth for the part paid through the
 * gateway when the buyer is a member (rate: the brand's growth rules, 1 per yuan by default; a stored-value part
 * earned on its load), and a paid card's term when the product is one (paid_card_changed purchased/renewed). Order
 * ids name the source, so each order counts once.
 */
export function orderPaidMemberStmts(env: Pick<Env, "DB">, order: { tenant_id: string; id: string; buyer_id: string; product_id: string }, guard: SqlGuard): D1PreparedStatement[] {
  const t = order.tenant_id;
  const member = memberOfBuyer(t, order.buyer_id);
  const growth = orderGrowthOf(t, order.id);
  const term = (f: string) => paidTermOf(order.id, f);
  const termAdded = { sql: "changes() = 1 AND EXISTS (SELECT 1 FROM paid_card_terms WHERE order_id = ?)", args: [order.id] };
  return [
    ...growthChangeStmts(env, t, member, growth, "order", order.id, guard),
    ...paidCardStmts(env.DB, t, order.id, order.buyer_id, order.product_id, guard),
    ...eventRows(env, [{ eventId: `evpcc_${order.id}`, tenantId: t, type: "paid_card_changed", actor: { userId: order.buyer_id }, payload: { memberId: "", cardId: order.product_id, orderId: order.id, kind: "purchased" } }], termAdded, [
      { path: "$.payload.memberId", ...term("member_id") },
      { path: "$.payload.kind", ...term("kind") },
      { path: "$.payload.tierId", ...term("tier_id") },
      { path: "$.payload.validUntil", ...term("valid_until") },
    ]),
  ];
}

/**
 * For the batch that marks an order refunded: the growth it earned is taken back (once: source order_refund), with
 * a tier that growth bought (refundDowngradeStmts: history + member_tier_changed direction down, reason
 * order_refunded), and a paid card's term it bought is taken back (once: the term moves to kind 'refunded'): the
 * member's paid_until goes back by the plan's months (into the past when it was the only term: the card stops at
 * once) and a gift pack not issued yet will not be.
 */
export function orderRefundMemberStmts(env: Pick<Env, "DB">, tenantId: string, orderId: string, guard: SqlGuard): D1PreparedStatement[] {
  return [
    ...takeBackGrowthStmts(env, tenantId, { kind: "order", id: orderId }, orderId, "order_refund", guard),
    ...paidTermRefundStmts(env.DB, tenantId, orderId, guard),
  ];
}

/**
 * The growth one source earned, taken back for the refund of order `orderId` (once: the negative row is keyed by the
 * member, `takenKind` and the source's id), with a tier it bought (never below the tier held before that order) and
 * member_tier_changed direction down. `memberId` narrows a source whose id several members share (a one-off task's
 * `<task>:once`).
 */
export function takeBackGrowthStmts(
  env: Pick<Env, "DB">, tenantId: string, earned: { kind: string; id: string; memberId?: string }, orderId: string, takenKind: string, guard: SqlGuard,
  reason = "order_refunded",
): D1PreparedStatement[] {
  const ofMember = earned.memberId ? { sql: " AND member_id = ?", args: [earned.memberId] } : { sql: "", args: [] };
  const of = (expr: string) => ({ sql: `SELECT ${expr} FROM member_growth WHERE tenant_id = ? AND source_kind = ? AND source_id = ?${ofMember.sql}`, args: [tenantId, earned.kind, earned.id, ...ofMember.args] });
  const refundGrowthId = newId("mg");
  const historyId = newId("mh");
  const ofHistory = (path: string) => ({ sql: `SELECT json_extract(detail, '${path}') FROM member_history WHERE id = ?`, args: [historyId] });
  return [
    ...growthChangeStmts(env, tenantId, of("member_id"), of("-growth"), takenKind, earned.id, guard, refundGrowthId),
    ...refundDowngradeStmts(env.DB, { historyId, tenantId, refundGrowthId, since: [{ kind: "order", id: orderId }, earned], takenKind, takenId: earned.id, reason }),
    ...eventRows(env, [{ eventId: `ev${historyId}`, tenantId, type: "member_tier_changed", payload: { memberId: "", direction: "down", reason } }], historyExists(historyId), [
      { path: "$.payload.memberId", sql: "SELECT member_id FROM member_history WHERE id = ?", args: [historyId] },
      { path: "$.payload.fromTierId", ...ofHistory("$.fromTierId") },
      { path: "$.payload.toTierId", ...ofHistory("$.toTierId") },
      { path: "$.payload.fromRank", ...ofHistory("$.fromRank") },
      { path: "$.payload.toRank", ...ofHistory("$.toRank") },
      { path: "$.actor.userId", sql: "SELECT buyer_id FROM members WHERE id = (SELECT member_id FROM member_history WHERE id = ?)", args: [historyId] },
    ]),
  ];
}

/**
 * Joins the buyer to the brand's membership: once per buyer (a repeat, or a join racing this one, answers the same
 * member). member_joined and the history row are recorded only by the insert that won.
 */
export async function joinMember(env: Env, tenantId: string, buyerId: string, via: string): Promise<MemberRow> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const id = newId("mbr");
    const won = memberInserted(tenantId, id);
    const results = await env.DB.batch([
      insertMemberStmt(env.DB, { id, tenantId, buyerId, cardNo: cardNumber(), via }),
      historyStmt(env.DB, { id: newId("mh"), tenantId, memberId: { sql: "SELECT ?", args: [id] }, kind: "joined", detail: { sql: "SELECT json_object('via', ?)", args: [via] } }, won),
      ...eventRows(env, [{ eventId: `evmj_${id}`, tenantId, type: "member_joined", actor: { userId: buyerId }, payload: { memberId: id, tierId: null, via } }], won, [
        { path: "$.payload.tierId", sql: "SELECT tier_id FROM members WHERE id = ?", args: [id] },
      ]),
      memberByBuyerStmt(env.DB, tenantId, buyerId),
    ]);
    const row = results[results.length - 1]!.results[0] as MemberRow | undefined;
    if (row) {
      if (row.id === id) await scheduleDispatch(env);
      return row;
    }
    // Neither this insert nor an earlier one: the card number clashed; draw another.
  }
  throw new ApiError(503, "card_number_unavailable", "Could not allot a card number; try again");
}

const parseJson = <T>(s: string | null, fallback: T): T => {
  try {
    return s ? (JSON.parse(s) as T) : fallback;
  } catch {
    return fallback;
  }
};

/** The card as the member sees it (storefront, widget): tier in force, progress, privileges, history. */
export async function memberCard(env: Pick<Env, "DB">, tenantId: string, member: MemberRow, now = new Date()): Promise<MemberCard> {
  const [tiers, history] = await Promise.all([listTiers(env, tenantId), historyOf(env.DB, tenantId, member.id)]);
  const tier = effectiveTier(tiers, member.tier_id, member.paid_tier_id, member.paid_until, now);
  const earned = tiers.find((t) => t.id === member.tier_id) ?? null;
  const paidValid = member.paid_tier_id && member.paid_until && Date.parse(member.paid_until) > now.getTime();
  return {
    memberId: member.id, cardNo: member.card_no, joinedAt: member.joined_at, joinedVia: member.joined_via, growth: member.growth,
    pointsBalance: member.points_balance, tier, earnedTierId: member.tier_id,
    paidCard: paidValid ? { tierId: member.paid_tier_id!, validUntil: member.paid_until! } : null,
    tierReviewAt: earned && earned.growthThreshold > 0 ? (member.review_due_at ?? null) : null,
    nextTier: progressToNext(tiers, earned, member.growth, tier),
    privileges: tier?.privileges ?? NO_PRIVILEGES, birthday: member.birthday, city: member.city ?? null, tags: parseJson<string[]>(member.tags, []),
    history: history.map((h) => ({ id: h.id, kind: h.kind, detail: parseJson(h.detail, {}), at: h.created_at })),
  };
}

export async function memberCardOfBuyer(env: Pick<Env, "DB">, tenantId: string, buyerId: string) {
  const row = await memberByBuyerStmt(env.DB, tenantId, buyerId).first<MemberRow>();
  return row ? memberCard(env, tenantId, row) : null;
}

/**
 * A storefront order's member terms, read in one round trip: a product some tier reserves (member-only) or that is
 * a paid membership card is refused to buyers outside (403 members_only / not_a_member); a member's tier in force
 * gives its percent off as the unit price.
 */
export async function shopMemberTerms(env: Pick<Env, "DB">, tenantId: string, buyerId: string | null, productId: string, now = new Date()) {
  return (await shopMemberTermsWith(env, tenantId, buyerId, productId, [], now)).terms;
}

/**
 * shopMemberTerms with an order's own reads in the same round trip (`orderReads`: services/orders.ts orderReadStmts,
 * whose first is the product's row, read once for both); `orderReads` in the answer are their results.
 */
export async function shopMemberTermsWith(env: Pick<Env, "DB">, tenantId: string, buyerId: string | null, productId: string, orderReads: D1PreparedStatement[], now = new Date()) {
  const db = env.DB;
  const all = await db.batch([
    tiersStmt(db, tenantId), paidCardPlanStmt(db, tenantId, productId), memberByBuyerStmt(db, tenantId, buyerId ?? ""),
    ...(orderReads.length ? orderReads : [productRowStmt(db, tenantId, productId)]),
  ]);
  return { terms: memberTermsOf(all, productId, now), orderReads: all.slice(3) };
}

function memberTermsOf([tr, pr, mr, prodr]: D1Result[], productId: string, now: Date) {
  const listCents = (prodr!.results[0] as ProductRow | undefined)?.price_cents ?? 0;
  const tiers = (tr!.results as TierRow[]).map(toTier);
  const member = (mr?.results[0] as MemberRow | undefined) ?? null;
  const reservedBy = reservingTiers(tiers, productId);
  if (!member) {
    refuseNonMember(reservedBy, pr!.results);
    return null;
  }
  const tier = effectiveTier(tiers, member.tier_id, member.paid_tier_id, member.paid_until, now);
  if (reservedBy.length && !reservedBy.some((t) => t.id === tier?.id)) {
    throw new ApiError(403, "members_only", `This product is for members of ${reservedBy.map((t) => t.name).join(" / ")}`);
  }
  const percentOff = tier?.privileges.percentOff ?? 0;
  if (!tier || !percentOff) return null;
  return { memberId: member.id, tierId: tier.id, percentOff, listUnitCents: listCents, unitPriceCents: memberPrice(listCents, percentOff) };
}

const reservingTiers = (tiers: Tier[], productId: string) => tiers.filter((t) => t.privileges.memberOnlyProductIds.includes(productId));

/** A buyer with no membership may not order a product a tier reserves for members, nor a paid card (403). */
function refuseNonMember(reservedBy: Tier[], plans: unknown[]) {
  if (reservedBy.length || plans.length) {
    throw new ApiError(403, reservedBy.length ? "members_only" : "not_a_member", "This product is for members; join the brand's membership first");
  }
}

/**
 * shopMemberTerms for a new guest (never a member), to join the order's own first batch (services/orders.ts): its
 * reads, the check on their results, and a guard that keeps the guest row out of an order the check refuses.
 */
export function newGuestTerms(db: D1Database, tenantId: string, productId: string) {
  return {
    reads: [tiersStmt(db, tenantId), paidCardPlanStmt(db, tenantId, productId)],
    guard: nonMemberMayOrder(tenantId, productId),
    check: ([tr, pr]: D1Result[]) => refuseNonMember(reservingTiers((tr!.results as TierRow[]).map(toTier), productId), pr!.results),
  };
}

// Operator.
export async function findMembers(env: Pick<Env, "DB">, tenantId: string, q: { q?: string; tierId?: string; tag?: string; limit: number }) {
  return (await searchMembers(env.DB, tenantId, q)).map((m) => ({
    memberId: m.id, buyerId: m.buyer_id, cardNo: m.card_no, maskedPhone: m.phone_masked, tierId: m.tier_id_in_force, tierName: m.tier_name, earnedTierId: m.tier_id, growth: m.growth,
    pointsBalance: m.points_balance, tags: parseJson<string[]>(m.tags, []), joinedAt: m.joined_at, paidUntil: m.paid_until,
  }));
}

export async function memberForOperator(env: Pick<Env, "DB">, tenantId: string, memberId: string) {
  const row = await memberById(env.DB, tenantId, memberId);
  if (!row) throw ApiError.notFound("Member");
  return memberCard(env, tenantId, row);
}

export async function setMemberTags(env: Env, tenantId: string, memberId: string, tags: string[], apiKeyId: string) {
  const unique = [...new Set(tags)];
  const [r] = await env.DB.batch([
    setTagsStmt(env.DB, tenantId, memberId, JSON.stringify(unique)),
    historyStmt(env.DB, { id: newId("mh"), tenantId, memberId: { sql: "SELECT ?", args: [memberId] }, kind: "tags_set", detail: { sql: "SELECT json_object('tags', ?, 'apiKeyId', ?)", args: [unique.join(","), apiKeyId] } }, memberInserted(tenantId, memberId)),
  ]);
  if (!r!.results.length) throw ApiError.notFound("Member");
  return memberForOperator(env, tenantId, memberId);
}

// Paid membership card plans.
const toPlan = (r: PaidCardPlanRow) => ({
  productId: r.product_id, tierId: r.tier_id, months: r.months, giftProductIds: JSON.parse(r.gift_product_ids) as string[], monthlyProductIds: JSON.parse(r.monthly_product_ids) as string[],
});

export async function savePaidCardPlan(env: Pick<Env, "DB">, tenantId: string, productId: string, input: z.output<typeof PaidCardPlanInput>) {
  if (!(await getProductRow(env.DB, tenantId, productId))) throw ApiError.notFound("Product");
  if (!(await listTierRows(env.DB, tenantId)).some((t) => t.id === input.tierId)) {
    throw ApiError.badRequest("unknown_tier", "No such tier", [{ path: "json.tierId", message: "no such tier", code: "unknown_tier" }]);
  }
  await assertProductsExist(env, tenantId, { giftProductIds: input.giftProductIds, monthlyProductIds: input.monthlyProductIds });
  const row = await putPaidCardPlan(env.DB, {
    product_id: productId, tenant_id: tenantId, tier_id: input.tierId, months: input.months,
    gift_product_ids: JSON.stringify(input.giftProductIds), monthly_product_ids: JSON.stringify(input.monthlyProductIds),
  });
  if (!row) throw ApiError.notFound("Product");
  return toPlan(row);
}

export async function listPaidCardPlans(env: Pick<Env, "DB">, tenantId: string) {
  return (await paidCardPlansStmt(env.DB, tenantId).all<PaidCardPlanRow>()).results.map(toPlan);
}

/** How a buyer joins: a brand member token's buyer, a phone account, or a guest (whose card follows it onto a phone). */
export const joinVia = (b: { kind: string; member_id?: string | null }) => (b.member_id ? "member_token" : b.kind === "phone" ? "phone" : "guest");

/** Join (idempotent) and answer the card. */
/** Join (idempotent) as the buyer in session, and their card; 401 when the buyer is gone. */
export async function joinAndView(env: Env, tenantId: string, buyerId: string) {
  const buyer = await getBuyer(env.DB, tenantId, buyerId);
  if (!buyer) throw ApiError.unauthorized("Sign in first");
  return memberCard(env, tenantId, await joinMember(env, tenantId, buyer.id, joinVia(buyer)));
}

/** Birthday (MM-DD) only while the buyer's marketing consent stands: 403 consent_required otherwise. */
export async function setMyBirthday(env: Env, tenantId: string, buyerId: string, birthday: string, marketingConsent: boolean) {
  if (!marketingConsent) throw new ApiError(403, "consent_required", "Allow marketing messages first (PUT /shop/{tenant}/me/consents/marketing): the birthday gift is one");
  const row = await setBirthdayOfBuyer(env.DB, tenantId, buyerId, birthday);
  if (!row) throw new ApiError(403, "not_a_member", "Join the brand's membership first (POST /shop/{tenant}/member/join)");
  return memberCard(env, tenantId, row);
}

/** The member's city (member centre): city offers read it before the request's edge location. */
export async function setMyCity(env: Env, tenantId: string, buyerId: string, city: string | null) {
  const row = await setCityOfBuyer(env.DB, tenantId, buyerId, city);
  if (!row) throw new ApiError(403, "not_a_member", "Join the brand's membership first (POST /shop/{tenant}/member/join)");
  return memberCard(env, tenantId, row);
}

// Whether any tier of the tenant gives extra lottery chances: a lottery claim reads the member only when one does.
const bonusTiers = tenantCache(HOT_CACHE_MS, (env, tenantId) => tenantHasLotteryBonus(env.DB, tenantId));

/** The extra lottery chances of the buyer's tier in force (0 for non-members): the better-ranked of earned and valid paid. */
export async function memberLotteryBonus(env: Env, tenantId: string, buyerId: string): Promise<number> {
  const any = bonusTiers.peek(env, tenantId);
  if (!("value" in any ? any.value : await any)) return 0;
  return lotteryBonusOf(env.DB, tenantId, buyerId);
}
