import { existsSync, writeFileSync } from "node:fs";
import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";
import { sellingProductIds } from "./seed-catalog";
import { productOf, rng, type SimEvent } from "./sim-journeys";

const DAY = 86_400_000;

/**
 * Demo targeting (issue 19 items 4-5): lifecycle flows switched on with the demo coupon, a targeted issuance of it to
 * the first computed segment (when the segments API is there and nothing was issued yet; the cron works through it),
 * and 60 days of simulated flow history (win-back messages and the orders that followed, expiry reminders and the
 * coupons used after them) imported once, so /admin/issuances/ and the dashboard's 精准营销 views are not empty.
 */
export async function seedOutreach(baseUrl: string, keys: Record<Scope, string>, stateDir: string) {
  const admin = kaquanClient(baseUrl, keys.admin);
  const { products } = await must(admin.GET("/products"));
  const coupon = products.find((p) => p.kind === "coupon" && p.status === "published");
  if (!coupon) return;
  const settings = await must(admin.GET("/outreach/settings"));
  if (!Object.values(settings.flows ?? {}).some((f) => f?.enabled)) {
    await must(admin.PUT("/outreach/settings", {
      body: {
        ...settings,
        flows: {
          expiryReminder: { enabled: true, days: 3 }, revive: { enabled: true, validityDays: 3, withinDays: 30 },
          winBack: { enabled: true, dormantDays: 60, couponProductId: coupon.id }, birthday: { enabled: true, couponProductId: coupon.id },
        },
      },
    }));
  }
  const { issuances } = await must(admin.GET("/issuances"));
  if (!issuances.length) {
    // Segments come from their own API (issue 19 item 3); without one there is nothing to target yet.
    const res = await fetch(`${baseUrl}/api/v1/segments`, { headers: { authorization: `Bearer ${keys.admin}` } });
    const segments = res.ok ? ((await res.json()) as { segments?: { id: string; size: number }[] }).segments ?? [] : [];
    const segment = segments.find((s) => s.size > 0);
    if (segment) await must(admin.POST("/issuances", { body: { segmentId: segment.id, couponProductId: coupon.id, holdoutPct: 10, notify: true } }));
  }
  const marker = `${stateDir}/demo-outreach-imported`;
  if (existsSync(marker)) return;
  const end = Date.now() - 60_000;
  const events = simulateFlows(end, coupon.id, await sellingProductIds(admin));
  await must(admin.POST("/events/import", { body: { events: events as never } }));
  writeFileSync(marker, new Date(end).toISOString());
}

/**
 * Win-back: 40 dormant people messaged, about a third pay within 30 days; reminders: 60 coupons (valid 7 days, each
 * issued before its reminder, so the 核销 card counts it as issued as well as redeemed), about half used in time.
 */
export function simulateFlows(end: number, couponProductId: string, productIds: string[] = []): SimEvent[] {
  const rand = rng(19);
  const run = end.toString(36);
  const out: SimEvent[] = [];
  let n = 0;
  const emit = (type: SimEvent["type"], at: number, userId: string, payload: SimEvent["payload"]) => {
    if (at < end) out.push({ eventId: `sim-${run}-o${n++}`, type, occurredAt: new Date(at).toISOString(), actor: { userId }, payload });
  };
  for (let i = 0; i < 40; i++) {
    const user = `sim-${run}-wb${i}`;
    const at = end - 60 * DAY + rand() * 55 * DAY;
    emit("message_sent", at, user, { flow: "win_back", trigger: `t${i}`, channel: rand() < 0.7 ? "sms" : "webhook", couponProductId });
    if (rand() < 0.35) emit("order_paid", at + rand() * 20 * DAY, user, { orderId: `sim-${run}-wbo${i}`, amountCents: 1000 + Math.floor(rand() * 9000), ...productOf(productIds, i) });
  }
  for (let i = 0; i < 60; i++) {
    const user = `sim-${run}-er${i}`;
    const voucherId = `sim-${run}-v${i}`;
    const at = end - 60 * DAY + rand() * 55 * DAY;
    emit("voucher_issued", at - 4 * DAY, user, { voucherId, productId: couponProductId, kind: "coupon", costCents: 0 });
    emit("message_sent", at, user, { flow: "expiry_reminder", trigger: voucherId, channel: "sms", voucherId, couponProductId });
    if (rand() < 0.5) emit("voucher_redeemed", at + rand() * 2 * DAY, user, { voucherId, productId: couponProductId });
    else emit("voucher_expired", at + 3 * DAY, user, { voucherId, productId: couponProductId });
  }
  return out;
}
