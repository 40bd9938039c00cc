import { createRoute, z } from "@hono/zod-openapi";
import { ImportInput, ImportResult, TrackInput, TrackResult } from "../../schema/tracking";
import { tenantBySlug } from "../services/tenants";
import { ApiError, validationMessage } from "../errors";
import { requireKey } from "../middleware/auth";
import { enforceRateLimit, clientIpKey } from "../middleware/rate-limit";
import { EVENT_PAYLOADS, issuePath } from "../../schema/events";
import { emitEventBundles, type EventInput } from "../queue/emit";
import { trackViews } from "../services/tracking";
import { bearerAuth, createRouter, errors, json, jsonBody } from "./router";

const TRACK_LIMIT_PER_MIN = 600; // per IP and tenant; a browser sends a handful per page
const MAX_PAST_DAYS = 400;
const MAX_SKEW_MS = 5 * 60_000;

const track = createRoute({
  method: "post",
  path: "/track",
  tags: ["analytics"],
  summary: "Page views from the pages (page_view, product_viewed, widget_impression): the visitor is the signed session or an anonymous device id; bots and 30 s reloads are ignored. Public, rate limited.",
  request: {
    query: z.object({ campaign: z.string().min(1).max(64).optional().openapi({ description: "The widget's campaign: lets the brand's embedding origins call this route (CORS)" }) }),
    ...jsonBody(TrackInput),
  },
  responses: { 202: json(TrackResult, "Queued"), 400: errors[400], 404: errors[404], 429: errors[429] },
});

const importEvents = createRoute({
  method: "post",
  path: "/events/import",
  tags: ["analytics"],
  summary:
    "Simulation and backfill: enqueue up to 1000 events with past timestamps for this key's tenant. Admin key only; " +
    "every imported event is marked payload.simulated = true and carries the importing key's id.",
  security: bearerAuth,
  middleware: [requireKey("admin")],
  request: jsonBody(ImportInput),
  responses: { 202: json(ImportResult, "Queued"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429] },
});

export const trackRoutes = createRouter()
  .openapi(track, async (c) => {
    const input = c.req.valid("json");
    const tenant = await tenantBySlug(c.env, input.tenant);
    if (!tenant) throw ApiError.notFound("Tenant");
    await enforceRateLimit(c.env, "track", `${tenant.id}:${clientIpKey(c)}`, TRACK_LIMIT_PER_MIN, 60);
    const result = await trackViews(c.env, input, { tenant: { id: tenant.id, slug: tenant.slug }, headers: c.req.raw.headers, url: c.req.url });
    return c.json(result, 202);
  })
  .openapi(importEvents, async (c) => {
    const { tenantId, apiKeyId } = c.var.principal;
    const { events } = c.req.valid("json");
    const now = Date.now();
    const issues: { path: string; message: string; code: string }[] = events.flatMap((e, i) => {
      const t = Date.parse(e.occurredAt);
      return t > now + MAX_SKEW_MS || t < now - MAX_PAST_DAYS * 86_400_000
        ? [{ path: `json.events.${i}.occurredAt`, message: `must be within the last ${MAX_PAST_DAYS} days and not in the future`, code: "out_of_range" }]
        : [];
    });
    // Each payload against its type's schema (schema/events.ts): a field the type does not have is refused here.
    events.forEach((e, i) => {
      const checked = EVENT_PAYLOADS[e.type].safeParse(e.payload);
      if (!checked.success) {
        for (const x of checked.error.issues) issues.push({ path: ["json", "events", i, "payload", ...issuePath(x)].map(String).join("."), message: x.message, code: x.code });
      }
    });
    if (issues.length) throw ApiError.badRequest("validation_failed", validationMessage("json", issues), issues);
    await emitEventBundles(
      c.env,
      events.map((e) => ({
        tenantId,
        type: e.type,
        eventId: e.eventId,
        occurredAt: new Date(e.occurredAt),
        actor: { ...e.actor, apiKeyId },
        payload: { ...e.payload, simulated: true },
      }) as EventInput),
    );
    return c.json({ accepted: events.length }, 202);
  });
