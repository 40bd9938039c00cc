import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Shares (share_sent.shareLink = the code; a share without mechanism is a campaign's, as before issue 18):
 *   campaign: s1 "campaignCode1" 09-07 10:00 (no mechanism), s2 "campaignCode2" 09-08 10:00 → 2 sharers, 2 shares
 *   group:    g1 "groupCode001" 09-10 10:00 and "groupCode002" 09-10 12:00            → 1 sharer, 2 shares
 *   assist:   a1 "assistCode01" 09-11 10:00                                            → 1 sharer, 1 share, no invitee
 *   invite:   v1 "inviteCode01" 08-20 10:00 (before the range: its sharer is not counted, its invitee is)
 * Invitees (sign-up through the code; minutes after the share):
 *   campaign i1 +30, i2 +90 → K 2/2 = 1, median 60 · group i3 +20, i4 +60, i5 +120 (on code 2) → K 3/1, median 60
 *   invite i6 on 09-02 10:00 = 13 days = 18,720 min; i6 also accepts v1's invite (one invitee, not two); p1 accepts
 *   v2's invite through the member centre's plain ?invite= link on 09-12 (no share_sent, no referral sign-up: an
 *   earlier guest), p3 signs up on 09-13 (no share link) and accepts v2's plain link, p2's invite to v2 is refused →
 *   invite: sharers v1, v2 (their accepted invites), 3 invitees, K 1.5; the cycle is known only for the shared link
 *   (18,720)
 * Revenue within 30 days of sign-up (paid − refunded): i1 1000 − 400 = 600, i2 500 on 10-20 (after day 30) → 0:
 *   campaign 600 / 2 = 300 per invitee; group i3 2000 + i4 1000 = 3000 / 3 = 1000; invite i6 900 − 300 refunded in
 *   part = 600, p3 800 (an invitee through the plain link, not organic) → 1400 / 2 = 700;
 *   organic o1 300, o2 0 → 150.
 * Teams opened in the range: t1 completed (discount 600), t2 failed, t3 completed on 10-02 (after `to`: counts as
 *   completed, its discount is not this range's cost), t4 still open → 4 opened, 2 completed (0.5), 1 failed (0.25).
 * Assists: r1 3 helps + goal (reward 500), r2 2 helps → 5 helps per goal.
 * Invite rewards: n1 inviter 300 + invitee 200, n2 inviter 300 reversed → cost 500.
 * Reward cost vs revenue: group 3000 / 600 = 5, assist 0 / 500 = 0, invite 1400 / 500 = 2.8.
 */
const share = (user: string, code: string, when: Date, mechanism?: string) =>
  ev("share_sent", user, when, { shareLink: code, ...(mechanism ? { mechanism, subjectId: `${mechanism}-subject` } : { campaignId: "k1" }) });
const invitee = (user: string, sharer: string, code: string, when: Date) => [
  ev("user_signed_up", user, when, { shareLink: code }, sharer),
  ev("referral_signed_up", user, when, { shareLink: code }, sharer),
];
const paid = (user: string, cents: number, when: Date) => ev("order_paid", user, when, { orderId: `o-${user}-${cents}`, amountCents: cents });
const team = (type: "group_team_opened" | "group_team_completed" | "group_team_failed", teamId: string, when: Date, extra: Record<string, unknown> = {}) =>
  ev(type, "g1", when, { groupBuyId: "gb1", teamId, members: 3, size: 3, ...extra });

const fixture = [
  share("s1", "campaignCode1", at("09-07", 10)),
  share("s2", "campaignCode2", at("09-08", 10), "campaign"),
  share("g1", "groupCode001", at("09-10", 10), "group"),
  share("g1", "groupCode002", at("09-10", 12), "group"),
  share("a1", "assistCode01", at("09-11", 10), "assist"),
  share("v1", "inviteCode01", at("08-20", 10), "invite"),
  ...invitee("i1", "s1", "campaignCode1", at("09-07", 10, 30)),
  ...invitee("i2", "s2", "campaignCode2", at("09-08", 11, 30)),
  ...invitee("i3", "g1", "groupCode001", at("09-10", 10, 20)),
  ...invitee("i4", "g1", "groupCode001", at("09-10", 11)),
  ...invitee("i5", "g1", "groupCode002", at("09-10", 14)),
  ...invitee("i6", "v1", "inviteCode01", at("09-02", 10)),
  ev("invite_accepted", "i6", at("09-02", 10, 5), { programmeId: "p1", inviteId: "n1" }, "v1"),
  ev("user_signed_up", "p1", at("08-01")),
  ev("invite_accepted", "p1", at("09-12"), { programmeId: "p1", inviteId: "n3" }, "v2"),
  ev("user_signed_up", "p3", at("09-13")),
  ev("invite_accepted", "p3", at("09-13", 10, 1), { programmeId: "p1", inviteId: "n4" }, "v2"),
  paid("p3", 800, at("09-14")),
  ev("invite_refused", "p2", at("09-12", 11), { programmeId: "p1", reason: "already_member" }, "v2"),
  ev("user_signed_up", "o1", at("09-05")),
  ev("user_signed_up", "o2", at("09-06")),
  paid("i1", 1000, at("09-08")),
  ev("order_refunded", "i1", at("09-09"), { orderId: "o-i1-1000", amountCents: 400 }),
  paid("i2", 500, at("10-20")),
  paid("i3", 2000, at("09-10", 12)),
  paid("i4", 1000, at("09-11")),
  paid("i6", 900, at("09-03")),
  ev("order_partially_refunded", "i6", at("09-04"), { orderId: "o-i6-900", refundId: "rf1", amountCents: 300, units: 0 }),
  paid("o1", 300, at("09-06")),
  team("group_team_opened", "t1", at("09-10"), { expiresAt: "x" }),
  team("group_team_completed", "t1", at("09-10", 15), { costCents: 600 }),
  team("group_team_opened", "t2", at("09-11"), { expiresAt: "x" }),
  team("group_team_failed", "t2", at("09-12"), { refunded: 1, reason: "expired" }),
  team("group_team_opened", "t3", at("09-12"), { expiresAt: "x" }),
  team("group_team_completed", "t3", at("10-02"), { costCents: 300 }),
  team("group_team_opened", "t4", at("09-15"), { expiresAt: "x" }),
  ...["h1", "h2", "h3"].map((h, i) => ev("assist_helped", h, at("09-11", 11 + i), { assistId: "as1", requestId: "r1", helps: i + 1, goal: 3 }, "a1")),
  ev("assist_goal_reached", "a1", at("09-11", 14), { assistId: "as1", requestId: "r1", helps: 3, costCents: 500 }),
  ...["h4", "h5"].map((h, i) => ev("assist_helped", h, at("09-12", 11 + i), { assistId: "as1", requestId: "r2", helps: i + 1, goal: 3 }, "a2")),
  ev("invite_rewarded", "v1", at("09-03"), { programmeId: "p1", inviteId: "n1", role: "inviter", costCents: 300 }),
  ev("invite_rewarded", "i6", at("09-03"), { programmeId: "p1", inviteId: "n1", role: "invitee", costCents: 200 }),
  ev("invite_rewarded", "v1", at("09-04"), { programmeId: "p1", inviteId: "n2", role: "inviter", costCents: 300 }),
  ev("invite_reward_reversed", "v1", at("09-05"), { programmeId: "p1", inviteId: "n2", role: "inviter", reason: "refunded" }),
];

const wh = useWarehouse(fixture);
const none = { teamsOpened: 0, teamsCompleted: 0, teamsFailed: 0, teamSuccessRate: null, teamFailRate: null, assistHelps: 0, goalsReached: 0, assistsPerGoal: null, organicLtvCents: 150 };

describe("social growth per mechanism", () => {
  it("K-factor, viral cycle time, team success, assists per goal, invitee vs organic LTV, reward cost vs revenue", async () => {
    const rows = await wh.query("growth");
    expect(rows).toEqual([
      { mechanism: "campaign", sharers: 2, shares: 2, inviteeSignups: 2, kFactor: 1, cycleMedianMinutes: 60, ...none,
        inviteeLtvCents: 300, rewardCostCents: null, attributedRevenueCents: 600, revenuePerCostCent: null },
      { mechanism: "group", sharers: 1, shares: 2, inviteeSignups: 3, kFactor: 3, cycleMedianMinutes: 60, ...none,
        teamsOpened: 4, teamsCompleted: 2, teamsFailed: 1, teamSuccessRate: 0.5, teamFailRate: 0.25,
        inviteeLtvCents: 1000, rewardCostCents: 600, attributedRevenueCents: 3000, revenuePerCostCent: 5 },
      { mechanism: "assist", sharers: 1, shares: 1, inviteeSignups: 0, kFactor: 0, cycleMedianMinutes: null, ...none,
        assistHelps: 5, goalsReached: 1, assistsPerGoal: 5,
        inviteeLtvCents: null, rewardCostCents: 500, attributedRevenueCents: 0, revenuePerCostCent: 0 },
      { mechanism: "invite", sharers: 2, shares: 0, inviteeSignups: 3, kFactor: 1.5, cycleMedianMinutes: 18_720, ...none,
        inviteeLtvCents: 700, rewardCostCents: 500, attributedRevenueCents: 1400, revenuePerCostCent: 2.8 },
      { mechanism: "product", sharers: 0, shares: 0, inviteeSignups: 0, kFactor: null, cycleMedianMinutes: null, ...none,
        inviteeLtvCents: null, rewardCostCents: null, attributedRevenueCents: 0, revenuePerCostCent: null },
    ]);
  });

  it("a range with only invites through the plain link: they count, with no cycle time (no share to time it from)", async () => {
    const rows = await wh.query("growth", { from: "2026-09-12", to: "2026-09-13" });
    expect(rows.find((r) => r.mechanism === "invite")).toMatchObject({ sharers: 1, shares: 0, inviteeSignups: 1, kFactor: 1, cycleMedianMinutes: null });
  });

  it("the LTV window follows `days`; an empty range has zeros and nulls, never NaN", async () => {
    const long = await wh.query("growth", { days: 60 });
    expect(long.find((r) => r.mechanism === "campaign")).toMatchObject({ inviteeLtvCents: 550, attributedRevenueCents: 1100 });
    const empty = await wh.query("growth", { from: "2026-06-01", to: "2026-07-01" });
    expect(empty.map((r) => [r.sharers, r.kFactor, r.teamSuccessRate, r.organicLtvCents])).toEqual(Array(5).fill([0, null, null, null]));
  });

  it("gives the same rows read in one-person slices as in one pass", async () => {
    const { whole, sliced, queries } = await wh.slicedAndWhole("growth", [{}, { days: 60 }, { from: "2026-09-08", to: "2026-09-20" }]);
    expect(sliced).toEqual(whole);
    expect(whole[0]!.find((r) => r.mechanism === "group")!.attributedRevenueCents).toBe(3000);
    // the other parts in one statement, then one LTV query per slice (well over a dozen people here)
    expect(queries).toBeGreaterThan(3 * 10);
  });
});
