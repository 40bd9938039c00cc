/**
 * Membership cron work (issue 17), each step exactly once however often it runs: the yearly tier review (grace
 * notice, then downgrade), paid cards lapsing, and benefits issued as free orders (monthly coupon pack, birthday gift,
 * paid-card gift pack and monthly pack) under derived Idempotency-Keys, with a member_benefits row per period; an
 * item that could not be issued stays owed and is tried again in the period (services/member-benefit-items.ts).
 */
import type { GrowthRules, Tier } from "../../schema/members";
import { newId } from "../domain/crypto";
import { effectiveTier, inBirthdayMonth, monthKey, periodEnd, reviewStep, reviewWindowStart } from "../domain/tiers";
import {
  benefitCandidateStmt, benefitCandidates, benefitDoneStmt, benefitsCheckedStmts, benefitsOf, closeReviewStmt, giftIssuedStmts, giftsOwed, growthSince,
  historyExists, historyStmt, insertReviewStmt, lapsedPaidCards, lapseStmt, reviewCandidates, reviewDueStmt, setGrowthAndTierStmt,
  type BenefitCandidate, type GiftOwed, type ReviewCandidate, paidCardTermOfOrder } from "../db/membership";
import type { Keyset } from "../db/statements";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { issueItems, owedStmts, retryOwedItems } from "./member-benefit-items";
import { getGrowthRules, listTiers } from "./membership";

type TierCache = Map<string, Promise<Tier[]>>;
const tiersOf = (env: Env, cache: TierCache, tenantId: string) => {
  if (!cache.has(tenantId)) cache.set(tenantId, listTiers(env, tenantId));
  return cache.get(tenantId)!;
};

/** A cron minute's share of membership work; what is left goes on in the next minute from where it is due. */
const RUN_BUDGET_MS = 20_000;
const PAGE = 200;

/**
 * Pages of due members in due order until none is left or the deadline passes (one page at least). The keyset cursor
 * moves past every row read, so a member whose step fails is retried in the next run, not again and again in this one.
 */
async function duePages<T extends { id: string }>(
  page: (after: Keyset | null) => Promise<T[]>, dueOf: (row: T) => string, each: (rows: T[]) => Promise<void>, deadline: number,
) {
  let after: Keyset | null = null;
  do {
    const rows = await page(after);
    if (rows.length) await each(rows);
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1]!;
    after = { at: dueOf(last), id: last.id };
  } while (Date.now() < deadline);
}

const logged = (at: string, tenantId: string, memberId: string) => (e: unknown) => {
  console.error(JSON.stringify({ at, tenantId, memberId, error: e instanceof Error ? e.message : String(e) }));
};

type Owed = { kind: string; period: string; products: string[]; key: string };

/** The benefits this member's tier, birthday and paid card carry this month (given or not). */
function benefitsDue(m: BenefitCandidate, tiers: Tier[], now: Date): Owed[] {
  const period = monthKey(now);
  const year = period.slice(0, 4);
  const tier = effectiveTier(tiers, m.tier_id, m.paid_tier_id, m.paid_until, now);
  return [
    { kind: "monthly_pack", period, products: tier?.privileges.monthlyCouponProductIds ?? [], key: `mb.mp.${m.id}.${period}` },
    { kind: "birthday_gift", period: year, products: inBirthdayMonth(m.birthday, now) ? (tier?.privileges.birthdayGiftProductIds ?? []) : [], key: `mb.bd.${m.id}.${year}` },
    { kind: "paid_monthly", period, products: m.plan_monthly ? (JSON.parse(m.plan_monthly) as string[]) : [], key: `mb.pm.${m.id}.${period}` },
  ].filter((b) => b.products.length > 0);
}

/** What this member is owed this month and has not been given; each kind and period is issued once. */
async function issueOwed(env: Env, m: BenefitCandidate, due: Owed[], now: Date, markChecked: boolean) {
  const done = new Set((await benefitsOf(env.DB, m.tenant_id, m.id)).map((b) => `${b.kind}|${b.period}`));
  const stmts: D1PreparedStatement[] = [];
  for (const b of due) {
    if (done.has(`${b.kind}|${b.period}`)) continue;
    const { ids, missed } = await issueItems(env, m.tenant_id, m.buyer_id, b.products, b.key, `member:${b.kind}`);
    // The period is given with what went out; an item that could not is owed, retried and alerted (member-benefit-items.ts).
    stmts.push(benefitDoneStmt(env.DB, m.tenant_id, m.id, b.kind, b.period, ids));
    stmts.push(...owedStmts(env, { tenantId: m.tenant_id, memberId: m.id, buyerId: m.buyer_id, kind: b.kind, period: b.period, keyBase: b.key, until: periodEnd(b.period) }, missed, now));
  }
  if (markChecked) stmts.push(...benefitsCheckedStmts(env.DB, [m], monthKey(now)));
  if (stmts.length) await env.DB.batch(stmts);
}

/**
 * This month's benefits for every member not yet checked for it (members due nothing are marked a page at a time),
 * then paid cards' gift packs not yet issued.
 */
export async function issueMemberBenefits(env: Env, now = new Date(), cache: TierCache = new Map(), deadline = Date.now() + RUN_BUDGET_MS) {
  const period = monthKey(now);
  await duePages((after) => benefitCandidates(env.DB, now.toISOString(), period, after, PAGE), (m) => m.benefits_period ?? "", async (page) => {
    const nothingDue: BenefitCandidate[] = [];
    for (const m of page) {
      const due = benefitsDue(m, await tiersOf(env, cache, m.tenant_id), now);
      if (due.length) await issueOwed(env, m, due, now, true).catch(logged("member-benefit", m.tenant_id, m.id));
      else nothingDue.push(m);
    }
    if (nothingDue.length) await env.DB.batch(benefitsCheckedStmts(env.DB, nothingDue, period));
  }, deadline);
  for (const g of await giftsOwed(env.DB)) await issueGift(env, g, now);
  await retryOwedItems(env, now);
}

async function issueGift(env: Env, g: GiftOwed, now: Date) {
  const keyBase = `mb.pg.${g.order_id}`;
  const { ids, missed } = await issueItems(env, g.tenant_id, g.buyer_id, JSON.parse(g.gift_product_ids) as string[], keyBase, "member:paid_gift");
  await env.DB.batch([
    ...giftIssuedStmts(env.DB, g, ids),
    ...owedStmts(env, { tenantId: g.tenant_id, memberId: g.member_id, buyerId: g.buyer_id, kind: "paid_gift", period: g.order_id, keyBase, until: periodEnd(g.order_id, g.valid_until) }, missed, now),
  ]);
}

/** After a paid order (in the background): a paid card's gift pack and this month's packs at once. */
export async function memberAfterPaid(env: Env, order: { tenant_id: string; id: string }, now = new Date()) {
  const term = await paidCardTermOfOrder(env.DB, order.id);
  if (!term) return;
  const m = await benefitCandidateStmt(env.DB, order.tenant_id, term.member_id, now.toISOString()).first<BenefitCandidate>();
  if (!m) return;
  for (const g of await giftsOwed(env.DB, order.id)) await issueGift(env, g, now);
  const due = benefitsDue(m, await listTiers(env, order.tenant_id), now);
  if (due.length) await issueOwed(env, m, due, now, false);
}

/**
 * The yearly review: after each membership year the tier the last 12 months' growth reaches is compared with the
 * earned tier. Lower: a grace notice first (history + member_tier_changed direction grace), the downgrade once the
 * grace period has passed (direction down) unless growth caught up meanwhile. Growth then counts the last year only.
 */
export async function runYearlyReviews(env: Env, now = new Date(), cache: TierCache = new Map(), deadline = Date.now() + RUN_BUDGET_MS) {
  let changed = 0;
  const rules = new Map<string, Promise<GrowthRules>>();
  const rulesOf = (tenantId: string) => {
    if (!rules.has(tenantId)) rules.set(tenantId, getGrowthRules(env, tenantId));
    return rules.get(tenantId)!;
  };
  await duePages((after) => reviewCandidates(env.DB, now.toISOString(), after, PAGE), (m) => m.review_due_at ?? "", async (page) => {
    for (const m of page) {
      const step = await reviewOne(env, m, now, await tiersOf(env, cache, m.tenant_id), (await rulesOf(m.tenant_id)).graceDays).catch(logged("member-review", m.tenant_id, m.id));
      if (step === "grace" || step === "down") changed++;
    }
  }, deadline);
  if (changed) await scheduleDispatch(env);
  return changed;
}

/** One member's review step at `now`, and its next due date (the grace period's end or the next anniversary). */
async function reviewOne(env: Env, m: ReviewCandidate, now: Date, tiers: Tier[], graceDays: number) {
  const t = m.tenant_id;
  const yearGrowth = Math.max(0, await growthSince(env.DB, t, m.id, reviewWindowStart(now)));
  const step = m.cycle >= 1 ? reviewStep(tiers, m.tier_id, yearGrowth, m.state ? { state: m.state, graceUntil: m.grace_until } : null, graceDays, now) : null;
  const nextDue = (graceUntil: string | null) => reviewDueStmt(env.DB, t, m.id, m.review_due_at!, m.cycle, graceUntil);
  if (!step) {
    // Reviewed already this cycle (or not a full year yet): only the due date moves on.
    await nextDue(m.state === "grace" ? m.grace_until : null).run();
    return null;
  }
  const hid = newId("mh");
  const member = { sql: "SELECT ?", args: [m.id] };
  const from = tiers.find((x) => x.id === m.tier_id);
  const tierEvent = (direction: string, to: Tier | null) =>
    eventRows(env, [{
      eventId: `ev${hid}`, tenantId: t, type: "member_tier_changed", actor: { userId: m.buyer_id },
      payload: { memberId: m.id, fromTierId: m.tier_id, toTierId: to?.id ?? null, fromRank: from?.rank, toRank: to?.rank, direction, reason: "yearly_review" },
    }], historyExists(hid));
  const detail = (direction: string, to: Tier | null, extra: Record<string, string | number | null> = {}) => ({
    sql: "SELECT ?", args: [JSON.stringify({ direction, fromTierId: m.tier_id, toTierId: to?.id ?? null, toTierName: to?.name ?? null, reason: "yearly_review", yearGrowth, cycle: m.cycle, ...extra })],
  });
  if (step.kind === "keep") {
    await env.DB.batch([
      m.state
        ? closeReviewStmt(env.DB, t, m.id, m.cycle, "kept")
        : insertReviewStmt(env.DB, { tenantId: t, memberId: m.id, cycle: m.cycle, state: "kept", targetTierId: m.tier_id, graceUntil: null }),
      setGrowthAndTierStmt(env.DB, t, m.id, yearGrowth, undefined, { sql: "changes() = 1", args: [] }),
      nextDue(null),
    ]);
  } else if (step.kind === "grace") {
    await env.DB.batch([
      insertReviewStmt(env.DB, { tenantId: t, memberId: m.id, cycle: m.cycle, state: "grace", targetTierId: step.target?.id ?? null, graceUntil: step.graceUntil }),
      historyStmt(env.DB, { id: hid, tenantId: t, memberId: member, kind: "tier_grace", detail: detail("grace", step.target, { graceUntil: step.graceUntil }) }, { sql: "changes() = 1", args: [] }),
      ...tierEvent("grace", step.target),
      nextDue(step.graceUntil),
    ]);
  } else {
    await env.DB.batch([
      closeReviewStmt(env.DB, t, m.id, m.cycle, "down"),
      historyStmt(env.DB, { id: hid, tenantId: t, memberId: member, kind: "tier_changed", detail: detail("down", step.target) }, { sql: "changes() = 1", args: [] }),
      setGrowthAndTierStmt(env.DB, t, m.id, yearGrowth, step.target?.id ?? null, historyExists(hid)),
      ...tierEvent("down", step.target),
      nextDue(null),
    ]);
  }
  return step.kind;
}

/** Paid cards past their term: the paid tier is dropped, with history and paid_card_changed lapsed (once per term end). */
export async function lapsePaidCards(env: Env, now = new Date()) {
  const rows = await lapsedPaidCards(env.DB, now.toISOString());
  for (const m of rows) {
    const hid = newId("mh");
    await env.DB.batch([
      lapseStmt(env.DB, m.tenant_id, m.id, m.paid_until!),
      historyStmt(env.DB, { id: hid, tenantId: m.tenant_id, memberId: { sql: "SELECT ?", args: [m.id] }, kind: "paid_card_lapsed", detail: { sql: "SELECT json_object('tierId', ?, 'validUntil', ?)", args: [m.paid_tier_id, m.paid_until] } }, { sql: "changes() = 1", args: [] }),
      ...eventRows(env, [{
        eventId: `evpl_${m.id}_${Date.parse(m.paid_until!).toString(36)}`, tenantId: m.tenant_id, type: "paid_card_changed", actor: { userId: m.buyer_id },
        payload: { memberId: m.id, cardId: m.card_id ?? m.paid_tier_id!, orderId: null, kind: "lapsed", tierId: m.paid_tier_id, validUntil: m.paid_until! },
      }], historyExists(hid)),
    ]);
  }
  if (rows.length) await scheduleDispatch(env);
  return rows.length;
}

/** The cron's membership work; `now` injectable for tests. */
export async function runMembershipCron(env: Env, now = new Date()) {
  const cache: TierCache = new Map();
  // One budget for the run: reviews first, benefits with what is left (each always reads at least one page).
  const deadline = Date.now() + RUN_BUDGET_MS;
  await lapsePaidCards(env, now);
  await runYearlyReviews(env, now, cache, deadline);
  await issueMemberBenefits(env, now, cache, deadline);
}
