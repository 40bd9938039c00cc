import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";

/**
 * Demo friend assist and invite programme (issue 18), on the demo coupon. Idempotent: skipped once the brand has any.
 * The console (/admin/assists/) links each activity's member page.
 */
export async function seedSocial(baseUrl: string, keys: Record<Scope, string>) {
  const admin = kaquanClient(baseUrl, keys.admin);
  const { products } = await must(admin.GET("/products"));
  const coupon = products.find((p) => p.kind === "coupon" && p.status === "published");
  if (!coupon) return;
  const { assists } = await must(admin.GET("/assists"));
  if (!assists.length) {
    const now = Date.now();
    await must(admin.POST("/assists", {
      body: {
        name: "3 人助力领券", productId: coupon.id, goal: 3, hours: 24, startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 365 * 86_400_000).toISOString(), requirePhone: false, onePerDevice: true, rules: "奖励券以券面有效期为准。",
      },
    }));
  }
  const { programmes } = await must(admin.GET("/invites"));
  if (!programmes.length) {
    await must(admin.POST("/invites/programmes", { body: { name: "邀请好友各得券", inviterProductId: coupon.id, inviteeProductId: coupon.id, active: true, rules: "" } }));
  }
}
