/**
 * npm run simulate — visitors against the running stack (npm start) through the same public routes the pages call,
 * so every dashboard number comes from events the product itself emits.
 *
 *   npm run simulate -- [--visitors 120] [--seed 1] [--slug demo] [--url http://127.0.0.1:8787]
 *
 * Each visitor lands with UTM parameters (wechat / douyin / weibo), through a share link of an earlier visitor, or
 * organically; is viewed via POST /track (anonymous device id first, then the session); starts a session the way the
 * pages do (the widget's campaign session, or a shop guest) with that acquisition; claims or draws on the brand's
 * live campaigns; shares some (POST /public/campaigns/{id}/shares); buys some products and pays them on the sandbox
 * cashier. Everything happens now: the API does not let a visitor backdate, so there is no simulated history (use
 * `npm run generate` / POST /events/import for a backfill). Same --seed = the same choices.
 */
import { parseArgs } from "node:util";
import { kaquanClient } from "./lib/api/client";
import { rng } from "./lib/sim-journeys";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.KAQUAN_URL ?? "http://127.0.0.1:8787" },
    visitors: { type: "string", default: "120" },
    seed: { type: "string", default: "1" },
    slug: { type: "string", default: "demo" },
  },
});
const kq = kaquanClient(values.url!);
const slug = values.slug!;
const rand = rng(Number(values.seed));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const store = { params: { path: { tenant: slug } } };
const inCampaign = (campaignId: string) => ({ params: { path: { campaignId } } });

/** Retries a 429 after its Retry-After (the per-IP session and tracking limits): a simulation is one busy client. */
async function call<R extends { response: Response }>(send: () => Promise<R>): Promise<R> {
  for (;;) {
    const r = await send();
    if (r.response.status !== 429) return r;
    await sleep(1000 * Number(r.response.headers.get("retry-after") ?? 1));
  }
}
const cookieOf = (r: { response: Response }) => (r.response.headers.get("set-cookie") ?? "").split(";")[0]!;

const campaigns = ((await kq.GET("/public/tenants/{slug}/campaigns", { params: { path: { slug } } })).data?.campaigns ?? [])
  .filter((c) => c.phase === "live");
const products = ((await kq.GET("/shop/{tenant}/products", store)).data?.products ?? [])
  .filter((p) => p.kind !== "direct_recharge"); // a recharge needs a phone number to top up

type TrackEvent = { type: "page_view" | "product_viewed"; path?: string; campaignId?: string; productId?: string };
const view = (who: Record<string, string>, deviceId: string, events: TrackEvent[]) =>
  call(() => kq.POST("/track", { body: { tenant: slug, deviceId, events }, headers: { ...who, "user-agent": "kaquan-simulate (Mozilla/5.0)" } }));

const shareCodes: string[] = [];
const n = { visitors: 0, signups: 0, views: 0, claims: 0, shares: 0, orders: 0, paid: 0 };
for (let i = 0; i < Number(values.visitors); i++) {
  const deviceId = `sim-${values.seed}-${i}-${Date.now().toString(36)}`;
  const r = rand();
  const acquisition: Record<string, string> = { deviceId };
  if (r < 0.35) Object.assign(acquisition, { utmSource: pick(["wechat", "douyin", "weibo"]), utmMedium: "social", utmCampaign: "sim" });
  else if (r < 0.55 && shareCodes.length) acquisition.share = pick(shareCodes);
  const campaign = campaigns.length && rand() < 0.7 ? pick(campaigns) : null;
  n.views += (await view({}, deviceId, [{ type: "page_view", path: campaign ? "/campaigns/" : "/shop/", ...(campaign ? { campaignId: campaign.id } : {}) }])).data?.accepted ?? 0;

  // The session the page would start: the widget's campaign session, or a shop guest; the cookie/token names the buyer.
  let auth: Record<string, string>;
  if (campaign) {
    const s = await call(() => kq.POST("/public/campaigns/{campaignId}/session", { ...inCampaign(campaign.id), body: { acquisition } }));
    if (!s.data) continue;
    auth = { authorization: `Bearer ${s.data.token}` };
    const adopt = await call(() => kq.POST("/shop/{tenant}/session", { ...store, body: { token: s.data!.token } }));
    auth.cookie = cookieOf(adopt);
  } else {
    const g = await call(() => kq.POST("/shop/{tenant}/guest", { ...store, body: { acquisition } }));
    if (!g.data) continue;
    auth = { cookie: cookieOf(g) };
  }
  n.visitors++;
  n.signups++;

  if (campaign) {
    const c = await call(() => kq.POST("/public/campaigns/{campaignId}/claims", { ...inCampaign(campaign.id), body: { requestId: `${deviceId}-claim` }, headers: auth }));
    if (c.response.status === 200) n.claims++;
    if (rand() < 0.3) {
      const sh = await call(() => kq.POST("/public/campaigns/{campaignId}/shares", { ...inCampaign(campaign.id), body: { channel: "wechat" }, headers: auth }));
      if (sh.data) {
        shareCodes.push(sh.data.code);
        n.shares++;
      }
    }
  }
  if (products.length && rand() < 0.5) {
    const p = pick(products);
    n.views += (await view(auth, deviceId, [{ type: "product_viewed", productId: p.id, path: "/shop/product/" }])).data?.accepted ?? 0;
    if (rand() < 0.5) {
      const o = await call(() => kq.POST("/shop/{tenant}/orders", { params: { path: { tenant: slug }, header: { "idempotency-key": `${deviceId}-order` } }, body: { productId: p.id }, headers: auth }));
      if (o.response.status === 201) n.orders++;
      const paymentId = o.data?.checkoutUrl?.split("/").pop();
      const pay = () => kq.POST("/pay/sandbox/checkout/{paymentId}/pay", { params: { path: { paymentId: paymentId! } } });
      if (paymentId && rand() < 0.8 && (await call(pay)).response.status === 200) n.paid++;
    }
  }
}
console.log(
  `simulate: ${n.visitors} visitors (${n.signups} sign-ups), ${n.views} views, ${n.claims} claims/draws, ${n.shares} shares, ` +
  `${n.orders} orders (${n.paid} paid) — all through the public routes`,
);
console.log(`Open ${values.url}/dashboard/ with the analyst key from .kaquan/demo-keys.json.`);
