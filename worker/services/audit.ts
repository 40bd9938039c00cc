/**
 * The audit log: every change made with a tenant API key, recorded by requireKey around the route's handler, so no
 * keyed route can forget it. The resource is loaded before the handler runs and again after it answered (or the
 * response body is kept when there is no loader), then one row is written — right after the change, not in its
 * batch: a generic recorder cannot join every service's own db.batch. An isolate that dies between the change and
 * this write leaves that one change unrecorded; the row never records a change that did not happen (only answers
 * below 400 are written, and refusals that acted outside, with their status: a supplier asked to cancel that refused).
 * A change that writes its own row in its batch (writesOwnAuditRow) is skipped here, so it is not recorded twice.
 */
import type { Context } from "hono";
import type { AuditLogPage, AuditLogQuery } from "../../schema/audit";
import { getApiKey } from "../db/api-keys";
import { insertAudit, listAudit, toAuditEntry } from "../db/audit-log";
import { getCampaign } from "../db/campaigns";
import { getProductRow, toProduct } from "../db/products";
import { getKeySettings, getStore, productStoreIds } from "../db/stores";
import { getTenant } from "../db/tenants";
import { getEndpoint, toEndpoint } from "../db/webhooks";
import { auditJson, decodeCursor, encodeCursor, isChange, resourceOf, writesOwnAuditRow } from "../domain/audit";
import { newId } from "../domain/crypto";
import { ApiError } from "../errors";
import { clientIpOf } from "../domain/client-ip";
import type { AppEnv, Principal } from "../types";

const API_BASE = "/api/v1";

type Loader = (db: D1Database, tenantId: string, id: string) => Promise<unknown>;

/** How to read the resource a route names, by the route's parameter (or type, for routes without one). */
const LOADERS: Record<string, Loader> = {
  productId: async (db, t, id) => {
    const row = await getProductRow(db, t, id);
    return row ? { ...toProduct(row), storeIds: await productStoreIds(db, t, id) } : null;
  },
  campaignId: async (db, t, id) => {
    const row = await getCampaign(db, t, id);
    return row ? { id: row.id, definition: JSON.parse(row.definition) as unknown, pausedAt: row.paused_at } : null;
  },
  keyId: async (db, t, id) => {
    const key = await getApiKey(db, t, id);
    return key ? { ...key, redeemer: await getKeySettings(db, t, id) } : null;
  },
  endpointId: async (db, t, id) => {
    const row = await getEndpoint(db, t, id);
    return row ? toEndpoint(row) : null;
  },
  storeId: (db, t, id) => getStore(db, t, id),
  tenant: (db, t) => getTenant(db, t),
};

interface Pending {
  type: string;
  param: string | null;
  id: string | null;
  before: unknown;
}

/** Before the handler: what the change is about and the resource as it is now (null when not a change). */
export async function auditBefore(c: Context<AppEnv>, p: Principal): Promise<Pending | null> {
  const route = c.req.routePath;
  if (!isChange(c.req.method, route) || writesOwnAuditRow(route)) return null;
  const r = resourceOf(route, API_BASE, c.req.param() as Record<string, string>);
  const loader = LOADERS[r.param ?? r.type];
  const before = loader && (r.id || !r.param) ? await loader(c.env.DB, p.tenantId, r.id ?? p.tenantId).catch(() => null) : null;
  return { ...r, before };
}

/**
 * After the handler: a successful change is written with the resource as it is now; a refusal only when the request
 * still acted outside (ApiError.actedOutside: a supplier asked to cancel), with the refusal's body as its after.
 */
export async function auditAfter(c: Context<AppEnv>, p: Principal, pending: Pending) {
  const status = c.res.status;
  if (status >= 400 && !(c.error instanceof ApiError && c.error.actedOutside)) return;
  let body: unknown = null;
  if ((c.res.headers.get("content-type") ?? "").includes("application/json")) body = await c.res.clone().json().catch(() => null);
  const created = !pending.id && body && typeof body === "object" && typeof (body as { id?: unknown }).id === "string" ? (body as { id: string }).id : null;
  const id = pending.id ?? created ?? (pending.type === "tenant" ? p.tenantId : null);
  const loader = LOADERS[pending.param ?? pending.type] ?? (created ? LOADERS[`${pending.type.replace(/s$/, "")}Id`] : undefined);
  const after = loader && id ? await loader(c.env.DB, p.tenantId, id).catch(() => body) : body;
  await insertAudit(c.env.DB, {
    id: newId("aud"),
    tenantId: p.tenantId,
    at: new Date().toISOString(),
    api_key_id: p.apiKeyId,
    role: p.scopes.join(","),
    method: c.req.method,
    route: c.req.routePath,
    path: new URL(c.req.url).pathname,
    resource_type: pending.type,
    resource_id: id,
    status,
    before_json: auditJson(pending.before),
    after_json: auditJson(after),
    ip: clientIpOf(c.req.raw.headers),
    user_agent: c.req.header("user-agent")?.slice(0, 300) ?? null,
    request_id: c.var.requestId ?? null,
  });
}

export async function readAuditLog(env: Env, tenantId: string, q: AuditLogQuery): Promise<AuditLogPage> {
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  if (q.cursor && !after) throw ApiError.badRequest("invalid_cursor", "The cursor is not one this API gave", [{ path: "query.cursor", message: "unknown cursor", code: "invalid_cursor" }]);
  const [type, id] = q.resource ? q.resource.split("/") : [];
  const rows = await listAudit(env.DB, tenantId, { from: q.from, to: q.to, type, id, after, limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { entries: page.map(toAuditEntry), nextCursor: rows.length > q.limit && last ? encodeCursor({ at: last.at, id: last.id }) : null };
}
