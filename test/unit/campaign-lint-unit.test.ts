import { describe, expect, it } from "vitest";
import banned from "../../schema/data/banned-phrases.json";
import lint from "../../schema/data/campaign-lint.json";
import { lintCampaignCopy } from "../../worker/domain/campaign-lint";

const rules = { banned: banned.phrases, promisedWin: lint.promisedWin, shareGating: lint.shareGating.map((p) => new RegExp(p)), extraChance: new RegExp(lint.extraChance), notRequired: new RegExp(lint.notRequired), allowed: lint.allowed };
const check = (texts: Record<string, string>) => lintCampaignCopy(texts, rules).map((f) => [f.field, f.rule, f.phrase, f.index]);

describe("campaign copy lint", () => {
  it("reports a promised win once, as a promise, with its field and position", () => {
    expect(check({ name: "双11大转盘 100%中奖" })).toEqual([["name", "promised_win", "100%中奖", 7]]);
    expect(check({ "prizes.0.name": "必中好礼" })).toEqual([["prizes.0.name", "promised_win", "必中", 0]]);
  });

  it("refuses sharing as a condition of taking part, and lets sharing be an extra chance", () => {
    expect(check({ description: "分享后才能抽奖，快来参与" })).toEqual([["description", "share_gated", "分享后才能抽奖", 0]]);
    expect(check({ description: "需邀请3位好友助力参与" })[0]?.slice(0, 2)).toEqual(["description", "share_gated"]);
    expect(check({ "tasks.0.name": "转发给好友即可领取" })[0]?.slice(0, 2)).toEqual(["tasks.0.name", "share_gated"]);
    expect(check({ description: "每日免费抽 1 次；分享给好友可额外获得 1 次机会" })).toEqual([]);
    expect(check({ "tasks.0.name": "分享得额外抽奖机会" })).toEqual([]);
    // Across a comma, as eligibility (资格) or as something sharing unlocks; an extra chance stays allowed.
    const gated = (text: string) => check({ rules: text }).filter((f) => f[1] === "share_gated").map((f) => f[2]);
    expect(gated("分享到朋友圈，即可抽奖。")).toEqual(["分享到朋友圈，即可抽奖"]);
    expect(gated("分享给3个群后获得抽奖资格")).toEqual(["分享给3个群后获得抽奖资格"]);
    expect(gated("完成分享任务解锁抽奖")).toEqual(["分享任务解锁抽奖"]);
    expect(gated("邀请好友，即可领取")).toEqual(["邀请好友，即可领取"]);
    // Wordings that slipped through before: the order turned round, 需/须 after the draw, 后 alone, a refusal by
    // omission, a condition or prerequisite named, friends' 助力, and English copy.
    for (const bad of ["抽奖前请先分享给好友", "参与抽奖需分享至3个群", "分享后可抽奖", "转发后抽奖", "未转发者无抽奖资格", "抽奖条件：分享活动页面",
      "分享活动页面是参与抽奖的前提", "好友助力满3人后开奖", "Share with 3 friends to unlock your draw", "You must share before you can draw",
      "分 享后才能抽奖", "先\u200b分享再抽奖", "抽奖前请先 分 享 给好友", "分享后才能抽奖！",
      // Winning named instead of drawing (accepted before): sharing as the condition of a prize is gated all the same.
      "转发后才有机会中奖", "分享后才能中奖", "邀请好友后方可兑奖", "分享才可获奖", "转发即可赢取大奖"]) {
      expect(gated(bad), bad).toHaveLength(1);
    }
    for (const ok of ["分享后抽奖次数+1", "分享后抽奖机会加一次", "完成分享等任务可额外获得抽奖机会，但不是参与条件。", "分享不是参与条件", "无需分享即可参与抽奖",
      "You don't need to share to draw", "Share to get an extra draw", "Share with friends for a bonus spin", "参与抽奖后可分享给好友", "抽奖前请阅读规则",
      "Share this page with friends", "邀请好友注册送积分", "好友助力可额外获得一次抽奖机会", "本活动不得把分享、转发作为抽奖条件"]) {
      expect(gated(ok), ok).toEqual([]);
    }
    // Found in copy with spaces, it is quoted as written.
    expect(gated("活动规则：分 享后才能抽奖。")).toEqual(["分 享后才能抽奖"]);
    // A line break ends a sentence: a list item about sharing does not run into the next one about the draw.
    expect(gated("1. 邀请好友注册送积分\n2. 参与抽奖每日一次")).toEqual([]);
    for (const ok of ["分享后即可获得额外抽奖机会", "分享后获得 1 次额外抽奖机会", "每日免费抽 1 次。分享给好友，可多抽一次", "分享给好友可多抽一次，不分享也能抽"]) expect(gated(ok), ok).toEqual([]);
  });

  it("refuses the bare share-to-draw idioms (转发抽奖, Share to win) and keeps the extra-chance and negated wordings", () => {
    const gated = (text: string) => check({ rules: text }).filter((f) => f[1] === "share_gated").map((f) => f[2]);
    // Accepted before (session 66's walk): sharing named as the way into the draw, without 才能 / 后 / 条件.
    for (const bad of ["转发抽奖", "分享抽奖", "转发即抽", "转发可抽奖", "转发参与抽奖", "分享参与抽奖", "分享朋友圈参与抽奖", "转发本活动即有机会抽奖",
      "分享好友抽大奖", "集齐3个好友分享开奖", "Share to win", "share and win", "RT to win", "retweet to enter", "Repost this and win a prize"]) {
      expect(gated(bad), bad).toHaveLength(1);
    }
    for (const ok of ["分享抽奖活动给好友", "分享抽奖结果到朋友圈", "分享后抽奖次数+1", "分享后抽奖机会加一次", "本活动不得把分享、转发作为抽奖条件",
      "每人每天免费抽 1 次；分享给好友可额外获得抽奖机会（可选，不分享也能抽）。", "分享给好友可多抽一次，不分享也能抽", "参与抽奖后可分享给好友",
      "You don't need to share to win", "Share to get an extra draw", "Share this page with friends", "邀请好友一起来玩"]) {
      expect(gated(ok), ok).toEqual([]);
    }
  });

  it("reports promises of a win in their common forms", () => {
    for (const [text, phrase] of [["必得大奖", "必得"], ["中奖率百分百", "中奖率百分百"], ["中奖率100%！", "中奖率100%"], ["人人有奖，快来抽", "人人有奖"]] as const) {
      expect(check({ rules: text }).map((f) => [f[1], f[2]]), text).toContainEqual(["promised_win", phrase]);
    }
  });

  it("keeps the product rules for absolute claims, ordered by field then position", () => {
    expect(check({ name: "全网最低价秒杀", description: "国家级品质" })).toEqual([
      ["description", "banned_phrase", "国家级", 0],
      ["name", "banned_phrase", "全网最低", 0],
    ]);
    expect(check({ name: "周末抽奖：视频会员月卡", description: "每人每天 3 次，奖品数量有限，抽完即止" })).toEqual([]);
    // Limits and order words are not claims; a claim next to them still is.
    expect(check({ description: "第一行\n第二行：每人最多 3 次，最后一天截止" })).toEqual([]);
    expect(check({ description: "最后一天！全网第一" })).toEqual([["description", "banned_phrase", "第一", 7]]);
    // Ordinals and caps an operator writes every day: a first wave or round of a sale, the first item or order, "up to
    // ¥50 off", "valid for at most 30 days" — no claim to be the best (these were refused, with no way to say it).
    expect(check({ name: "新客领券 第一波", description: "双11第一弹：第一件半价，第一单满100最高减50，最高立减20，最高可减30，有效期最长30天；第一阶段 11/1 开始" })).toEqual([]);
    // The claims stay refused beside them.
    expect(check({ name: "第一波！销量第一", description: "最高减50，最高品质" })).toEqual([["description", "banned_phrase", "最", 6], ["name", "banned_phrase", "第一", 6]]);
  });
});
