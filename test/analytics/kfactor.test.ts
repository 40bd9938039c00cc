import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Campaign k1: s1 claims and shares twice, s2 draws and shares once, s3 and s4 only claim → 4 participants,
 *   2 sharers, 3 shares; invitees i1 (via s1) and i2 (via s2) sign up → 2 invitee sign-ups.
 *   share rate 2/4 = 0.5, invites per user 3/4 = 0.75, conversion 2/3, K = 0.75 × 2/3 = 0.5.
 * Campaign k2: t1 shares 4 times, nobody signs up → share rate 1, 4 invites per user, conversion 0, K 0.
 * A k1 share in August is outside the range.
 * Over both campaigns at once (kfactor_overall): s1 also shares in k2, so 5 people took part, not 4 + 2.
 */
const k1 = { campaignId: "k1" };
const fixture = [
  ev("claim_succeeded", "s1", at("09-07"), k1),
  ev("share_sent", "s1", at("09-07", 11), k1),
  ev("share_sent", "s1", at("09-07", 12), k1),
  ev("draw_made", "s2", at("09-08"), k1),
  ev("share_sent", "s2", at("09-08", 11), k1),
  ev("claim_succeeded", "s3", at("09-09"), k1),
  ev("claim_succeeded", "s4", at("09-09"), k1),
  ev("share_sent", "s4", at("08-20"), k1),
  ev("user_signed_up", "i1", at("09-10"), { acquisitionCampaignId: "k1" }),
  ev("referral_signed_up", "i1", at("09-10"), k1, "s1"),
  ev("user_signed_up", "i2", at("09-11"), { acquisitionCampaignId: "k1" }),
  ev("referral_signed_up", "i2", at("09-11"), k1, "s2"),
  ...[1, 2, 3, 4].map((h) => ev("share_sent", "t1", at("09-12", h), { campaignId: "k2" })),
  ev("share_sent", "s1", at("09-13"), { campaignId: "k2" }),
];

const wh = useWarehouse(fixture);

describe("K-factor and share rate per campaign", () => {
  it("computes participants, shares, invitee sign-ups and K", async () => {
    const rows = await wh.query("kfactor");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      campaignId: "k1", participants: 4, sharers: 2, shares: 3, inviteeSignups: 2,
      shareRate: 0.5, invitesPerUser: 0.75, inviteConversion: 2 / 3, kFactor: 0.5,
    });
    expect(rows[1]).toEqual({
      campaignId: "k2", participants: 2, sharers: 2, shares: 5, inviteeSignups: 0,
      shareRate: 1, invitesPerUser: 2.5, inviteConversion: 0, kFactor: 0,
    });
  });

  it("over all campaigns counts each person once", async () => {
    expect(await wh.query("kfactor_overall")).toEqual([{
      participants: 5, sharers: 3, shares: 8, inviteeSignups: 2,
      shareRate: 3 / 5, invitesPerUser: 8 / 5, inviteConversion: 2 / 8, kFactor: 2 / 5,
    }]);
    expect(await wh.query("kfactor_overall", { campaignId: "k2" })).toEqual([expect.objectContaining({ participants: 2, shares: 5 })]);
    expect(await wh.query("kfactor_overall", { from: "2026-01-01", to: "2026-02-01" })).toEqual([{
      participants: 0, sharers: 0, shares: 0, inviteeSignups: 0, shareRate: null, invitesPerUser: null, inviteConversion: null, kFactor: null,
    }]);
  });

  it("filters one campaign", async () => {
    expect((await wh.query("kfactor", { campaignId: "k2" })).map((r) => r.campaignId)).toEqual(["k2"]);
  });
});
