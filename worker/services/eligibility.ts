/**
 * Eligibility on the claim path and in qualifications (issue 19): load only the facts a rule names, each with an
 * O(1) D1 lookup (worker/db/eligibility.ts), decide with the pure check (domain/eligibility.ts), refuse with 409
 * not_eligible naming the rule. An open rule reads nothing. Segment answers are cached per isolate and buyer for
 * SEGMENT_CACHE_MS, like the block lists: a recomputed segment reaches a buyer's claims within that time.
 */
import { Eligibility, type BuyerFacts, type EligibilityRefusal, type EligibilityRuleName } from "../../schema/eligibility";
import type { SessionFacts } from "../domain/buyer-session";
import { eligibilityProblem, factsNeeded, isOpen } from "../domain/eligibility";
import { hasPaidOrder, memberFacts, ownIds, productConfigOf, segmentsOfBuyer, signedUpAt } from "../db/eligibility";
import { ApiError } from "../errors";
import { emitEvents } from "../queue/emit";
import { HOT_CACHE_MS } from "./tenant-cache";

export const SEGMENT_CACHE_MS = HOT_CACHE_MS;
const MAX_ENTRIES = 20_000;

/** Where a refused rule lives in the Eligibility object (the error's field path). */
export const RULE_FIELD: Record<EligibilityRuleName, keyof Eligibility> = {
  segment: "segmentIds", new_user: "newUser", first_order: "firstOrder", tier: "tierIds", birthday_month: "birthdayMonth", city: "cities",
};

const segmentCache = new Map<string, { at: number; known: Map<string, boolean> }>();

async function segmentsOf(env: Env, tenantId: string, buyerId: string, wanted: string[], now: number): Promise<Set<string>> {
  const key = `${tenantId}\u0000${buyerId}`;
  let hit = segmentCache.get(key);
  if (!hit || now - hit.at >= SEGMENT_CACHE_MS) {
    hit = { at: now, known: new Map() };
    if (segmentCache.size >= MAX_ENTRIES) segmentCache.clear();
    segmentCache.set(key, hit);
  }
  const missing = wanted.filter((s) => !hit.known.has(s));
  if (missing.length) {
    const found = new Set(await segmentsOfBuyer(env.DB, tenantId, buyerId, missing));
    for (const s of missing) hit.known.set(s, found.has(s));
  }
  return new Set(wanted.filter((s) => hit.known.get(s)));
}

/** Forget cached segment answers (after a segment's members were swapped through this isolate, and in tests). */
export const invalidateSegmentCache = () => segmentCache.clear();

/** The facts these rules need, no more: nothing at all for open rules. */
export async function loadFacts(env: Env, tenantId: string, buyerId: string, rules: Eligibility[], edgeCity: string | null, now = Date.now()): Promise<BuyerFacts> {
  const need = { segments: false, buyer: false, orders: false, member: false, city: false };
  const segmentIds = new Set<string>();
  for (const r of rules) {
    const n = factsNeeded(r);
    for (const k of Object.keys(need) as (keyof typeof need)[]) need[k] ||= n[k];
    r.segmentIds.forEach((s) => segmentIds.add(s));
  }
  const [segs, signUp, paid, member] = await Promise.all([
    need.segments ? segmentsOf(env, tenantId, buyerId, [...segmentIds], now) : new Set<string>(),
    need.buyer ? signedUpAt(env.DB, tenantId, buyerId) : null,
    need.orders ? hasPaidOrder(env.DB, tenantId, buyerId) : false,
    need.member || need.city ? memberFacts(env.DB, tenantId, buyerId) : null,
  ]);
  return {
    segmentIds: segs,
    signedUpAt: signUp?.at ?? null,
    paidOrders: paid ? 1 : 0,
    tierId: member?.tier_id ?? null,
    birthday: member?.birthday ?? null,
    city: member?.city || edgeCity || null,
  };
}

/** The first refusal of these rules (campaign's first, then the coupon product's), or null. */
export function firstProblem(rules: Eligibility[], facts: BuyerFacts, now = new Date()): EligibilityRefusal | null {
  for (const r of rules) {
    const p = eligibilityProblem(r, facts, now);
    if (p) return p;
  }
  return null;
}

/** A coupon product's own rule (config.coupon.eligibility), tolerating its absence or an unreadable one (open). */
export function productEligibilityOf(configJson: string | null | undefined): Eligibility | null {
  if (!configJson) return null;
  let raw: unknown;
  try {
    raw = (JSON.parse(configJson) as { coupon?: { eligibility?: unknown } })?.coupon?.eligibility;
  } catch {
    return null;
  }
  if (raw === undefined || raw === null) return null;
  const parsed = Eligibility.safeParse(raw);
  return parsed.success && !isOpen(parsed.data) ? parsed.data : null;
}

const productCache = new Map<string, { at: number; value: Promise<Eligibility | null> }>();
const PRODUCT_CACHE_MS = 5_000;

/** The coupon product's rule, cached per isolate like the campaign definition (no D1 read per claim). */
export function productEligibility(env: Env, tenantId: string, productId: string, now = Date.now()): Promise<Eligibility | null> {
  const key = `${tenantId}\u0000${productId}`;
  const hit = productCache.get(key);
  if (hit && now - hit.at < PRODUCT_CACHE_MS) return hit.value;
  const value = productConfigOf(env.DB, tenantId, productId).then((r) => productEligibilityOf(r?.config));
  value.catch(() => productCache.get(key)?.value === value && productCache.delete(key));
  if (productCache.size >= MAX_ENTRIES) productCache.clear();
  productCache.set(key, { at: now, value });
  return value;
}

/**
 * A guest (neither a verified phone nor a brand member) first meets the entry requirement a rule implies: tier and
 * birthday need a member; segment, new-user and first-order rules a known person, or a fresh guest would pass them.
 * A signed-in buyer is judged on the facts (a phone buyer who never joined has no tier: refused as "tier").
 */
export function entryFor(rules: Eligibility[], s: SessionFacts): ApiError | null {
  if (s.member || s.phone) return null;
  if (rules.some((r) => r.tierIds.length > 0 || r.birthdayMonth)) {
    return new ApiError(403, "member_required", "This offer is for the brand's members: sign in and join first");
  }
  if (rules.some((r) => r.segmentIds.length > 0 || r.newUser || r.firstOrder)) {
    return new ApiError(403, "phone_required", "This offer depends on who you are: sign in with a verified phone number first");
  }
  return null;
}

export function notEligible(refusal: EligibilityRefusal, path: string): ApiError {
  return new ApiError(409, "not_eligible", refusal.message, [{ path: `${path}.${RULE_FIELD[refusal.rule]}`, code: refusal.rule, message: refusal.message }]);
}

// At most one eligibility_refused event per buyer, subject and rule per window per isolate: a buyer tapping a
// refused button a hundred times leaves one event, not a hundred D1 writes.
const REFUSAL_EVENT_MS = 10 * 60_000;
const refusalsSeen = new Map<string, number>();

export async function recordRefusal(env: Env, tenantId: string, buyerId: string, subject: { kind: string; id: string }, rule: EligibilityRuleName, now = Date.now()) {
  const key = `${tenantId}|${buyerId}|${subject.kind}|${subject.id}|${rule}`;
  const last = refusalsSeen.get(key);
  if (last !== undefined && now - last < REFUSAL_EVENT_MS) return;
  if (refusalsSeen.size >= MAX_ENTRIES) refusalsSeen.clear();
  refusalsSeen.set(key, now);
  try {
    await emitEvents(env, [{ tenantId, type: "eligibility_refused", actor: { userId: buyerId }, payload: { subjectKind: subject.kind, subjectId: subject.id, rule } }]);
  } catch (e) {
    console.error(JSON.stringify({ at: "eligibility_refused", error: e instanceof Error ? e.message : String(e) }));
  }
}

/** A campaign's rules: its own and, for a coupon claim, the coupon product's. Empty when both are open. */
export async function campaignRules(env: Env, c: { tenantId: string; kind: string; productId: string | null; eligibility?: Eligibility }) {
  const rules: { rule: Eligibility; path: string }[] = [];
  if (c.eligibility && !isOpen(c.eligibility)) rules.push({ rule: c.eligibility, path: "eligibility" });
  if (c.kind === "coupon_claim" && c.productId) {
    const own = await productEligibility(env, c.tenantId, c.productId);
    if (own) rules.push({ rule: own, path: "product.eligibility" });
  }
  return rules;
}

/**
 * The claim path's check: nothing at all for open rules; otherwise the guest's entry requirement, the facts the
 * rules name, and a 409 not_eligible (recorded as eligibility_refused) for the first rule that fails.
 */
export async function assertEligible(
  env: Env, c: { id: string; tenantId: string; kind: string; productId: string | null; eligibility?: Eligibility },
  buyerId: string, session: () => Promise<SessionFacts>, edgeCity: string | null,
): Promise<void> {
  const rules = await campaignRules(env, c);
  if (!rules.length) return;
  const entry = entryFor(rules.map((r) => r.rule), await session());
  if (entry) throw entry;
  const facts = await loadFacts(env, c.tenantId, buyerId, rules.map((r) => r.rule), edgeCity);
  const now = new Date();
  for (const r of rules) {
    const refusal = eligibilityProblem(r.rule, facts, now);
    if (refusal) {
      await recordRefusal(env, c.tenantId, buyerId, { kind: r.path === "eligibility" ? "campaign" : "coupon", id: r.path === "eligibility" ? c.id : c.productId! }, refusal.rule);
      throw notEligible(refusal, r.path);
    }
  }
}

/** 400 unknown_segment / unknown_tier for ids that are not the tenant's own (another brand's segment admits no one here). */
export async function checkEligibilityRefs(env: Env, tenantId: string, e: Eligibility | undefined, path = "json.eligibility") {
  if (!e) return;
  const [segs, tiers] = await Promise.all([ownIds(env.DB, "segments", tenantId, e.segmentIds), ownIds(env.DB, "member_tiers", tenantId, e.tierIds)]);
  const issues = [
    ...e.segmentIds.flatMap((id, i) => (segs.has(id) ? [] : [{ path: `${path}.segmentIds.${i}`, code: "unknown_segment", message: `no segment ${id}` }])),
    ...e.tierIds.flatMap((id, i) => (tiers.has(id) ? [] : [{ path: `${path}.tierIds.${i}`, code: "unknown_tier", message: `no member tier ${id}` }])),
  ];
  if (issues.length) throw ApiError.badRequest(issues[0]!.code, "The eligibility rule names segments or tiers this brand does not have", issues);
}
