/** Operator settings of messaging and flows, the message log, and the public unsubscribe link (issue 19 item 5). */
import { OutreachSettings, UnsubscribeScope, type Flow } from "../../schema/outreach";
import { readUnsubscribeToken } from "../domain/outreach";
import { getBuyer } from "../db/buyers";
import { insertUnsubscribeStmt, messageCounts, putSettings, recentMessages, unsubscribed } from "../db/outreach";
import { getTenant } from "../db/tenants";
import { ApiError } from "../errors";
import { assertCouponProduct } from "./issuances";
import { outreachSettings } from "./messaging";
import { setMarketingConsent } from "./privacy";

export const getOutreachSettings = outreachSettings;

/** Saves the settings; a flow's coupon must be a coupon product of this brand (422 on its path). */
export async function saveOutreachSettings(env: Env, tenantId: string, s: OutreachSettings): Promise<OutreachSettings> {
  if (s.flows.winBack.couponProductId) await assertCouponProduct(env, tenantId, s.flows.winBack.couponProductId, "json.flows.winBack.couponProductId");
  if (s.flows.birthday.couponProductId) await assertCouponProduct(env, tenantId, s.flows.birthday.couponProductId, "json.flows.birthday.couponProductId");
  if (s.flows.winBack.enabled && !s.flows.winBack.couponProductId) {
    throw new ApiError(422, "coupon_required", "Win-back needs a coupon", [{ path: "json.flows.winBack.couponProductId", message: "required when win-back is on", code: "coupon_required" }]);
  }
  await putSettings(env.DB, tenantId, JSON.stringify(s));
  return outreachSettings(env, tenantId);
}

export async function messageLog(env: Env, tenantId: string) {
  const [rows, counts] = await Promise.all([recentMessages(env.DB, tenantId, 50), messageCounts(env.DB, tenantId)]);
  return {
    messages: rows.map((m) => ({
      id: m.id, flow: m.flow as Flow, triggerKey: m.trigger_key, channel: m.channel, status: m.status as "sent" | "deferred" | "suppressed", reason: m.reason,
      memberMasked: m.phone_masked, sendAfter: m.send_after, sentAt: m.sent_at, createdAt: m.created_at,
    })),
    counts,
  };
}

const badToken = () => ApiError.badRequest("invalid_token", "This unsubscribe link is not valid", [{ path: "token", message: "not signed for this store", code: "invalid_token" }]);

async function tokenOf(env: Env, tenantId: string, token: string) {
  const r = await readUnsubscribeToken(env.BUYER_SESSION_SECRET, tenantId, token);
  const scope = UnsubscribeScope.safeParse(r?.scope);
  if (!r || !scope.success) throw badToken();
  return { buyerId: r.buyerId, scope: scope.data };
}

/** What a link would unsubscribe from (the page shows it before the one tap). */
export async function viewUnsubscribe(env: Env, tenantId: string, token: string) {
  const { buyerId, scope } = await tokenOf(env, tenantId, token);
  const tenant = await getTenant(env.DB, tenantId);
  return { scope, brand: tenant?.name ?? "", unsubscribed: !!(await unsubscribed(env.DB, tenantId, buyerId, scope)) };
}

/** One tap: no more messages of this flow — or, with `all`, none at all (marketing consent withdrawn too). */
export async function unsubscribe(env: Env, tenantId: string, token: string, all: boolean) {
  const t = await tokenOf(env, tenantId, token);
  const scope = all ? "all" : t.scope;
  await insertUnsubscribeStmt(env.DB, tenantId, t.buyerId, scope).run();
  if (scope === "all") {
    const buyer = await getBuyer(env.DB, tenantId, t.buyerId);
    if (buyer?.kind === "phone") await setMarketingConsent(env, tenantId, buyer, false);
  }
  const tenant = await getTenant(env.DB, tenantId);
  return { scope, brand: tenant?.name ?? "", unsubscribed: true };
}
