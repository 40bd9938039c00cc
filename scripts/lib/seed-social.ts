import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";

/**
 * Demo friend assist and invite programme (issue 18), on the demo coupon, and a 2-person group buy (拼团) of the video
 * card. Idempotent: each is skipped once the brand has one of its kind. The consoles (/admin/assists/, /admin/groups/)
 * link their pages.
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
  // Two seats so one person with two browsers (or a phone and a laptop) can fill a team; a day to find the partner.
  const video = products.find((p) => p.kind === "card_key" && p.status === "published" && p.name === "视频会员月卡");
  const { groupBuys } = await must(admin.GET("/group-buys"));
  if (video && !groupBuys.length) {
    await must(admin.POST("/group-buys", {
      body: {
        productId: video.id, name: "视频会员月卡 2 人团", groupPriceCents: Math.max(1, video.priceCents - 500), teamSize: 2,
        teamMinutes: 1440, endsAt: new Date(Date.now() + 365 * 86_400_000).toISOString(),
      },
    }));
  }
  const { programmes } = await must(admin.GET("/invites"));
  if (!programmes.length) {
    await must(admin.POST("/invites/programmes", { body: { name: "邀请好友各得券", inviterProductId: coupon.id, inviteeProductId: coupon.id, active: true, rules: "" } }));
  }
}
