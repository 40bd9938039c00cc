import { existsSync, writeFileSync } from "node:fs";
import type { Scope } from "../../schema/tenancy";
import { kaquanClient, must } from "./api/client";

/** Who bought what together (demo guests): enough co-purchases for 其他人也买了 and 为你推荐 to show something. */
const BASKETS = [
  ["视频会员月卡", "音乐会员月卡", "满100减20券"],
  ["视频会员月卡", "音乐会员月卡"],
  ["视频会员月卡", "音乐会员月卡", "视听双享包"],
  ["视频会员月卡", "到店满100减20券"],
  ["音乐会员月卡", "满100减20券"],
  ["视频会员月卡", "新手礼包兑换码"],
  ["音乐会员月卡", "视听双享包"],
];

/**
 * Demo paid orders from a few guests buying baskets (once per state directory), then one recommendation refresh
 * (the cron does it hourly; a run that found nothing is retried after 5 minutes) once the warehouse has them.
 */
export async function seedRecommendations(baseUrl: string, keys: Record<Scope, string>, stateDir: string, slug = "demo") {
  const marker = `${stateDir}/demo-copurchases.json`;
  const admin = kaquanClient(baseUrl, keys.admin);
  if (!existsSync(marker)) {
    const { products } = await must(admin.GET("/products"));
    const byName = new Map(products.filter((p) => p.status === "published").map((p) => [p.name, p.id]));
    let orders = 0;
    for (const basket of BASKETS) {
      const guest = await fetch(`${baseUrl}/api/v1/shop/${slug}/guest`, { method: "POST" });
      const cookie = (guest.headers.get("set-cookie") ?? "").split(";")[0]!;
      for (const name of basket) {
        const productId = byName.get(name);
        if (!productId) continue;
        const res = await fetch(`${baseUrl}/api/v1/shop/${slug}/orders`, {
          method: "POST",
          headers: { cookie, "content-type": "application/json", "idempotency-key": `seed-reco-${crypto.randomUUID()}` },
          body: JSON.stringify({ productId }),
        });
        const o = (await res.json()) as { checkoutUrl?: string };
        if (o.checkoutUrl && (await fetch(`${baseUrl}${o.checkoutUrl}/pay`, { method: "POST" })).ok) orders++;
      }
    }
    writeFileSync(marker, JSON.stringify({ orders, at: new Date().toISOString() }));
  }
  // The paid events travel worker → queue → warehouse: refresh once every event recorded so far is stored (a refresh
  // over part of them would cache lists that miss some baskets for an hour), then until the lists are there (or give
  // up; the cron retries).
  await eventsStored(admin, 60_000);
  for (let i = 0; i < 20; i++) {
    const state = await must(admin.POST("/recommendations/refresh"));
    if (state.outcome === "refreshed" && state.lists > 1) return state;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return null;
}

/** Waits (at most `maxMs`) until no event waits in the outbox or in flight to the warehouse (GET /health). */
async function eventsStored(api: ReturnType<typeof kaquanClient>, maxMs: number): Promise<boolean> {
  const until = Date.now() + maxMs;
  for (;;) {
    // 503 (a component down) carries the same body.
    const health = await api.GET("/health").then(({ data, error }) => data ?? error, () => undefined);
    const events = health?.events;
    if (events && events.outbox.pending === 0 && events.inFlight.messages === 0) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}
