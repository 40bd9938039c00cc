/**
 * "What can I get here" (issue 19, 我能领/可用): the brand's running campaigns with whether this buyer may take part
 * (and the rule that refuses them), the coupon claims they may still take, and the coupons they hold usable now.
 * Off the claim path: facts are loaded once for all rules together. A guest (or no session) sees open items only.
 */
import { campaignPageOf } from "../domain/campaign-pages";
import type { Eligibility } from "../../schema/eligibility";
import type { Qualifications, QualifiedCampaign, UsableCoupon } from "../../schema/qualifications";
import type { SessionFacts } from "../domain/buyer-session";
import { factsOf } from "../domain/buyer-session";
import { eligibilityProblem } from "../domain/eligibility";
import { getBuyer } from "../db/buyers";
import { runningCampaigns, usableCoupons } from "../db/eligibility";
import { toCampaign, userStanding } from "./campaigns";
import { campaignRules, loadFacts } from "./eligibility";

export interface Viewer {
  buyerId: string;
  facts: SessionFacts;
}

/** The buyer of a session, with what their account vouches for; null when the buyer is gone or erased. */
export async function viewerOf(env: Env, tenantId: string, buyerId: string | null): Promise<Viewer | null> {
  if (!buyerId) return null;
  const row = await getBuyer(env.DB, tenantId, buyerId);
  return row && !row.erased_at ? { buyerId, facts: factsOf(row) } : null;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.round(v) : null);

function usable(r: Awaited<ReturnType<typeof usableCoupons>>[number]): UsableCoupon {
  let coupon: Record<string, unknown> = {};
  try {
    coupon = ((JSON.parse(r.config ?? "{}") as { coupon?: Record<string, unknown> }).coupon) ?? {};
  } catch { /* an unreadable config shows the voucher without terms */ }
  return {
    voucherId: r.id, code: r.code, productId: r.product_id, title: r.title, faceValueCents: r.face_value_cents,
    couponKind: typeof coupon.kind === "string" ? coupon.kind : coupon.discountCents !== undefined ? "threshold" : null,
    thresholdCents: num(coupon.thresholdCents), discountCents: num(coupon.discountCents),
    validFrom: r.valid_from, validTo: r.valid_to,
  };
}

export async function qualifications(env: Env, tenantId: string, slug: string, viewer: Viewer | null, edgeCity: string | null, now = new Date()): Promise<Qualifications> {
  const at = now.toISOString();
  const known = viewer && (viewer.facts.phone || viewer.facts.member) ? viewer : null;
  const campaigns = (await runningCampaigns(env.DB, tenantId, at)).map((r) => toCampaign(r, now.getTime()));
  const withRules = await Promise.all(campaigns.map(async (c) => ({ c, rules: await campaignRules(env, c) })));
  // A guest sees what is open to everyone, and nothing that asks for a phone or membership at entry; a signed-in
  // buyer who is not a brand member does not see member-entry campaigns.
  const visible = withRules.filter(({ c, rules }) => (known ? c.entry !== "member" || known.facts.member : rules.length === 0 && c.entry === "guest"));
  const all: Eligibility[] = visible.flatMap((v) => v.rules.map((r) => r.rule));
  const facts = known && all.length ? await loadFacts(env, tenantId, known.buyerId, all, edgeCity, now.getTime()) : null;
  const items: QualifiedCampaign[] = visible.map(({ c, rules }) => {
    let refusal = null;
    for (const r of rules) if (facts && !refusal) refusal = eligibilityProblem(r.rule, facts, now);
    return {
      campaignId: c.id, kind: c.kind, name: c.name, endsAt: c.endsAt, eligible: !refusal, refusal, targeted: rules.length > 0,
      url: `/campaigns/${campaignPageOf(c.kind)}/?t=${encodeURIComponent(slug)}&id=${encodeURIComponent(c.id)}`,
    };
  });
  const byId = new Map(visible.map((v) => [v.c.id, v.c]));
  const couponClaims = (await Promise.all(items.filter((q) => q.kind === "coupon_claim" && q.eligible).map(async (q) => {
    if (!viewer) return q;
    const c = byId.get(q.campaignId)!;
    const s = await userStanding(env, c, viewer.buyerId);
    const underLimit = s.claimedTotal < c.perUserLimit && (c.perUserDailyLimit === null || s.claimedToday < c.perUserDailyLimit);
    return underLimit ? q : null;
  }))).filter((q): q is QualifiedCampaign => q !== null);
  const coupons = viewer ? (await usableCoupons(env.DB, tenantId, viewer.buyerId, at)).map(usable) : [];
  return { viewer: viewer ? (viewer.facts.member ? "member" : viewer.facts.phone ? "phone" : "guest") : null, campaigns: items, couponClaims, coupons, at };
}
