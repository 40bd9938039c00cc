import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";

const DAILY = (span: string) => ({ mon: [span], tue: [span], wed: [span], thu: [span], fri: [span], sat: [span], sun: [span] });
/** WGS-84 coordinates (what phones report) and Beijing-time hours; 徐家汇店 stays open past midnight at weekends. */
const STORES = [
  { name: "南京西路旗舰店", address: "上海市静安区南京西路 1 号", city: "上海", lat: 31.2353, lng: 121.4747, hours: DAILY("10:00-22:00") },
  { name: "徐家汇店", address: "上海市徐汇区漕溪北路 2 号", city: "上海", lat: 31.1955, lng: 121.4375,
    hours: { ...DAILY("10:00-21:00"), fri: ["10:00-02:00"], sat: ["10:00-02:00"] } },
  { name: "北京三里屯店", address: "北京市朝阳区三里屯路 19 号", city: "北京", lat: 39.9334, lng: 116.454, hours: DAILY("11:00-23:00") },
];
const COUPON = "到店满100减20券";
/** The one store-only demo coupon: its scope names the stores, and it is not offered at shop checkout (online false). */
export const REDEMPTION_COUPON = {
  kind: "coupon",
  name: COUPON,
  subtitle: "到店消费满 100 元立减 20 元",
  priceCents: 100,
  faceValueCents: 2000,
  validity: { kind: "relative", days: 30 },
  scope: "仅限门店使用：南京西路旗舰店、徐家汇店",
  usageRules: "每单限用一张；出示券码二维码由店员扫码核销",
  tutorial: "到店结账时打开「我的券」，出示二维码给店员扫码",
  stockTotal: 10000,
  config: { coupon: { thresholdCents: 10000, discountCents: 2000, online: false } },
} as const;

export interface RedemptionSeed {
  stores: { id: string; name: string }[];
  /** A bought, still-issued coupon to try in the merchant console (/merchant) and on /verify. */
  voucherCode: string | null;
}

/**
 * Idempotent demo data for redemption: two stores, the redeemer key bound to the first, "replace" as the
 * compensation policy, a store-redeemable coupon, and one coupon bought by a guest so the console has something
 * to redeem. A still-unredeemed demo voucher from an earlier start is reused.
 */
export async function seedRedemption(baseUrl: string, keys: Record<Scope, string>, stateDir: string, slug = "demo"): Promise<RedemptionSeed> {
  const admin = kaquanClient(baseUrl, keys.admin);
  const { stores } = await must(admin.GET("/stores"));
  for (const s of STORES) {
    const known = stores.find((x) => x.name === s.name);
    if (!known) stores.push(await must(admin.POST("/stores", { body: s })));
    // A store from before locations existed gets its coordinates, city and hours.
    else if (known.lat === null) Object.assign(known, await must(admin.PATCH("/stores/{storeId}", { params: { path: { storeId: known.id } }, body: { city: s.city, lat: s.lat, lng: s.lng, hours: s.hours } })));
  }
  const me = await must(kaquanClient(baseUrl, keys.redeemer).GET("/redeemer-keys/me"));
  if (!me.storeId) await must(admin.PUT("/redeemer-keys/{keyId}", { params: { path: { keyId: me.apiKeyId } }, body: { storeId: stores[0]!.id } }));
  await must(admin.PUT("/compensation-policy", { body: { policy: "replace", productId: null } }));

  const { products } = await must(admin.GET("/products"));
  let product = products.find((p) => p.name === COUPON);
  if (!product) {
    product = await must(admin.POST("/products", { body: REDEMPTION_COUPON }));
    // The two Shanghai stores only (the product's scope says so); other coupons are good at every store.
    const shanghai = stores.filter((s) => s.name === STORES[0]!.name || s.name === STORES[1]!.name);
    await must(admin.PUT("/products/{productId}/stores", { params: { path: { productId: product!.id } }, body: { storeIds: shanghai.map((s) => s.id) } }));
  }
  if (product!.status !== "published") {
    await must(admin.POST("/products/{productId}/status", { params: { path: { productId: product!.id } }, body: { status: "published" } }));
  }

  const file = `${stateDir}/demo-voucher.json`;
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { code?: string }).code : undefined;
  if (saved) {
    const st = await must(kaquanClient(baseUrl).GET("/voucher-status", { params: { query: { codes: saved } } }));
    if (st.vouchers[0]?.status === "issued") return { stores, voucherCode: saved };
  }
  const voucherCode = await buyAsGuest(baseUrl, slug, product!.id);
  if (voucherCode) writeFileSync(file, JSON.stringify({ code: voucherCode }));
  return { stores, voucherCode };
}

export async function buyAsGuest(baseUrl: string, slug: string, productId: string): Promise<string | null> {
  const guest = await fetch(`${baseUrl}/api/v1/shop/${slug}/guest`, { method: "POST" });
  const cookie = (guest.headers.get("set-cookie") ?? "").split(";")[0]!;
  const order = await fetch(`${baseUrl}/api/v1/shop/${slug}/orders`, {
    method: "POST",
    headers: { cookie, "content-type": "application/json", "idempotency-key": `seed-${crypto.randomUUID()}` },
    body: JSON.stringify({ productId }),
  });
  const o = (await order.json()) as { checkoutUrl?: string };
  if (!o.checkoutUrl) return null;
  await fetch(`${baseUrl}${o.checkoutUrl}/pay`, { method: "POST" });
  const mine = (await (await fetch(`${baseUrl}/api/v1/shop/${slug}/vouchers`, { headers: { cookie } })).json()) as { vouchers?: { code: string }[] };
  return mine.vouchers?.[0]?.code ?? null;
}
