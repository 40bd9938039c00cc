import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * Sign-ups as the worker emits them (services/acquisition.ts):
 *   s1 k1 organic, no UTM (then shares in k1)        a1 k1 wechat organic (claims, cost 1000; viewed first)
 *   a2 k1 wechat through s1's share link             a3 k1 in the widget on https://brand.example: viewed k1 as
 *   a4 no campaign, douyin                               anonymous device d9 before signing up, then claims (cost 1000)
 */
const k1 = { campaignId: "k1" };
const W = "https://brand.example";
const signup = (user: string, when: Date, payload: Record<string, string | null>, referrer?: string, deviceId?: string) => ({
  ...ev("user_signed_up", user, when, payload, referrer),
  actor: { userId: user, referrerId: referrer ?? null, deviceId: deviceId ?? null },
});
const fixture = [
  signup("s1", at("09-08"), { acquisitionCampaignId: "k1" }),
  ev("share_sent", "s1", at("09-08", 11), k1),
  ev("page_view", "a1", at("09-09", 9), k1),
  signup("a1", at("09-09"), { acquisitionCampaignId: "k1", utmSource: "wechat" }),
  ev("claim_succeeded", "a1", at("09-09", 11), { campaignId: "k1", costCents: 1000 }),
  signup("a2", at("09-09", 12), { acquisitionCampaignId: "k1", utmSource: "wechat", shareLink: "abcdEFGH1234" }, "s1"),
  ev("referral_signed_up", "a2", at("09-09", 12), k1, "s1"),
  { type: "page_view" as const, actor: { userId: null, deviceId: "d9", referrerId: null }, payload: { campaignId: "k1", origin: W }, occurredAt: at("09-10", 10, 0) },
  signup("a3", at("09-10", 10, 5), { acquisitionCampaignId: "k1", origin: W }, undefined, "d9"),
  ev("claim_succeeded", "a3", at("09-10", 10, 10), { campaignId: "k1", costCents: 1000, origin: W }),
  signup("a4", at("09-11"), { utmSource: "douyin" }),
];

const wh = useWarehouse(fixture as never);

describe("attribution: new users per campaign by channel, share vs organic and embedding origin", () => {
  it("breaks down sign-ups", async () => {
    expect(await wh.query("acquisition")).toEqual([
      { campaignId: "", channel: "douyin", source: "organic", origin: "", newUsers: 1 },
      { campaignId: "k1", channel: "", source: "organic", origin: "", newUsers: 1 },
      { campaignId: "k1", channel: "", source: "organic", origin: W, newUsers: 1 },
      { campaignId: "k1", channel: "wechat", source: "organic", origin: "", newUsers: 1 },
      { campaignId: "k1", channel: "wechat", source: "share", origin: "", newUsers: 1 },
    ]);
    expect((await wh.query("acquisition", { channel: "wechat" })).map((r) => r.source)).toEqual(["organic", "share"]);
    expect(await wh.query("acquisition", { source: "share" })).toEqual([{ campaignId: "k1", channel: "wechat", source: "share", origin: "", newUsers: 1 }]);
    expect(await wh.query("acquisition", { origin: W, campaignId: "k1" })).toHaveLength(1);
  });

  it("filters ROI, K-factor and the funnel by the users' acquisition", async () => {
    const [all] = await wh.query("roi", { campaignId: "k1" });
    expect(all).toMatchObject({ participants: 3, costCents: 2000, newUsers: 4 });
    const [widget] = await wh.query("roi", { campaignId: "k1", origin: W });
    expect(widget).toMatchObject({ participants: 1, costCents: 1000, newUsers: 1 });
    // The filter picks participants by their own sign-up and invitees by their sharer's: s1 (organic) brought in a2.
    expect((await wh.query("kfactor", { source: "organic" }))[0]).toMatchObject({ participants: 3, sharers: 1, inviteeSignups: 1, kFactor: 1 / 3 });
    expect((await wh.query("kfactor", { source: "share" })).filter((r) => r.inviteeSignups > 0)).toEqual([]);
    expect(await wh.query("kfactor", { channel: "wechat" })).toEqual([expect.objectContaining({ participants: 1, sharers: 0 })]);
    // The anonymous view of device d9 counts for a3, who signed up on that device.
    const funnel = await wh.query("funnel", { campaignId: "k1" });
    expect(funnel.slice(0, 2).map((s) => s.users)).toEqual([2, 2]);
    const viaWidget = await wh.query("funnel", { campaignId: "k1", origin: W });
    expect(viaWidget.slice(0, 2).map((s) => s.users)).toEqual([1, 1]);
  });

  it("refuses an unknown source with the field path", async () => {
    await expect(wh.query("acquisition", { source: "paid" })).rejects.toThrow(/source/);
  });
});
