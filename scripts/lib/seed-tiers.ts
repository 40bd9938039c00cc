import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";
import { SIM_TIERS } from "./sim-members";

interface DemoTier { name: string; rank: number; growthThreshold: number; percentOff: number; extraLotteryChances: number; monthly: string[]; birthday: string[] }

/**
 * The demo brand's tier ladder (the member centre promises 升级会员等级): every member starts in 普通会员, and growth
 * (1 per yuan paid) lifts them to 银卡 (9.5 折, one more lottery chance) and 金卡 (9 折, a monthly 满100减20券 and a
 * birthday 音乐会员月卡; products by name). Names and thresholds are the simulated history's (SIM_TIERS), so its members
 * are counted under the same tiers as real ones.
 */
export const DEMO_TIERS: DemoTier[] = [
  { name: SIM_TIERS[0].id, rank: 0, growthThreshold: SIM_TIERS[0].growth, percentOff: 0, extraLotteryChances: 0, monthly: [], birthday: [] },
  { name: SIM_TIERS[1].id, rank: 1, growthThreshold: SIM_TIERS[1].growth, percentOff: 5, extraLotteryChances: 1, monthly: [], birthday: [] },
  { name: SIM_TIERS[2].id, rank: 2, growthThreshold: SIM_TIERS[2].growth, percentOff: 10, extraLotteryChances: 2, monthly: ["满100减20券"], birthday: ["音乐会员月卡"] },
];

/**
 * Idempotent: tiers are matched by name, and a rank the brand already gave a tier of its own keeps it. Answers the
 * brand's tier ids by name (the simulated history uses them).
 */
export async function seedTiers(baseUrl: string, keys: Record<Scope, string>): Promise<Record<string, string>> {
  const admin = kaquanClient(baseUrl, keys.admin);
  const [listed, { products }] = await Promise.all([must(admin.GET("/members/tiers")), must(admin.GET("/products"))]);
  // The generated type has Tier nullable (the member card's tier is); a listed tier never is.
  const tiers = listed.tiers.filter((t) => t !== null);
  const productIds = (names: string[]) => names.flatMap((n) => products.filter((p) => p.name === n).slice(0, 1).map((p) => p.id));
  const ids: Record<string, string> = Object.fromEntries(tiers.map((t) => [t.name, t.id]));
  for (const t of DEMO_TIERS) {
    if (ids[t.name] || tiers.some((x) => x.rank === t.rank)) continue;
    const made = await must(admin.POST("/members/tiers", { body: {
      name: t.name, rank: t.rank, growthThreshold: t.growthThreshold,
      privileges: { percentOff: t.percentOff, extraLotteryChances: t.extraLotteryChances, monthlyCouponProductIds: productIds(t.monthly), birthdayGiftProductIds: productIds(t.birthday), memberOnlyProductIds: [] },
    } }));
    ids[made!.name] = made!.id;
  }
  return ids;
}
