import { env } from "cloudflare:workers";
import { newId } from "../../worker/domain/crypto";
import { issueVoucher } from "../../worker/services/vouchers";
import { api, createTenant, PLATFORM } from "./helpers";

/** A brand with an admin key, a redeemer key, a store, and a product to issue vouchers of. */
export async function redemptionBrand(opts: { config?: object; kind?: string } = {}) {
  const { tenant, adminKey } = await createTenant("Redeem Brand");
  const redeemer = await api(`/platform/tenants/${tenant.id}/keys`, { method: "POST", token: PLATFORM, json: { name: "pos", scopes: ["redeemer"] } });
  const store = await api("/stores", { method: "POST", token: adminKey, json: { name: "南京西路店", address: "上海" } });
  const productId = newId("prd");
  await env.DB.prepare(
    `INSERT INTO products (id, tenant_id, kind, name, price_cents, face_value_cents, config, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'published')`,
  )
    .bind(productId, tenant.id, opts.kind ?? "coupon", "满100减20券", 0, 2000, JSON.stringify(opts.config ?? {}))
    .run();
  return { tenant, adminKey, redeemerKey: redeemer.body.secret as string, redeemerKeyId: redeemer.body.id as string, store: store.body, productId };
}

let n = 0;
export async function issue(tenantId: string, productId: string, holderId = "buyer_1") {
  const { voucher } = await issueVoucher(env, { tenantId, holderId, productId, sourceKey: `test:${Date.now()}:${n++}` });
  return voucher;
}

export function redeemReq(token: string, body: object, idem = newId("idem")) {
  return api("/redemptions", { method: "POST", token, json: body, headers: { "idempotency-key": idem } });
}
