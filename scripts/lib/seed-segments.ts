import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";

/**
 * Demo segments (idempotent, by name): two rules segments computed once and one uploaded list of the demo's members, so /admin/segments/ is not empty: high-value regulars and
 * members dormant for 30 days. Their members are the demo's real buyers that match (the simulated history's users
 * are not buyers in D1, so sizes start small); the cron refreshes them.
 */
export async function seedSegments(baseUrl: string, keys: Record<Scope, string>) {
  const admin = kaquanClient(baseUrl, keys.admin);
  const { segments } = await must(admin.GET("/segments"));
  const wanted = [
    { name: "高价值老客（买过 2 次以上，累计 ≥ ¥100）", rules: { frequency: { min: 2 }, monetaryCents: { min: 10_000 } }, refreshMinutes: 60 },
    { name: "沉睡 30 天", rules: { dormantDays: 30 }, refreshMinutes: 1440 },
  ];
  for (const w of wanted) {
    if (segments.some((s) => s.name === w.name)) continue;
    const made = await must(admin.POST("/segments", { body: w as never }));
    await admin.POST("/segments/{segmentId}/compute", { params: { path: { segmentId: made.id } } });
  }
  // An uploaded list (as a brand would bring from its stores' CRM): the demo's real members by card number, so the
  // segment has people to target (the targeted-coupon demo issues to it).
  const UPLOADED = "门店会员名单（导入）";
  if (segments.some((s) => s.name === UPLOADED)) return;
  const { members } = await must(admin.GET("/members", { params: { query: { limit: 100 } } }));
  if (!members.length) return;
  await must(admin.POST("/segments/uploads", { body: { name: UPLOADED, csv: ["card_no", ...members.map((m) => m.cardNo)].join("\n") } }));
}
