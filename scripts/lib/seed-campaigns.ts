import type { Scope } from "../../schema/tenancy";
import { ApiClient } from "./http";

interface Listed {
  id: string;
  name: string;
  kind: string;
  phase: string;
}

const MIN = 60_000;

/**
 * Idempotent demo campaigns for the Demo Brand: a flash sale opening a minute after start (to see the countdown),
 * a coupon claim, a day-long lottery and a 3-minute lottery whose seed and draw log are revealed when it ends.
 * A campaign of the same name that has not ended is reused; ended ones are left as history and replaced.
 */
/** The coupon the demo campaigns (and bench:claims) hand out. */
export const DEMO_COUPON_PRODUCT = {
  kind: "coupon",
  name: "20元无门槛券",
  priceCents: 1990,
  faceValueCents: 2000,
  validity: { kind: "relative", days: 30 },
  config: { coupon: { thresholdCents: 0, discountCents: 2000 } },
} as const;

export async function seedCampaigns(baseUrl: string, keys: Record<Scope, string>) {
  const admin = new ApiClient(baseUrl, keys.admin);
  const { products } = await admin.ok<{ products: { id: string; kind: string; name: string }[] }>("GET", "/products");
  let coupon = products.find((p) => p.kind === "coupon");
  if (!coupon) {
    coupon = await admin.ok("POST", "/products", DEMO_COUPON_PRODUCT);
  }
  const productId = coupon!.id;
  const { campaigns } = await admin.ok<{ campaigns: Listed[] }>("GET", "/campaigns");
  const now = Date.now();
  const at = (ms: number) => new Date(now + ms).toISOString();
  const wanted = [
    { kind: "flash_sale", name: "整点秒杀 · 9.9元抢20元券", productId, priceCents: 990, stock: 200, perUserLimit: 1, shards: 4, startsAt: at(MIN), endsAt: at(120 * MIN) },
    { kind: "coupon_claim", name: "新人领券 · 满50减10", productId, stock: 1000, perUserLimit: 2, perUserDailyLimit: 1, shards: 4, startsAt: at(5000), endsAt: at(7 * 24 * 60 * MIN) },
    {
      kind: "lottery",
      name: "幸运大转盘",
      startsAt: at(5000),
      endsAt: at(24 * 60 * MIN),
      prizes: [
        { id: "p100", name: "100元代金券", productId, stock: 5, weight: 2 },
        { id: "p20", name: "20元代金券", productId, stock: 50, weight: 18 },
        { id: "p5", name: "5元代金券", productId, stock: 300, weight: 30 },
      ],
      noPrizeWeight: 50,
      drawsPerDay: 1,
      perUserLimit: 3,
      tasks: [{ id: "share", name: "分享给好友（可选）", extraChances: 1, perDay: 2 }],
      shards: 4,
    },
    {
      kind: "lottery",
      name: "三分钟限时抽奖（结束后公开种子）",
      startsAt: at(5000),
      endsAt: at(3 * MIN + 5000),
      prizes: [{ id: "p20", name: "20元代金券", productId, stock: 20, weight: 30 }],
      noPrizeWeight: 70,
      drawsPerDay: 3,
      perUserLimit: 1,
      shards: 2,
    },
  ];
  const ids: Record<string, string> = {};
  for (const w of wanted) {
    const existing = campaigns.find((c) => c.name === w.name && c.phase !== "ended");
    ids[w.name] = existing ? existing.id : (await admin.ok<{ id: string }>("POST", "/campaigns", w)).id;
  }
  return ids;
}
