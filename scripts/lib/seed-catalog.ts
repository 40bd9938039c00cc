import { randomBytes } from "node:crypto";
import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";
import { SHOP_WIDE_SCOPE, upgradeOnlineCoupon } from "./seed-campaigns";
import { SANDBOX_SUPPLIER_CREDENTIALS } from "./supplier-app";

const FOREVER = { kind: "fixed", validFrom: "2026-01-01T00:00:00.000Z", validTo: "2027-12-31T23:59:59.000Z" } as const;
// Demo images ship with the site (site/public/demo/*.svg): no outside photo host, so they show offline too.
const media = (seed: string) => ({ images: [`/demo/${seed}.svg`], videoUrl: null });

/** Demo catalog: every product kind, published, with stock; one direct-recharge product routed to two suppliers. */
export const CATALOG_PRODUCTS = [
  // 10 per person, so one order of it reaches the 满100减20券's threshold (5 stopped at ¥99.50); `limitWas` upgrades an
  // earlier demo state still at the old limit.
  { key: "video", stock: 300, limitWas: 5, body: { kind: "card_key", name: "视频会员月卡", subtitle: "热门剧集随心看", priceCents: 1990, faceValueCents: 2500, validity: FOREVER, scope: "视频 App 手机、平板、电脑端会员权益，不含电视端", usageRules: "每个卡密限兑换一次；兑换后 31 天内有效。", tutorial: "1. 打开视频 App → 我的 → 兑换中心\n2. 粘贴卡密，点击兑换\n3. 会员即时生效", media: media("video"), perUserLimit: 10, lowStockThreshold: 20 } },
  { key: "music", stock: 100, body: { kind: "card_key", name: "音乐会员月卡", subtitle: "无损音质，离线下载", priceCents: 990, faceValueCents: 1500, validity: FOREVER, scope: "音乐 App 全端会员", usageRules: "每个卡密限兑换一次。", tutorial: "打开音乐 App → 设置 → 兑换码，输入卡密即可。", media: media("music"), perUserLimit: 5, lowStockThreshold: 20 } },
  { key: "gift", stock: 0, loop: true, body: { kind: "card_key", name: "新手礼包兑换码", subtitle: "人人可领的循环码", priceCents: 100, faceValueCents: 500, validity: { kind: "relative", days: 30 }, scope: "游戏内新手礼包，每个游戏账号限领一次", tutorial: "进入游戏 → 福利 → 礼包码，输入兑换码领取。", media: media("gift"), perUserLimit: 1 } },
  { key: "phone", body: { kind: "direct_recharge", name: "话费直充 30 元", subtitle: "三网通用，分钟级到账", priceCents: 2980, faceValueCents: 3000, validity: { kind: "relative", days: 1 }, scope: "中国大陆移动、联通、电信手机号", usageRules: "充值到下单时填写的手机号，充错号码无法退回。", tutorial: "下单时填写手机号，支付后自动充值，到账后运营商短信通知。", media: media("phone"), stockTotal: 5000, config: { recharge: { accountLabel: "手机号", accountKind: "mobile_cn" } } } },
  { key: "coupon", body: { kind: "coupon", name: "满100减20券", subtitle: "全场通用", priceCents: 100, faceValueCents: 2000, validity: { kind: "relative", days: 7 }, scope: "kaquan 演示商城全场商品（不含直充）", usageRules: "订单满 100 元可用，每单限用一张。", tutorial: "结算时出示券码，或在门店出示给店员核销。", media: media("coupon"), stockTotal: 1000, perUserLimit: 3, config: { coupon: { thresholdCents: 10000, discountCents: 2000, online: true, scope: SHOP_WIDE_SCOPE } } } },
] as const;

/** Idempotent: products are matched by name, keys are only imported into an empty product. */
export async function seedCatalog(baseUrl: string, keys: Record<Scope, string>, supplierUrl = process.env.KAQUAN_SUPPLIER_URL ?? "http://127.0.0.1:8789") {
  const admin = kaquanClient(baseUrl, keys.admin);
  const { products } = await must(admin.GET("/products"));
  const path = (productId: string) => ({ params: { path: { productId } } });
  const ids: Record<string, string> = {};
  for (const p of CATALOG_PRODUCTS) {
    let existing = products.find((x) => x.name === p.body.name);
    if (!existing) existing = await must(admin.POST("/products", { body: p.body }));
    ids[p.key] = existing!.id;
    // A demo state seeded before recharge accounts were checked, or with outside images, is brought up to date.
    if (existing!.media?.images?.some((u) => /^https?:/.test(u))) await must(admin.PATCH("/products/{productId}", { ...path(existing!.id), body: { media: p.body.media } }));
    if ("config" in p.body && "recharge" in p.body.config && existing!.config?.recharge?.accountKind !== p.body.config.recharge.accountKind) {
      await must(admin.PATCH("/products/{productId}", { ...path(existing!.id), body: { config: p.body.config } }));
    }
    if ("limitWas" in p && existing!.perUserLimit === p.limitWas) await must(admin.PATCH("/products/{productId}", { ...path(existing!.id), body: { perUserLimit: p.body.perUserLimit } }));
    // A demo state seeded when the shop-wide coupon was store-only: usable at checkout too, as its scope says.
    if (p.body.kind === "coupon") await upgradeOnlineCoupon(admin, existing!, p.body);
    const stock = await must(admin.GET("/products/{productId}/stock", path(existing!.id)));
    if ("loop" in p && stock.available === 0) {
      await must(admin.POST("/products/{productId}/keys/import", { ...path(existing!.id), body: { rows: [{ line: 1, secret: `NEWBIE-${randomBytes(4).toString("hex").toUpperCase()}`, reusable: true }] } }));
    } else if ("stock" in p && p.stock && stock.total === 0) {
      for (let i = 0; i < p.stock; i += 1000) {
        const rows = Array.from({ length: Math.min(1000, p.stock - i) }, (_, j) => ({ line: i + j + 1, secret: `${p.key.toUpperCase()}-${randomBytes(8).toString("hex").toUpperCase()}` }));
        await must(admin.POST("/products/{productId}/keys/import", { ...path(existing!.id), body: { rows } }));
      }
    }
  }
  const bundleName = "视听双享包";
  let bundle = products.find((x) => x.name === bundleName);
  if (!bundle) {
    bundle = await must(admin.POST("/products", { body: {
      kind: "bundle", name: bundleName, subtitle: "视频 + 音乐 会员月卡", priceCents: 2680, faceValueCents: 4000, validity: FOREVER,
      scope: "视频 App 与音乐 App 会员各一个月", tutorial: "支付后获得两张卡密，分别在对应 App 中兑换。", media: media("bundle"),
      config: { bundle: { items: [{ productId: ids.video!, quantity: 1 }, { productId: ids.music!, quantity: 1 }] } },
    } }));
  }
  if (bundle!.media?.images?.some((u) => /^https?:/.test(u))) await must(admin.PATCH("/products/{productId}", { ...path(bundle!.id), body: { media: media("bundle") } }));
  ids.bundle = bundle!.id;
  for (const id of Object.values(ids)) {
    const p = await must(admin.GET("/products/{productId}", path(id)));
    if (p.status !== "published") await must(admin.POST("/products/{productId}/status", { ...path(id), body: { status: "published" } }));
  }
  // Two upstreams for the recharge: the cheap flaky one is tried first, the steady one is the fallback.
  // Each signs in its own scheme with its own sandbox test key (cheapco: sorted params + MD5, steadyco: HMAC headers).
  const creds = (name: keyof typeof SANDBOX_SUPPLIER_CREDENTIALS) => {
    const c = SANDBOX_SUPPLIER_CREDENTIALS[name];
    return { scheme: c.scheme, appId: c.appId ?? undefined, secret: c.secret };
  };
  await must(admin.POST("/suppliers", { body: { name: "cheapco", baseUrl: `${supplierUrl}/cheapco`, credentials: creds("cheapco"), products: [{ productId: ids.phone!, sku: "PHONE-30", costCents: 2950 }] } }));
  await must(admin.POST("/suppliers", { body: { name: "steadyco", baseUrl: `${supplierUrl}/steadyco`, credentials: creds("steadyco"), products: [{ productId: ids.phone!, sku: "PHONE-30", costCents: 2970 }] } }));
  return ids;
}

/** The ids of the published products a simulated order can be for (not coupons: those are given, not sold). */
export async function sellingProductIds(admin: ReturnType<typeof kaquanClient>): Promise<string[]> {
  const { products } = await must(admin.GET("/products"));
  return products.filter((p) => p.status === "published" && p.kind !== "coupon").map((p) => p.id);
}
