/**
 * Visitor journeys for `npm run simulate`: pure functions from a seeded random source to event lists, following
 * the payload conventions in schema/events.ts. Sign-ups (organic or from a campaign link), active days thinning out
 * (churn), views, claims and draws with prize cost, shares whose links bring invitees who start journeys of their
 * own, orders, payments, supplier delivery, vouchers and redemptions.
 */
import type { EventType } from "../../schema/events";

export interface SimEvent {
  eventId: string;
  type: EventType;
  occurredAt: string;
  actor: { userId?: string; referrerId?: string };
  payload: Record<string, string | number | boolean | null>;
}

export interface World {
  /** startsAt/endsAt (ms): no simulated event is placed on a campaign outside its window (e.g. one not started yet). */
  campaigns: { id: string; kind: "coupon" | "lottery" | "flash"; costCents: number; startsAt?: number; endsAt?: number }[];
  products: { id: string; priceCents: number }[];
  suppliers: string[];
  stores: string[];
}

/**
 * The product a simulated order without a journey of its own was for (`{ productId }`, or nothing without products),
 * chosen by the order's number so the random sequence stays as it was: the dashboard's revenue and 热销商品 count
 * paid orders by product, as every real order_paid has one (LTV counts them all).
 */
export const productOf = (productIds: string[] | undefined, n: number): { productId?: string } =>
  productIds?.length ? { productId: productIds[n % productIds.length]! } : {};

/** Mulberry32: small, fast, seedable. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;

export function simulateJourneys(opts: { seed: number; users: number; start: number; end: number; world: World; runId: string }) {
  const rand = rng(opts.seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const events: SimEvent[] = [];
  let n = 0;
  let userSeq = 0;
  const emit = (type: EventType, at: number, userId: string, payload: SimEvent["payload"] = {}, referrerId?: string) => {
    if (at >= opts.end) return;
    events.push({
      eventId: `sim-${opts.runId}-${n++}`,
      type,
      occurredAt: new Date(at).toISOString(),
      actor: { userId, ...(referrerId ? { referrerId } : {}) },
      payload,
    });
  };
  const openAt = (at: number) => opts.world.campaigns.filter((c) => (c.startsAt ?? -Infinity) <= at && at < (c.endsAt ?? Infinity));
  const queue: { signupAt: number; campaignId?: string; referrerId?: string }[] = [];
  for (let i = 0; i < opts.users; i++) {
    const organic = rand() < 0.6;
    const signupAt = opts.start + rand() * (opts.end - opts.start);
    const open = openAt(signupAt);
    queue.push({ signupAt, campaignId: organic || !open.length ? undefined : pick(open).id });
  }
  while (queue.length) {
    const u = queue.shift()!;
    const userId = `sim-${opts.runId}-u${userSeq++}`;
    const loyal = rand(); // drives activity and spend
    emit("page_view", u.signupAt - 60_000, userId, { path: "/", ...(u.campaignId ? { campaignId: u.campaignId } : {}) }, u.referrerId);
    emit("user_signed_up", u.signupAt, userId, u.campaignId ? { acquisitionCampaignId: u.campaignId } : {});
    if (u.referrerId && u.campaignId) emit("referral_signed_up", u.signupAt + 1000, userId, { campaignId: u.campaignId }, u.referrerId);
    // Churn: each following day the user comes back with a probability that decays.
    let pReturn = 0.2 + loyal * 0.45;
    for (let day = 0; day < 120; day++) {
      if (pReturn < 0.01) break;
      if (day > 0) {
        pReturn *= 0.92;
        if (rand() > pReturn) continue;
      }
      const dayStart = u.signupAt + day * DAY + (day === 0 ? 5 * 60_000 : rand() * 12 * 3_600_000);
      if (dayStart >= opts.end) break;
      let t = dayStart;
      const step = () => (t += 30_000 + rand() * 600_000);
      const product = pick(opts.world.products);
      emit("page_view", step(), userId, { path: "/" });
      emit("product_viewed", step(), userId, { productId: product.id });
      const open = openAt(dayStart);
      const own = open.find((c) => c.id === u.campaignId);
      const campaign = own && rand() < 0.6 ? own : rand() < 0.3 && open.length ? pick(open) : null;
      let voucherId: string | null = null;
      if (campaign) {
        emit("page_view", step(), userId, { path: `/c/${campaign.id}`, campaignId: campaign.id });
        const won = campaign.kind !== "lottery" || rand() < 0.3;
        const cost = won ? campaign.costCents : 0;
        if (campaign.kind === "lottery") emit("draw_made", step(), userId, { campaignId: campaign.id, costCents: cost, prize: won ? "优惠券" : "none" });
        else emit("claim_succeeded", step(), userId, { campaignId: campaign.id, costCents: cost });
        if (won) {
          voucherId = `sim-${opts.runId}-v${n}`;
          emit("voucher_issued", step(), userId, { voucherId, campaignId: campaign.id, costCents: 0 });
        }
        if (rand() < 0.25) {
          const shares = 1 + Math.floor(rand() * 3);
          for (let s = 0; s < shares; s++) {
            const at = step();
            emit("share_sent", at, userId, { campaignId: campaign.id });
            // Each share link converts an invitee with some probability; invitees live their own journeys.
            if (rand() < 0.3) queue.push({ signupAt: at + rand() * 2 * DAY, campaignId: campaign.id, referrerId: userId });
          }
        }
      }
      if (rand() < 0.12 + loyal * 0.15) {
        const orderId = `sim-${opts.runId}-o${n}`;
        const attribution: Record<string, string> = campaign && voucherId ? { campaignId: campaign.id } : {};
        emit("order_created", step(), userId, { orderId, productId: product.id, amountCents: product.priceCents, ...attribution });
        if (rand() < 0.85) {
          emit("order_paid", step(), userId, { orderId, productId: product.id, amountCents: product.priceCents, ...attribution });
          const supplierId = pick(opts.world.suppliers);
          if (rand() < 0.08) emit("supplier_failed", step(), userId, { orderId, supplierId });
          emit("order_delivered", step(), userId, { orderId, supplierId });
          if (rand() < 0.04) emit("order_refunded", step(), userId, { orderId, productId: product.id, amountCents: product.priceCents, ...attribution });
        }
      }
      if (voucherId && rand() < 0.65) {
        const at = t + rand() * 5 * DAY;
        const storeId = pick(opts.world.stores);
        if (rand() < 0.12) emit("voucher_redeem_failed", at, userId, { voucherId, storeId, reason: "wrong_store" });
        emit("voucher_redeemed", at + 60_000, userId, { voucherId, storeId, campaignId: campaign!.id });
      }
    }
  }
  return events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}
