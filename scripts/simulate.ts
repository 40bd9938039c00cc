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
import { ApiClient } from "./lib/http";
import { rng } from "./lib/sim-journeys";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.KAQUAN_URL ?? "http://127.0.0.1:8787" },
    visitors: { type: "string", default: "120" },
    seed: { type: "string", default: "1" },
    slug: { type: "string", default: "demo" },
  },
});
const pub = new ApiClient(values.url!);
const slug = values.slug!;
const rand = rng(Number(values.seed));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const campaigns = ((await pub.request<{ campaigns?: { id: string; kind: string; phase?: string }[] }>("GET", `/public/tenants/${slug}/campaigns`)).data?.campaigns ?? [])
  .filter((c) => !c.phase || c.phase === "live");
const products = ((await pub.request<{ products?: { id: string; kind: string; priceCents: number }[] }>("GET", `/shop/${slug}/products`)).data?.products ?? [])
  .filter((p) => p.kind !== "direct_recharge"); // a recharge needs a phone number to top up

/** Retries a 429 after its Retry-After (the per-IP session and tracking limits): a simulation is one busy client. */
async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  for (;;) {
    const r = await pub.request<T>(method, path, body, headers);
    if (r.status !== 429) return r;
    await sleep(1000 * Number(r.headers.get("retry-after") ?? 1));
  }
}

const view = (who: Record<string, string>, deviceId: string, events: Record<string, string>[]) =>
  call("POST", "/track", { tenant: slug, deviceId, events }, { ...who, "user-agent": "kaquan-simulate (Mozilla/5.0)" });

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
    const s = await call<{ token: string }>("POST", `/public/campaigns/${campaign.id}/session`, { acquisition });
    if (s.status !== 200) continue;
    auth = { authorization: `Bearer ${s.data.token}` };
    const adopt = await call("POST", `/shop/${slug}/session`, { token: s.data.token });
    auth.cookie = (adopt.headers.get("set-cookie") ?? "").split(";")[0]!;
  } else {
    const g = await call("POST", `/shop/${slug}/guest`, { acquisition });
    if (g.status !== 200) continue;
    auth = { cookie: (g.headers.get("set-cookie") ?? "").split(";")[0]! };
  }
  n.visitors++;
  n.signups++;

  if (campaign) {
    const c = await call("POST", `/public/campaigns/${campaign.id}/claims`, { requestId: `${deviceId}-claim` }, auth);
    if (c.status === 200) n.claims++;
    if (rand() < 0.3) {
      const sh = await call<{ code: string }>("POST", `/public/campaigns/${campaign.id}/shares`, { channel: "wechat" }, auth);
      if (sh.status === 201) {
        shareCodes.push(sh.data.code);
        n.shares++;
      }
    }
  }
  if (products.length && rand() < 0.5) {
    const p = pick(products);
    n.views += (await view(auth, deviceId, [{ type: "product_viewed", productId: p.id, path: "/shop/product/" }])).data?.accepted ?? 0;
    if (rand() < 0.5) {
      const o = await call<{ checkoutUrl?: string }>("POST", `/shop/${slug}/orders`, { productId: p.id }, { ...auth, "idempotency-key": `${deviceId}-order` });
      if (o.status === 201) n.orders++;
      const paymentId = o.data?.checkoutUrl?.split("/").pop();
      if (paymentId && rand() < 0.8 && (await call("POST", `/pay/sandbox/checkout/${paymentId}/pay`)).status === 200) n.paid++;
    }
  }
}
console.log(
  `simulate: ${n.visitors} visitors (${n.signups} sign-ups), ${n.views} views, ${n.claims} claims/draws, ${n.shares} shares, ` +
  `${n.orders} orders (${n.paid} paid) — all through the public routes`,
);
console.log(`Open ${values.url}/dashboard/ with the analyst key from .kaquan/demo-keys.json.`);
