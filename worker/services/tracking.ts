/**
 * /track: page views from the pages. The visitor is the session's buyer or, before one exists, the page's anonymous
 * device id; known bots are dropped; a reload of the same page by the same visitor within RELOAD_WINDOW_MS counts once.
 */
import type { TrackEvent, TrackInput } from "../../schema/tracking";
import { sessionToken, verifySession } from "../domain/buyer-session";
import { isBot } from "../domain/bots";
import { countViews } from "../db/track-views";
import { ApiError, validationMessage } from "../errors";
import { emitEventBundles, type EventInput } from "../queue/emit";
import { embeddingOrigin } from "./acquisition";

export const RELOAD_WINDOW_MS = 30_000;

export interface TrackRequest {
  tenant: { id: string; slug: string };
  headers: Headers;
  url: string;
}

export async function trackViews(env: Env, input: TrackInput, req: TrackRequest): Promise<{ accepted: number; ignored: number }> {
  if (isBot(req.headers.get("user-agent"))) return { accepted: 0, ignored: input.events.length };
  const userId = await verifySession(env.BUYER_SESSION_SECRET, req.tenant.id, sessionToken(req.headers, req.tenant.slug));
  const deviceId = input.deviceId ?? null;
  if (!userId && !deviceId) {
    const issues = [{ path: "json.deviceId", message: "deviceId is required without a session", code: "invalid_type" }];
    throw ApiError.badRequest("validation_failed", validationMessage("json", issues), issues);
  }
  const origin = embeddingOrigin(req.headers, req.url);
  const visitor = userId ? `u:${userId}` : `d:${deviceId}`;
  const keys = input.events.map((e) => [req.tenant.id, visitor, e.type, e.path ?? "", e.productId ?? "", e.campaignId ?? "", origin ?? ""].join("|"));
  const fresh = await countViews(env.DB, keys, Date.now(), RELOAD_WINDOW_MS);
  const counted = input.events.filter((_, i) => fresh[i]);
  await emitEventBundles(
    env,
    counted.map((e) => e.type === "recommendation_shown" || e.type === "recommendation_clicked" ? recommendationEvent(req.tenant.id, { userId, deviceId }, e) : ({
      tenantId: req.tenant.id,
      type: e.type,
      actor: { userId, deviceId },
      payload: {
        ...(e.campaignId ? { campaignId: e.campaignId } : {}),
        ...(e.productId ? { productId: e.productId } : {}),
        ...(e.path ? { path: e.path } : {}),
        ...(e.shareLink ? { shareLink: e.shareLink } : {}),
        ...(origin ? { origin } : {}),
      },
    }) as EventInput),
  );
  return { accepted: counted.length, ignored: input.events.length - counted.length };
}

/** Recommendation events carry only their own fields (their payloads are strict: no path or attribution). */
function recommendationEvent(tenantId: string, actor: { userId: string | null; deviceId: string | null }, e: TrackEvent): EventInput {
  return e.type === "recommendation_shown"
    ? { tenantId, type: e.type, actor, payload: { surface: e.surface!, productId: e.productId ?? null, items: e.items ?? 0 } }
    : { tenantId, type: "recommendation_clicked", actor, payload: { surface: e.surface!, productId: e.productId!, fromProductId: e.fromProductId ?? null, position: e.position ?? 0 } };
}
