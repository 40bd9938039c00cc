import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";

/**
 * Demo member tasks and points-mall items, so the 积分 and 积分商城 pages have something to do on a first start (a new
 * member checks in for +5 and finds tasks to earn more, and items to spend on). Idempotent: matched by name / title.
 * Mall items stand on products the catalog seed publishes (by name); one left out if its product is missing.
 */
const TASKS = [
  { kind: "complete_profile", name: "完善生日信息", points: 20, growth: 10 },
  { kind: "first_purchase", name: "完成首笔订单", points: 50, growth: 20 },
  { kind: "redeem_at_store", name: "到店核销一张券", points: 10, repeatable: true },
] as const;
const ITEMS = [
  // No per-buyer limit on the product: a member who bought it in the shop can still exchange for it (a limited one,
  // 新手礼包兑换码, would be refused with the points given back).
  { product: "到店满100减20券", title: "到店满100减20券 · 积分兑换", points: 20, stock: 200, perMemberLimit: 2 },
  { product: "满100减20券", title: "满100减20券 · 积分兑换", points: 100, stock: 500, perMemberLimit: 2 },
  { product: "音乐会员月卡", title: "音乐会员月卡 · 积分 + ¥4.90", points: 200, cashCents: 490, stock: 100, perMemberLimit: 1 },
];

export async function seedPoints(baseUrl: string, keys: Record<Scope, string>) {
  const op = kaquanClient(baseUrl, keys.operator);
  const { tasks } = await must(op.GET("/points/tasks"));
  for (const t of TASKS) if (!tasks.some((x) => x.name === t.name)) await must(op.POST("/points/tasks", { body: t }));
  const [{ items }, { products }] = await Promise.all([must(op.GET("/mall/items")), must(op.GET("/products"))]);
  for (const { product, ...item } of ITEMS) {
    const p = products.find((x) => x.name === product && x.status === "published");
    if (p && !items.some((x) => x.title === item.title)) await must(op.POST("/mall/items", { body: { productId: p.id, ...item } }));
  }
}
