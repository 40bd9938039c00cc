import { describe, expect, it, vi } from "vitest";
import { CouponConfig } from "../../schema/catalog";
import { CAMPAIGN_PRODUCTS, SHOP_WIDE_SCOPE, upgradeOnlineCoupon } from "../../scripts/lib/seed-campaigns";
import { inScope } from "../../worker/domain/coupon-pricing";
import { CATALOG_PRODUCTS } from "../../scripts/lib/seed-catalog";
import { REDEMPTION_COUPON } from "../../scripts/lib/seed-redemption";
import { MAX_ORDER_QUANTITY } from "../../schema/orders";

type Seeded = { name: string; kind: string; scope?: string; config?: { coupon?: unknown } };
const seeded: Seeded[] = [...CATALOG_PRODUCTS.map((p) => p.body as Seeded), ...Object.values(CAMPAIGN_PRODUCTS) as Seeded[], REDEMPTION_COUPON];
const coupons = seeded.filter((p) => p.kind === "coupon");

describe("demo coupons (seed)", () => {
  it("a coupon whose scope is the online shop is usable at shop checkout; the store-only one says so", () => {
    expect(coupons.map((c) => c.name)).toEqual(expect.arrayContaining(["满100减20券", "20元无门槛券", "满50减10券", "到店满100减20券"]));
    for (const c of coupons) {
      const { online } = CouponConfig.parse(c.config!.coupon);
      const shopWide = c.scope!.includes("商城");
      expect([c.name, online]).toEqual([c.name, shopWide]);
      if (!online) expect([c.name, c.scope]).toEqual([c.name, expect.stringMatching(/门店/)]);
    }
  });

  it("a coupon whose copy says 不含直充 never applies to a direct recharge, and does apply to card keys", () => {
    const line = (kind: string) => ({ productId: "prd_x", kind, tags: [] as string[], unitPriceCents: 10_000, quantity: 1 });
    const saying = coupons.filter((c) => c.scope!.includes("不含直充"));
    expect(saying.length).toBeGreaterThanOrEqual(4);
    for (const c of saying) {
      const config = CouponConfig.parse(c.config!.coupon);
      expect([c.name, inScope(config, line("direct_recharge") as never), inScope(config, line("card_key") as never)]).toEqual([c.name, false, true]);
    }
  });

  it("every coupon usable at shop checkout can be used: one order of a seeded product it applies to reaches its threshold within the per-person limit", () => {
    type Item = { stock?: number; body: { kind: string; priceCents: number; perUserLimit?: number; stockTotal?: number } };
    const biggestOrder = (c: Seeded) => Math.max(...(CATALOG_PRODUCTS as readonly Item[]).map(({ stock, body: b }) => {
      if (!inScope(CouponConfig.parse(c.config!.coupon), { productId: "prd_x", kind: b.kind, tags: [], unitPriceCents: b.priceCents, quantity: 1 } as never)) return 0;
      const units = Math.min(MAX_ORDER_QUANTITY, b.perUserLimit || MAX_ORDER_QUANTITY, stock ?? b.stockTotal ?? MAX_ORDER_QUANTITY);
      return units * b.priceCents;
    }));
    for (const c of coupons) {
      const config = CouponConfig.parse(c.config!.coupon);
      if (config.online) expect([c.name, biggestOrder(c) >= config.thresholdCents]).toEqual([c.name, true]);
    }
  });

  it("brings a store-only coupon of an earlier demo state up to date once, and never fails a restart", async () => {
    const body = CAMPAIGN_PRODUCTS.newcomer;
    const calls: unknown[] = [];
    const admin = { PATCH: vi.fn(async (_path: string, init: unknown) => (calls.push(init), { data: {}, response: new Response("{}") })) };
    const old = { id: "prd_1", name: body.name, scope: body.scope!, config: { coupon: { thresholdCents: 5000, discountCents: 1000 } as { online?: boolean } } };
    await upgradeOnlineCoupon(admin as never, old, body);
    expect(calls).toEqual([{ params: { path: { productId: "prd_1" } }, body: { config: { coupon: { thresholdCents: 5000, discountCents: 1000, online: true, scope: SHOP_WIDE_SCOPE } } } }]);
    // Online but without the scope its copy states (不含直充): only the scope is added.
    await upgradeOnlineCoupon(admin as never, { ...old, config: { coupon: { ...old.config.coupon, online: true } } }, body);
    expect(calls.at(-1)).toEqual({ params: { path: { productId: "prd_1" } }, body: { config: { coupon: { thresholdCents: 5000, discountCents: 1000, online: true, scope: SHOP_WIDE_SCOPE } } } });
    calls.length = 1;
    // Already online and scoped, re-scoped by an operator, or a refusal from the API: nothing done, nothing thrown.
    await upgradeOnlineCoupon(admin as never, { ...old, config: { coupon: { ...old.config.coupon, online: true, scope: SHOP_WIDE_SCOPE } as { online?: boolean } } }, body);
    await upgradeOnlineCoupon(admin as never, { ...old, scope: "仅限门店" }, body);
    expect(calls).toHaveLength(1);
    const refusing = { PATCH: async () => ({ error: { error: { code: "not_publishable" } }, response: new Response("{}", { status: 422 }) }) };
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    await expect(upgradeOnlineCoupon(refusing as never, old, body)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});

describe("the demo brand's allowed origins", () => {
  it("follow the port the stack runs on (KAQUAN_PORT), under both local names", async () => {
    const { demoOrigins } = await import("../../scripts/lib/seed");
    expect(demoOrigins("http://127.0.0.1:8821")).toEqual(["http://127.0.0.1:8821", "http://localhost:8821", "http://127.0.0.1:4321", "http://localhost:4321"]);
    expect(demoOrigins("http://127.0.0.1:8787")).toContain("http://localhost:8787");
  });
});
