import { describe, expect, it } from "vitest";
import banned from "../../schema/data/banned-phrases.json";
import lint from "../../schema/data/campaign-lint.json";
import { lintCampaignCopy } from "../../worker/domain/campaign-lint";
import { findBannedPhrases, normalizeCopy } from "../../worker/domain/compliance";
import { checkCopy } from "../../worker/services/catalog";

const rules = { banned: banned.phrases, promisedWin: lint.promisedWin, shareGating: lint.shareGating.map((p) => new RegExp(p)), extraChance: new RegExp(lint.extraChance), notRequired: new RegExp(lint.notRequired), allowed: lint.allowed };
const found = (text: string) => findBannedPhrases({ t: text }, banned.phrases).map((f) => [f.phrase, f.index, f.text]);
const campaign = (text: string) => lintCampaignCopy({ name: text }, rules).map((f) => [f.rule, f.phrase, f.index, f.text]);

describe("absolute-claim lint on normalised copy (D2)", () => {
  it("normalises with NFKC, folds case and drops whitespace and zero-width characters, keeping the way back", () => {
    const n = normalizeCopy("ＮＯ．１ 国\u200B家\u3000级");
    expect(n.text).toBe("no.1国家级");
    // Each unit points at the original character it came from.
    expect(n.from).toEqual([0, 1, 2, 3, 5, 7, 9]);
    expect(n.to).toEqual([1, 2, 3, 4, 6, 8, 10]);
  });

  it("catches full-width, spaced and zero-width forms and reports them as written", () => {
    expect(found("１００％正品会员月卡")).toEqual([["100%", 0, "１００％"]]);
    expect(found("ＮＯ．１视频会员")).toEqual([["NO.1", 0, "ＮＯ．１"]]);
    expect(found("国 家 级认证券")).toEqual([["国家级", 0, "国 家 级"]]);
    expect(found("认证：第 一 品牌月卡")).toEqual([["第一", 3, "第 一"]]);
    expect(found("最\u200B低\u00A0价")).toEqual([["最低价", 0, "最\u200B低\u00A0价"]]);
    expect(found("Ｔｏｐ１ 好物")).toEqual([["TOP1", 0, "Ｔｏｐ１"]]);
    // The half-width forms are found as before, and clean copy stays clean.
    expect(found("最低价！绝对正品")).toEqual([["最低价", 0, "最低价"], ["绝对", 4, "绝对"]]);
    expect(found("安心 好用，１０ 元")).toEqual([]);
    expect(found("绝无仅有的会员卡")).toEqual([["绝无仅有", 0, "绝无仅有"]]);
  });

  it("excerpts quote the original text around the claim", () => {
    const [f] = findBannedPhrases({ sub: "会员 １００％ 正品" }, banned.phrases);
    expect(f).toMatchObject({ field: "sub", phrase: "100%", index: 3, text: "１００％" });
    expect(f!.excerpt).toBe("会员 １００％ 正品");
  });

  it("checks every field it is given (a bypass in one field is not hidden by a clean one)", () => {
    const f = findBannedPhrases({ title: "最 低价", sub: "１００％正品", x: "ＮＯ．１" }, banned.phrases);
    expect(f.map((x) => [x.field, x.phrase])).toEqual([["sub", "100%"], ["title", "最低价"], ["x", "NO.1"]]);
  });

  it("campaign copy: full-width promises and spaced claims are refused like the half-width ones; allowed words still pass", () => {
    expect(campaign("１００％中奖")).toEqual([["promised_win", "100%中奖", 0, "１００％中奖"]]);
    expect(campaign("100%中奖")).toEqual([["promised_win", "100%中奖", 0, "100%中奖"]]);
    expect(campaign("ＮＯ．１抽奖")).toEqual([["banned_phrase", "NO.1", 0, "ＮＯ．１"]]);
    expect(campaign("国 家 级大奖")).toEqual([["banned_phrase", "国家级", 0, "国 家 级"]]);
    expect(campaign("第 一")).toEqual([["banned_phrase", "第一", 0, "第 一"]]);
    expect(campaign("必\u200B中好礼")).toEqual([["promised_win", "必中", 0, "必\u200B中"]]);
    expect(campaign("第 一 步：每人最 多 3 次")).toEqual([]);
  });

  it("product copy: the ordinary words campaign copy may hold pass there too; '全网第1' is a claim like '第一'", () => {
    const product = (text: string) => checkCopy({ usageRules: text }).map((f) => [f.phrase, f.index]);
    expect(product("每个账号最多兑换 1 次；最近 30 天内有效；第一步：打开 App")).toEqual([]);
    expect(product("最多兑换 1 次，最好用的会员")).toEqual([["最好", 9]]);
    expect(product("全网第1的视频会员")).toEqual([["全网第1", 0]]);
    expect(product("销量第１名")).toEqual([["销量第1", 0]]);
  });
});
