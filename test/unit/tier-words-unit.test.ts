import { describe, expect, it } from "vitest";
import { tierProgressWords } from "../../site/src/lib/tier-words";
import { progressToNext } from "../../worker/domain/tiers";
import { TierPrivileges, type Tier } from "../../schema/members";

const tier = (id: string, rank: number, growthThreshold: number): Tier => ({ id, name: id, rank, growthThreshold, privileges: TierPrivileges.parse({}) }) as Tier;

describe("the member card's tier line", () => {
  it("a brand with no tiers: no line and no bar, never 已是最高等级 at 0 成长值 (seen on the demo brand)", () => {
    expect(tierProgressWords({ tier: null, nextTier: progressToNext([], null, 0) })).toBeNull();
  });

  it("a member below the entry threshold is shown the way to the first tier", () => {
    const silver = tier("银卡", 1, 100);
    expect(tierProgressWords({ tier: null, nextTier: progressToNext([silver], null, 40) })).toEqual({ words: ["距「银卡」还差 60 成长值", "60 growth to 银卡"], percent: 40 });
  });

  it("the top tier holder reads 已是最高等级 with a full bar", () => {
    const gold = tier("金卡", 1, 100);
    expect(tierProgressWords({ tier: gold, nextTier: progressToNext([tier("普通", 0, 0), gold], gold, 150) })).toEqual({ words: ["已是最高等级", "Top tier reached"], percent: 100 });
  });
});
