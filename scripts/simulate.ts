/**
 * npm run simulate — realistic visitors against the running stack (npm start), so the dashboards show cohorts.
 *
 *   npm run simulate -- [--days 56] [--users 600] [--live 40] [--seed 1] [--url http://127.0.0.1:8787]
 *
 * History (SIMULATED, backdated): journeys over the last --days are sent through POST /api/v1/events/import, which
 * needs the tenant's admin key and marks every event payload.simulated = true. Same --seed = same event ids, so a
 * rerun does not double-count.
 * Live: --live visitors act now through the public API: storefront views and shares via POST /api/v1/track, and
 * claims/draws on the tenant's real campaigns (POST /api/v1/public/campaigns/{id}/claims) when there are any.
 * Keys come from .kaquan/demo-keys.json (written by npm start) unless --admin-key is given.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ApiClient } from "./lib/http";
import { rng, simulateJourneys, type World } from "./lib/sim-journeys";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.KAQUAN_URL ?? "http://127.0.0.1:8787" },
    days: { type: "string", default: "56" },
    users: { type: "string", default: "600" },
    live: { type: "string", default: "40" },
    seed: { type: "string", default: "1" },
    slug: { type: "string", default: "demo" },
    "admin-key": { type: "string" },
    "state-dir": { type: "string", default: process.env.KAQUAN_STATE_DIR ?? "." },
  },
});
const adminKey = values["admin-key"] ?? JSON.parse(readFileSync(`${values["state-dir"]}/.kaquan/demo-keys.json`, "utf8")).keys.admin;
const api = new ApiClient(values.url!, adminKey);
const pub = new ApiClient(values.url!);
const seed = Number(values.seed);

// The tenant's real campaigns and products when the catalog/campaign features provide them; named stand-ins otherwise.
async function world(): Promise<World> {
  const campaigns: World["campaigns"] = [];
  const listed = await pub.request<{ campaigns?: { id: string; kind: string; startsAt: string; endsAt: string }[] }>("GET", `/public/tenants/${values.slug}/campaigns`);
  // A campaign that has not started gets no simulated events (its dashboard stays empty until real visitors come).
  for (const c of (listed.data?.campaigns ?? []).filter((c) => Date.parse(c.startsAt) <= Date.now())) {
    campaigns.push({
      id: c.id, kind: c.kind === "lottery" ? "lottery" : c.kind === "flash_sale" ? "flash" : "coupon", costCents: c.kind === "lottery" ? 500 : 300,
      startsAt: Date.parse(c.startsAt), endsAt: Date.parse(c.endsAt),
    });
  }
  if (campaigns.length === 0) {
    campaigns.push({ id: "demo-spring-coupon", kind: "coupon", costCents: 300 }, { id: "demo-lucky-draw", kind: "lottery", costCents: 800 }, { id: "demo-flash-618", kind: "flash", costCents: 1500 });
  }
  const products: World["products"] = [];
  const shop = await pub.request<{ products?: { id: string; priceCents?: number; price_cents?: number }[] }>("GET", `/shop/${values.slug}/products`);
  for (const p of shop.data?.products ?? []) products.push({ id: p.id, priceCents: p.priceCents ?? p.price_cents ?? 1990 });
  if (products.length === 0) {
    for (const [id, price] of [["demo-iqiyi-month", 1990], ["demo-tencent-video-year", 14800], ["demo-didi-30off", 990], ["demo-mobile-topup-50", 4950], ["demo-starbucks-tall", 3100]] as const) {
      products.push({ id, priceCents: price });
    }
  }
  return { campaigns, products, suppliers: ["sup-alpha", "sup-beta", "sup-gamma"], stores: ["store-sh-01", "store-bj-02", "store-gz-03"] };
}

const w = await world();
const end = Date.now() - 60_000;
const start = end - Number(values.days) * 86_400_000;
const events = simulateJourneys({ seed, users: Number(values.users), start, end, world: w, runId: `s${seed}` });
console.log(`simulate: ${events.length.toLocaleString()} SIMULATED backdated events over ${values.days} days (${w.campaigns.length} campaigns, ${w.products.length} products) → /events/import`);
let sent = 0;
for (let i = 0; i < events.length; i += 1000) {
  await api.ok("POST", "/events/import", { events: events.slice(i, i + 1000) });
  // Paced: the local queue broker holds messages in memory and was seen to lose a backlog of tens of thousands.
  await new Promise((r) => setTimeout(r, 800));
  sent += Math.min(1000, events.length - i);
  process.stdout.write(`\r  imported ${sent.toLocaleString()} / ${events.length.toLocaleString()}`);
}
console.log();

// Live visitors: real public routes, current time.
const live = Number(values.live);
const rand = rng(seed + 1);
let tracked = 0;
let claims = 0;
for (let i = 0; i < live; i++) {
  const product = w.products[Math.floor(rand() * w.products.length)]!;
  const campaign = w.campaigns[Math.floor(rand() * w.campaigns.length)]!;
  // A visitor gets a guest buyer session from the campaign's brand, as the widget does; claims need one.
  const session = await pub.request<{ userId: string; token: string }>("POST", `/public/campaigns/${campaign.id}/session`);
  const userId = session.status === 200 ? session.data.userId : `live-${seed}-${Date.now().toString(36)}-${i}`;
  const evs: Record<string, string>[] = [
    { type: "page_view", userId, path: "/" },
    { type: "product_viewed", userId, productId: product.id },
  ];
  if (rand() < 0.5) {
    evs.push({ type: "page_view", userId, path: `/c/${campaign.id}`, campaignId: campaign.id });
    const r = await pub.request("POST", `/public/campaigns/${campaign.id}/claims`, { requestId: `${userId}-claim` }, {
      authorization: `Bearer ${session.data?.token ?? ""}`,
    });
    if (r.status === 200) claims++;
    if (rand() < 0.3) evs.push({ type: "share_sent", userId, campaignId: campaign.id });
  }
  const r = await pub.request("POST", "/track", { tenant: values.slug, events: evs });
  if (r.status === 202) tracked += evs.length;
  else if (r.status === 429) await new Promise((res) => setTimeout(res, 1000));
}
console.log(`simulate: live visitors ${live}: ${tracked} tracked events, ${claims} real campaign claims/draws`);
console.log(`Open ${values.url}/dashboard/ with the analyst key from .kaquan/demo-keys.json.`);
