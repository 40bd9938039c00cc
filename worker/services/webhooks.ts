import type { z } from "@hono/zod-openapi";
import { encodeListCursor } from "../domain/after-sale";
import { listPosition } from "./list-cursor";
import type { CreateWebhookEndpointInput, UpdateWebhookEndpointInput, WebhookEndpoint } from "../../schema/webhooks";
import {
  deleteEndpoint, getDelivery, getEndpoint, insertEndpoint, listAttempts, listDeliveries, listEndpoints, rearmDeliveries, rotateEndpointSecret,
  toDelivery, toEndpoint, updateEndpoint, type DeliveryStatus,
} from "../db/webhooks";
import { newId } from "../domain/crypto";
import { sealSecret } from "../domain/secret-box";
import { newWebhookSecret } from "../domain/standard-webhooks";
import { assertOutboundUrl } from "./outbound-url";
import { ApiError } from "../errors";
import { enqueue, forgetEndpoints } from "../queue/webhooks";

type WebhookEnv = Pick<Env, "DB" | "WEBHOOKS" | "CARD_KEY_ENCRYPTION_KEY" | "ENVIRONMENT">;

const checkUrl = (env: WebhookEnv, url: string) => assertOutboundUrl(env, url, "json.url", "invalid_webhook_url", "Webhook URL");

export async function createEndpoint(env: WebhookEnv, tenantId: string, input: z.infer<typeof CreateWebhookEndpointInput>) {
  checkUrl(env, input.url);
  const secret = newWebhookSecret();
  const row = await insertEndpoint(env.DB, {
    id: newId("whe"), tenantId, url: input.url, description: input.description, eventTypes: [...new Set(input.eventTypes)], filter: input.filter,
    secretSealed: await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, secret),
  });
  forgetEndpoints(tenantId);
  return { ...toEndpoint(row), secret };
}

export async function changeEndpoint(env: WebhookEnv, tenantId: string, id: string, input: z.infer<typeof UpdateWebhookEndpointInput>): Promise<WebhookEndpoint> {
  if (input.url !== undefined) checkUrl(env, input.url);
  const row = await updateEndpoint(env.DB, tenantId, id, { ...input, eventTypes: input.eventTypes && [...new Set(input.eventTypes)] });
  if (!row) throw ApiError.notFound("Webhook endpoint");
  forgetEndpoints(tenantId);
  return toEndpoint(row);
}

export async function removeEndpoint(env: WebhookEnv, tenantId: string, id: string) {
  if (!(await deleteEndpoint(env.DB, tenantId, id))) throw ApiError.notFound("Webhook endpoint");
  forgetEndpoints(tenantId);
}

/** A new secret; the old one keeps signing too (a second `v1,` signature) for `overlapMinutes`. */
export async function rotateSecret(env: WebhookEnv, tenantId: string, id: string, overlapMinutes: number, now = Date.now()) {
  const secret = newWebhookSecret();
  const until = new Date(now + overlapMinutes * 60_000).toISOString();
  const row = await rotateEndpointSecret(env.DB, tenantId, id, await sealSecret(env.CARD_KEY_ENCRYPTION_KEY, secret), until);
  if (!row) throw ApiError.notFound("Webhook endpoint");
  return { endpoint: toEndpoint(row), secret };
}

/** Sends one delivery again (same webhook-id, fresh retry window), or every delivery of an endpoint whose event occurred in [from, to). */
export async function replay(env: WebhookEnv, tenantId: string, what: { deliveryId: string } | { endpointId: string; from: string; to: string }, now = Date.now()) {
  if ("endpointId" in what) {
    const ep = await getEndpoint(env.DB, tenantId, what.endpointId);
    if (!ep) throw ApiError.notFound("Webhook endpoint");
    if (ep.status === "disabled") throw ApiError.conflict("endpoint_disabled", "Enable the endpoint before replaying to it");
  }
  const range = "endpointId" in what ? { ...what, from: new Date(what.from).toISOString(), to: new Date(what.to).toISOString() } : what;
  const ids = await rearmDeliveries(env.DB, tenantId, range, new Date(now).toISOString());
  if ("deliveryId" in what && !ids.length) throw ApiError.notFound("Webhook delivery");
  await enqueue(env, ids);
  return ids;
}

export async function endpointList(env: Pick<Env, "DB">, tenantId: string) {
  return { endpoints: (await listEndpoints(env.DB, tenantId)).map(toEndpoint) };
}

async function ownEndpoint(env: Pick<Env, "DB">, tenantId: string, id: string) {
  const row = await getEndpoint(env.DB, tenantId, id);
  if (!row) throw ApiError.notFound("Webhook endpoint");
  return row;
}

export const endpointById = async (env: Pick<Env, "DB">, tenantId: string, id: string): Promise<WebhookEndpoint> => toEndpoint(await ownEndpoint(env, tenantId, id));

type Page = { limit: number; before?: string; cursor?: string };

/** One more row than the page asks for tells whether there is a next page; its cursor is the last row shown. */
function paged<T extends { id: string }>(rows: T[], limit: number, createdAt: (r: T) => string) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodeListCursor(createdAt(last), last.id) : null };
}

/** An endpoint's deliveries, newest first, all or in one state (404 when the endpoint is not this tenant's). */
export async function endpointDeliveries(env: Pick<Env, "DB">, tenantId: string, endpointId: string, q: Page & { status?: DeliveryStatus }) {
  const after = listPosition(q.cursor);
  const ep = await ownEndpoint(env, tenantId, endpointId);
  const { page, nextCursor } = paged(await listDeliveries(env.DB, tenantId, ep.id, { limit: q.limit + 1, before: q.before, after }, q.status), q.limit, (r) => r.created_at);
  return { deliveries: page.map(toDelivery), nextCursor };
}

/** An endpoint's delivery attempts, newest first (404 when the endpoint is not this tenant's). */
export async function endpointAttempts(env: Pick<Env, "DB">, tenantId: string, endpointId: string, q: Page) {
  const after = listPosition(q.cursor);
  const ep = await ownEndpoint(env, tenantId, endpointId);
  const { page, nextCursor } = paged(await listAttempts(env.DB, tenantId, { endpointId: ep.id }, { limit: q.limit + 1, before: q.before, after }), q.limit, (r) => r.createdAt);
  return { attempts: page, nextCursor };
}

/** One delivery with its attempts (at most 200). */
export async function deliveryWithAttempts(env: Pick<Env, "DB">, tenantId: string, deliveryId: string) {
  const d = await getDelivery(env.DB, tenantId, deliveryId);
  if (!d) throw ApiError.notFound("Webhook delivery");
  return { delivery: toDelivery(d), attempts: await listAttempts(env.DB, tenantId, { deliveryId: d.id }, { limit: 200 }) };
}
