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
  // An uploaded list, as a brand brings one from its stores' CRM: the demo's recent buyers (by buyer id, from the
  // orders export), so the segment has real people to target (the targeted-coupon demo issues to it).
  const UPLOADED = "近期下单顾客（导入名单）";
  if (segments.some((s) => s.name === UPLOADED)) return;
  const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
  const res = await fetch(`${baseUrl}/api/v1/exports/orders?format=ndjson&from=${from}&to=${new Date(Date.now() + 60_000).toISOString()}`, {
    headers: { authorization: `Bearer ${keys.admin}` },
  });
  if (!res.ok) return;
  const buyers = [...new Set((await res.text()).split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { buyerId: string }).buyerId))];
  if (!buyers.length) return;
  await must(admin.POST("/segments/uploads", { body: { name: UPLOADED, csv: ["buyer_id", ...buyers].join("\n") } }));
}
