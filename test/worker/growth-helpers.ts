import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { currentConsentVersion } from "../../schema/privacy";
import { api, otpIn } from "./helpers";
import { FUTURE, shopWithKeys } from "./commerce-helpers";

const rnd = () => Math.floor(Math.random() * 250) + 1;

/** A phone (or a browser profile): its own cookie jar (session + device cookies) and client IP. */
export class Phone {
  cookies = new Map<string, string>();
  ip = `10.${rnd()}.${rnd()}.${rnd()}`;
  constructor(readonly slug: string) {}
  async call(path: string, init: { method?: string; json?: unknown; headers?: Record<string, string> } = {}) {
    const headers = new Headers({ "cf-connecting-ip": this.ip, ...init.headers });
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    if (init.json !== undefined) headers.set("content-type", "application/json");
    const res = await exports.default.fetch(`http://kaquan.test/api/v1/shop/${this.slug}${path}`, {
      method: init.method ?? "GET", headers, body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  post = (path: string, json?: unknown) => this.call(path, { method: "POST", json });
  async guest() {
    expect((await this.post("/guest", {})).status).toBeLessThan(300);
    return this;
  }
  async member() {
    await this.guest();
    expect((await this.post("/member/join")).status).toBe(200);
    return this;
  }
  async signIn(phone: string) {
    // The per-phone send throttle: an earlier code of this test's phone counts as long ago.
    await env.DB.prepare("UPDATE otp_codes SET created_at = '2000-01-01T00:00:00.000Z' WHERE tenant_id = (SELECT id FROM tenants WHERE slug = ?)").bind(this.slug).run();
    expect((await this.post("/otp", { phone })).status).toBe(200);
    const sms = await this.call(`/dev/sms?phone=${phone}`);
    const code = otpIn(sms.body.messages);
    const r = await this.post("/otp/verify", { phone, code, consent: { version: currentConsentVersion("phone_sign_in"), accepted: true } });
    expect(r.status).toBe(200);
    return this;
  }
  /** Another session on this same device (the device cookie kept, the session dropped). */
  sameDevice() {
    const p = new Phone(this.slug);
    for (const [k, v] of this.cookies) if (k.startsWith("kq_dev_")) p.cookies.set(k, v);
    return p;
  }
  /** Buys the card-key product and pays from this sandbox wallet; the order id. */
  async buyAndPay(productId: string, wallet: string) {
    const o = await this.call("/orders", { method: "POST", json: { productId }, headers: { "idempotency-key": crypto.randomUUID() } });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    const payUrl = o.body.checkoutUrl as string;
    const paid = await exports.default.fetch(`http://kaquan.test${payUrl}/pay`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ payerAccount: wallet }),
    });
    expect(paid.status).toBe(200);
    return o.body.order?.id ?? o.body.id;
  }
}

export async function coupon(adminKey: string, name: string) {
  const p = await api("/products", {
    method: "POST", token: adminKey,
    json: { kind: "coupon", name, priceCents: 0, faceValueCents: 1000, validity: FUTURE, scope: "全场商品", config: { coupon: { thresholdCents: 5000, discountCents: 1000 } } },
  });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  return p.body.id as string;
}

export async function brand(keys = 40) {
  const s = await shopWithKeys(keys);
  return { ...s, reward: await coupon(s.adminKey, "助力奖励券") };
}

export async function assist(adminKey: string, productId: string, over: Record<string, unknown> = {}) {
  const a = await api("/assists", {
    method: "POST", token: adminKey,
    json: { name: "5 人助力得券", productId, goal: 5, hours: 24, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), ...over },
  });
  expect(a.status, JSON.stringify(a.body)).toBe(201);
  return a.body.id as string;
}

export async function programme(b: Awaited<ReturnType<typeof brand>>) {
  const inviteeReward = await coupon(b.adminKey, "新人券");
  const g = await api("/invites/programmes", { method: "POST", token: b.adminKey, json: { name: "邀请有礼", inviterProductId: b.reward, inviteeProductId: inviteeReward } });
  expect(g.status, JSON.stringify(g.body)).toBe(201);
  return { programmeId: g.body.id as string, inviteeReward };
}

export async function inviteCode(p: Phone) {
  const r = await p.call("/member/invites");
  expect(r.status).toBe(200);
  return r.body.code as string;
}
