import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must, type paths } from "./api/client";

type ProductBody = paths["/products"]["post"]["requestBody"]["content"]["application/json"];
type CampaignBody = paths["/campaigns"]["post"]["requestBody"]["content"]["application/json"];

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
  scope: "kaquan 演示商城全场商品（不含直充）",
  config: { coupon: { thresholdCents: 0, discountCents: 2000 } },
} as const;

/** "全场商品（不含直充）" as the checkout reads it: card keys (direct recharges, coupons and bundles never take a coupon). */
export const SHOP_WIDE_SCOPE: { productIds: string[]; kinds: "card_key"[]; tags: string[] } = { productIds: [], kinds: ["card_key"], tags: [] };

/** One coupon per thing a demo campaign promises, so each campaign delivers what its name says. */
const coupon = (name: string, thresholdCents: number, discountCents: number, extra: Partial<ProductBody> = {}): ProductBody => ({
  kind: "coupon",
  name,
  subtitle: thresholdCents ? `满${thresholdCents / 100}元可用` : "无门槛",
  priceCents: discountCents,
  faceValueCents: discountCents,
  validity: { kind: "relative", days: 30 },
  scope: "kaquan 演示商城全场商品（不含直充）",
  usageRules: thresholdCents ? `订单满 ${thresholdCents / 100} 元可用，每单限用一张。` : "无门槛，每单限用一张。",
  tutorial: "结算时出示券码，或在门店出示二维码给店员核销。",
  // Its own picture (site/public/demo/coupon-<discount>-<threshold>.svg): the amount and rule it shows are the coupon's.
  media: { images: [`/demo/coupon-${discountCents}-${thresholdCents}.svg`], videoUrl: null },
  // The scope says the online shop, so the coupon applies at shop checkout (online: true), not only in stores.
  config: { coupon: { thresholdCents, discountCents, online: true, scope: SHOP_WIDE_SCOPE } },
  ...extra,
});
export const CAMPAIGN_PRODUCTS = {
  flash: { ...DEMO_COUPON_PRODUCT, ...coupon("20元无门槛券", 0, 2000, { priceCents: 1990 }) },
  newcomer: coupon("满50减10券", 5000, 1000),
  p100: coupon("100元代金券", 0, 10000),
  p20: coupon("20元代金券", 0, 2000),
  p5: coupon("5元代金券", 0, 500),
};

type Admin = ReturnType<typeof kaquanClient>;
type SeededProduct = {
  id: string; name: string; scope: string;
  config?: { coupon?: { online?: boolean; scope?: { productIds?: readonly string[]; kinds?: readonly string[]; tags?: readonly string[] } } | null } | null;
};

/**
 * A demo state seeded before the shop-wide coupons were marked usable online is brought up to date: a coupon the
 * seed made (same name, same shop-wide scope) that is still store-only becomes usable at checkout too. Best effort:
 * a refusal only warns, so a restart never fails on it; a coupon an operator re-scoped is left alone.
 */
export async function upgradeOnlineCoupon(admin: Admin, existing: SeededProduct, wanted: { scope?: string; config?: unknown }) {
  const want = (wanted.config as { coupon?: { online?: boolean; scope?: typeof SHOP_WIDE_SCOPE } } | undefined)?.coupon;
  const has = existing.config?.coupon;
  if (!want || !has || existing.scope !== wanted.scope) return;
  // Also a state seeded before the shop-wide scope left out direct recharges (its copy always said 不含直充).
  const unscoped = !has.scope || (!has.scope.productIds?.length && !has.scope.kinds?.length && !has.scope.tags?.length);
  const patch = { ...(want.online && !has.online ? { online: true } : {}), ...(want.scope && unscoped ? { scope: want.scope } : {}) };
  if (!Object.keys(patch).length) return;
  await must(admin.PATCH("/products/{productId}", { params: { path: { productId: existing.id } }, body: { config: { ...existing.config, coupon: { ...has, ...patch } } as ProductBody["config"] } }))
    .catch((e) => console.warn(`demo coupon ${existing.name} left as it was: ${e instanceof Error ? e.message : e}`));
}

export async function seedCampaigns(baseUrl: string, keys: Record<Scope, string>) {
  const admin = kaquanClient(baseUrl, keys.admin);
  const { products } = await must(admin.GET("/products"));
  const ids = {} as Record<keyof typeof CAMPAIGN_PRODUCTS, string>;
  for (const [key, body] of Object.entries(CAMPAIGN_PRODUCTS) as [keyof typeof CAMPAIGN_PRODUCTS, ProductBody][]) {
    const existing = products.find((p) => p.name === body.name && p.kind === "coupon");
    ids[key] = existing ? existing.id : (await must(admin.POST("/products", { body }))).id;
    if (existing) await upgradeOnlineCoupon(admin, existing, body);
  }
  const { campaigns } = await must(admin.GET("/campaigns"));
  const now = Date.now();
  const at = (ms: number) => new Date(now + ms).toISOString();
  const wanted: CampaignBody[] = [
    { kind: "flash_sale", name: "整点秒杀 · 9.9元抢20元券", description: "20 元无门槛券，秒杀价 9.9 元", productId: ids.flash, priceCents: 990, stock: 200, perUserLimit: 1, shards: 4, startsAt: at(MIN), endsAt: at(120 * MIN) },
    { kind: "coupon_claim", name: "新人领券 · 满50减10", description: "新人专享满 50 减 10 券，免费领取", productId: ids.newcomer, stock: 1000, perUserLimit: 2, perUserDailyLimit: 1, shards: 4, startsAt: at(5000), endsAt: at(7 * 24 * 60 * MIN) },
    {
      kind: "lottery",
      name: "幸运大转盘",
      organiser: { name: "Demo Brand 市场部", contact: "400-800-0000" },
      rules: "每人每天免费抽 1 次；分享给好友可额外获得抽奖机会（可选，不分享也能抽）。奖品为代金券，中奖后发放到我的卡券，在有效期内使用。",
      startsAt: at(5000),
      endsAt: at(24 * 60 * MIN),
      prizes: [
        { id: "p100", name: "100元代金券", productId: ids.p100, stock: 5, weight: 2 },
        { id: "p20", name: "20元代金券", productId: ids.p20, stock: 50, weight: 18 },
        { id: "p5", name: "5元代金券", productId: ids.p5, stock: 300, weight: 30 },
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
      organiser: { name: "Demo Brand 市场部", contact: "400-800-0000" },
      startsAt: at(5000),
      endsAt: at(3 * MIN + 5000),
      prizes: [{ id: "p20", name: "20元代金券", productId: ids.p20, stock: 20, weight: 30 }],
      noPrizeWeight: 70,
      drawsPerDay: 3,
      display: "grid",
      perUserLimit: 1,
      shards: 2,
    },
  ];
  const made: Record<string, string> = {};
  for (const w of wanted) {
    const existing = campaigns.find((c) => c.name === w.name && c.phase !== "ended");
    made[w.name] = existing ? existing.id : (await must(admin.POST("/campaigns", { body: w }))).id;
  }
  return made;
}
