/**
 * Simulated social growth for the demo dashboard's 裂变增长 view (issue 18): a pure function from a seeded random
 * source to events of the share and growth types (schema/events.ts), imported by the demo seed through
 * POST /events/import (marked simulated). Members share campaigns, group-buy teams, assist requests and invite
 * links (never products: the product row shows real traffic only); some friends sign up through a share after
 * minutes to a day and some of them pay; teams fill or expire; assists reach their goal or not; invites are rewarded
 * on the invitee's first paid order, one reversed by a refund. Organic users sign up and pay too (the LTV baseline).
 */
import type { SimEvent } from "./sim-journeys";
import { productOf, rng } from "./sim-journeys";

const MIN = 60_000;
const DAY = 86_400_000;
const MECHANISMS = [["campaign", 8], ["group", 6], ["assist", 4], ["invite", 4]] as const;

export function simulateGrowth(opts: { seed: number; start: number; end: number; runId: string; organic?: number; productIds?: string[]; campaigns?: { id: string; kind: "flash_sale" | "coupon_claim" | "lottery" }[] }): SimEvent[] {
  const rand = rng(opts.seed);
  const events: SimEvent[] = [];
  let n = 0;
  const id = (kind: string) => `sim-${opts.runId}-${kind}${n}`;
  const emit = (type: SimEvent["type"], at: number, userId: string, payload: SimEvent["payload"] = {}, referrerId?: string) => {
    if (at < opts.end) events.push({ eventId: `simg-${opts.runId}-${n++}`, type, occurredAt: new Date(at).toISOString(), actor: { userId, ...(referrerId ? { referrerId } : {}) }, payload });
  };
  const when = (spread = 0.8) => opts.start + rand() * (opts.end - opts.start) * spread;
  const pays = (userId: string, at: number, chance: number) => {
    if (rand() >= chance) return null;
    const orderId = id("o");
    const amountCents = 990 + Math.floor(rand() * 5) * 1000;
    emit("order_paid", at + (10 + rand() * 3 * 24 * 60) * MIN, userId, { orderId, amountCents, ...productOf(opts.productIds, n) });
    return { orderId, amountCents, at };
  };

  for (const [mechanism, sharers] of MECHANISMS) {
    for (let s = 0; s < sharers; s++) {
      const sharer = `sim-${opts.runId}-${mechanism}-s${s}`;
      // A campaign share is of one of the brand's campaigns, by someone who took part in it first (as the share
      // button is on its page): the K-factor tile counts them as participants and their invitees against them.
      const campaign = mechanism === "campaign" && opts.campaigns?.length ? opts.campaigns[s % opts.campaigns.length]! : null;
      const subjectId = campaign?.id ?? `sim-${mechanism}-${s}`;
      const openedAt = when();
      const onCampaign: SimEvent["payload"] = campaign ? { campaignId: campaign.id } : {};
      if (campaign) emit(campaign.kind === "lottery" ? "draw_made" : "claim_succeeded", openedAt - 5 * MIN, sharer, { campaignId: campaign.id, campaignKind: campaign.kind });
      if (mechanism === "group") {
        const expiresAt = new Date(openedAt + DAY).toISOString();
        emit("group_team_opened", openedAt, sharer, { groupBuyId: "sim-gb", teamId: subjectId, size: 3, expiresAt });
        const fate = rand();
        if (fate < 0.65) emit("group_team_completed", openedAt + (20 + rand() * 600) * MIN, sharer, { groupBuyId: "sim-gb", teamId: subjectId, members: 3, amountCents: 3 * 1990, costCents: 3 * 1000 });
        else if (fate < 0.9) emit("group_team_failed", openedAt + DAY, sharer, { groupBuyId: "sim-gb", teamId: subjectId, members: 1, refunded: 1, reason: "expired" });
      }
      if (mechanism === "assist") {
        emit("assist_started", openedAt, sharer, { assistId: "sim-assist", requestId: subjectId, goal: 3 });
        const helps = 1 + Math.floor(rand() * 5);
        for (let h = 1; h <= helps; h++) emit("assist_helped", openedAt + h * 30 * MIN, `${sharer}-helper${h}`, { assistId: "sim-assist", requestId: subjectId, helps: h, goal: 3 }, sharer);
        if (helps >= 3) emit("assist_goal_reached", openedAt + 90 * MIN, sharer, { assistId: "sim-assist", requestId: subjectId, helps: 3, costCents: 990, minutesTaken: 90 });
      }
      const shares = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < shares; k++) {
        const code = `sim${opts.runId}x${n}`.slice(0, 60);
        const sharedAt = openedAt + k * 45 * MIN;
        emit("share_sent", sharedAt, sharer, { mechanism, subjectId, shareLink: code, channel: rand() < 0.6 ? "wechat" : "poster", ...onCampaign });
        const invitees = rand() < 0.35 ? 1 + Math.floor(rand() * rand() * 2) : 0;
        for (let i = 0; i < invitees; i++) {
          const invitee = `${sharer}-i${k}${i}`;
          const at = sharedAt + (5 + rand() * rand() * 24 * 60) * MIN;
          emit("user_signed_up", at, invitee, { shareLink: code, buyerKind: "guest", ...(campaign ? { acquisitionCampaignId: campaign.id } : {}) }, sharer);
          emit("referral_signed_up", at, invitee, { shareLink: code, ...onCampaign }, sharer);
          const paid = pays(invitee, at, mechanism === "group" ? 0.8 : 0.5);
          if (mechanism === "invite") {
            emit("invite_accepted", at, invitee, { programmeId: "sim-invite", inviteId: `${subjectId}-${k}${i}` }, sharer);
            if (paid) {
              const inviteId = `${subjectId}-${k}${i}`;
              const rewardAt = paid.at + 15 * MIN;
              emit("invite_rewarded", rewardAt, sharer, { programmeId: "sim-invite", inviteId, role: "inviter", firstOrderId: paid.orderId, costCents: 1000 }, undefined);
              emit("invite_rewarded", rewardAt, invitee, { programmeId: "sim-invite", inviteId, role: "invitee", firstOrderId: paid.orderId, costCents: 500 }, sharer);
              if (rand() < 0.15) emit("invite_reward_reversed", rewardAt + DAY, sharer, { programmeId: "sim-invite", inviteId, role: "inviter", firstOrderId: paid.orderId, reason: "first_order_refunded" });
            }
          }
        }
      }
    }
  }
  for (let o = 0; o < (opts.organic ?? 30); o++) {
    const userId = `sim-${opts.runId}-organic${o}`;
    const at = when();
    emit("user_signed_up", at, userId, { buyerKind: "guest" });
    pays(userId, at, 0.4);
  }
  return events;
}
