import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookFilter, WebhookType } from "../../schema/webhooks";

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

export interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  event_types: string;
  filter: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_until: string | null;
  status: "enabled" | "disabled";
  disabled_reason: string | null;
  failing_since: string | null;
  exhausted_in_a_row: number;
  created_at: string;
  updated_at: string;
}

export const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  url: r.url,
  description: r.description,
  eventTypes: JSON.parse(r.event_types) as WebhookType[],
  filter: JSON.parse(r.filter) as WebhookFilter,
  status: r.status,
  disabledReason: r.disabled_reason,
  rotationOverlapUntil: r.previous_secret_sealed && r.previous_secret_until && r.previous_secret_until > new Date().toISOString() ? r.previous_secret_until : null,
  failingSince: r.failing_since,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function insertEndpoint(
  db: D1Database,
  e: { id: string; tenantId: string; url: string; description: string; eventTypes: WebhookType[]; filter: WebhookFilter; secretSealed: string },
): Promise<EndpointRow> {
  return (await db
    .prepare(`INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, filter, secret_sealed) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`)
    .bind(e.id, e.tenantId, e.url, e.description, JSON.stringify(e.eventTypes), JSON.stringify(e.filter), e.secretSealed)
    .first<EndpointRow>())!;
}

export function getEndpoint(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM webhook_endpoints WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<EndpointRow>();
}

export async function listEndpoints(db: D1Database, tenantId: string, onlyEnabled = false): Promise<EndpointRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM webhook_endpoints WHERE tenant_id = ? ${onlyEnabled ? "AND status = 'enabled'" : ""} ORDER BY created_at`)
    .bind(tenantId)
    .all<EndpointRow>();
  return results;
}

export async function updateEndpoint(
  db: D1Database,
  tenantId: string,
  id: string,
  u: { url?: string; description?: string; eventTypes?: WebhookType[]; filter?: WebhookFilter; status?: "enabled" | "disabled" },
): Promise<EndpointRow | null> {
  const enable = u.status === "enabled";
  return db
    .prepare(
      `UPDATE webhook_endpoints SET url = COALESCE(?, url), description = COALESCE(?, description),
         event_types = COALESCE(?, event_types), filter = COALESCE(?, filter), status = COALESCE(?, status),
         disabled_reason = CASE WHEN ? = 'enabled' THEN NULL WHEN ? = 'disabled' THEN 'disabled by an admin' ELSE disabled_reason END,
         failing_since = CASE WHEN ? THEN NULL ELSE failing_since END,
         exhausted_in_a_row = CASE WHEN ? THEN 0 ELSE exhausted_in_a_row END,
         updated_at = ${NOW}
       WHERE tenant_id = ? AND id = ? RETURNING *`,
    )
    .bind(
      u.url ?? null, u.description ?? null, u.eventTypes ? JSON.stringify(u.eventTypes) : null, u.filter ? JSON.stringify(u.filter) : null,
      u.status ?? null, u.status ?? null, u.status ?? null, enable ? 1 : 0, enable ? 1 : 0, tenantId, id,
    )
    .first<EndpointRow>();
}

export async function deleteEndpoint(db: D1Database, tenantId: string, id: string): Promise<boolean> {
  const [, , res] = await db.batch([
    db.prepare("DELETE FROM webhook_attempts WHERE tenant_id = ? AND endpoint_id = ?").bind(tenantId, id),
    db.prepare("DELETE FROM webhook_deliveries WHERE tenant_id = ? AND endpoint_id = ?").bind(tenantId, id),
    db.prepare("DELETE FROM webhook_endpoints WHERE tenant_id = ? AND id = ?").bind(tenantId, id),
  ]);
  return (res?.meta.changes ?? 0) > 0;
}

export function rotateEndpointSecret(db: D1Database, tenantId: string, id: string, newSealed: string, previousUntil: string) {
  return db
    .prepare(
      `UPDATE webhook_endpoints SET previous_secret_sealed = secret_sealed, previous_secret_until = ?, secret_sealed = ?, updated_at = ${NOW}
       WHERE tenant_id = ? AND id = ? RETURNING *`,
    )
    .bind(previousUntil, newSealed, tenantId, id)
    .first<EndpointRow>();
}

/** After a failed attempt: remember when the failing began; returns it. */
export async function markEndpointFailing(db: D1Database, endpointId: string, at: string): Promise<string> {
  const row = await db
    .prepare("UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?) WHERE id = ? RETURNING failing_since")
    .bind(at, endpointId)
    .first<{ failing_since: string }>();
  return row?.failing_since ?? at;
}

/** After a dead-lettered delivery; returns how many in a row. */
export async function countExhausted(db: D1Database, endpointId: string): Promise<number> {
  const row = await db
    .prepare("UPDATE webhook_endpoints SET exhausted_in_a_row = exhausted_in_a_row + 1 WHERE id = ? RETURNING exhausted_in_a_row")
    .bind(endpointId)
    .first<{ exhausted_in_a_row: number }>();
  return row?.exhausted_in_a_row ?? 0;
}

export function markEndpointHealthy(db: D1Database, endpointId: string) {
  return db
    .prepare("UPDATE webhook_endpoints SET failing_since = NULL, exhausted_in_a_row = 0 WHERE id = ? AND (failing_since IS NOT NULL OR exhausted_in_a_row > 0)")
    .bind(endpointId)
    .run();
}

/** Disables an enabled endpoint; true only for the call that did it (so one alert is raised). */
/** enabled → disabled; `also` (its event rows, guarded on `changes() = 1`) runs right after in the same batch. */
export async function disableEndpoint(db: D1Database, endpointId: string, reason: string, also: D1PreparedStatement[] = []): Promise<boolean> {
  const [res] = await db.batch([
    db.prepare(`UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = ?, updated_at = ${NOW} WHERE id = ? AND status = 'enabled'`).bind(reason, endpointId),
    ...also,
  ]);
  return res!.meta.changes > 0;
}

// ---- deliveries ----

export interface DeliveryRow {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  webhook_type: WebhookType;
  occurred_at: string;
  body: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  first_attempt_at: string | null;
  next_attempt_at: string;
  lease_until: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
}

export const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  type: r.webhook_type,
  occurredAt: r.occurred_at,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.status === "pending" ? r.next_attempt_at : null,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: r.created_at,
});

export interface NewDelivery {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
  type: WebhookType;
  occurredAt: string;
  body: string;
}

/**
 * Inserts deliveries not recorded yet (a repeated event is the same delivery); returns the ids inserted now to send.
 * A delivery to an endpoint that is disabled as it is inserted (read here, not from a cache) is kept, parked as
 * `failed` with "endpoint disabled" and not returned: nothing is sent to it, and a range replay once it is enabled
 * again sends what it missed meanwhile. (A removed endpoint gets none.)
 */
export async function insertDeliveries(db: D1Database, rows: NewDelivery[], now: string): Promise<string[]> {
  if (!rows.length) return [];
  const stmts = rows.map((d) =>
    db
      .prepare(
        `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, webhook_type, occurred_at, body, next_attempt_at, status, last_error)
         SELECT ?, ?, e.id, ?, ?, ?, ?, ?, CASE e.status WHEN 'enabled' THEN 'pending' ELSE 'failed' END,
                CASE e.status WHEN 'enabled' THEN NULL ELSE 'endpoint disabled' END
         FROM webhook_endpoints e WHERE e.id = ? AND e.tenant_id = ?
         ON CONFLICT DO NOTHING RETURNING id, status`,
      )
      .bind(d.id, d.tenantId, d.eventId, d.type, d.occurredAt, d.body, now, d.endpointId, d.tenantId),
  );
  const results = await db.batch<{ id: string; status: string }>(stmts);
  return results.flatMap((r) => r.results.filter((x) => x.status === "pending").map((x) => x.id));
}

/** Takes a due pending delivery for one send (a lease, so a duplicate message or the sweep cannot send it twice). */
export function leaseDelivery(db: D1Database, id: string, now: string, leaseUntil: string) {
  return db
    .prepare(
      `UPDATE webhook_deliveries SET lease_until = ?, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ?
       WHERE id = ? AND status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) RETURNING *`,
    )
    .bind(leaseUntil, now, now, id, now, now)
    .first<DeliveryRow>();
}

export interface AttemptRecord {
  id: string;
  delivery: DeliveryRow;
  statusCode: number | null;
  excerpt: string;
  durationMs: number;
  outcome: "succeeded" | "retrying" | "failed";
  nextAttemptAt: string | null;
  error: string | null;
  at: string;
}

/** The attempt's log row and the delivery's new state, together. */
export async function recordAttempt(db: D1Database, a: AttemptRecord): Promise<void> {
  const d = a.delivery;
  const status = a.outcome === "retrying" ? "pending" : a.outcome;
  await db.batch([
    db
      .prepare(
        `INSERT INTO webhook_attempts (id, tenant_id, endpoint_id, delivery_id, event_id, attempt, status_code, response_excerpt, duration_ms, outcome, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(a.id, d.tenant_id, d.endpoint_id, d.id, d.event_id, d.attempts, a.statusCode, a.excerpt, a.durationMs, a.outcome, a.nextAttemptAt, a.at),
    db
      .prepare(
        `UPDATE webhook_deliveries SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), lease_until = NULL,
           last_status_code = ?, last_error = ?, updated_at = ? WHERE id = ?`,
      )
      .bind(status, a.nextAttemptAt, a.statusCode, a.error, a.at, d.id),
  ]);
}

/** Ends a delivery without a send (its endpoint was disabled or removed meanwhile). */
export function abandonDelivery(db: D1Database, id: string, reason: string, at: string) {
  return db
    .prepare("UPDATE webhook_deliveries SET status = 'failed', last_error = ?, lease_until = NULL, updated_at = ? WHERE id = ? AND status = 'pending'")
    .bind(reason, at, id)
    .run();
}

export function getDelivery(db: D1Database, tenantId: string, id: string) {
  return db.prepare("SELECT * FROM webhook_deliveries WHERE tenant_id = ? AND id = ?").bind(tenantId, id).first<DeliveryRow>();
}

export function getDeliveryById(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM webhook_deliveries WHERE id = ?").bind(id).first<DeliveryRow>();
}

export type DeliveryStatus = DeliveryRow["status"];

/** Where a newest-first page of a log starts: before a time, or after the (created_at, id) of the last row shown. */
export interface LogPage {
  limit: number;
  before?: string;
  after?: { createdAt: string; id: string } | null;
}
const PAGE_FILTER = "AND created_at < ? AND (created_at < ? OR (created_at = ? AND id < ?))";
const pageArgs = (p: LogPage) => [p.before ?? "9999", p.after?.createdAt ?? "9999", p.after?.createdAt ?? "", p.after?.id ?? ""];

/** Newest first; with a status, only those (index webhook_deliveries_endpoint_status: dead letters among many sent). */
export async function listDeliveries(db: D1Database, tenantId: string, endpointId: string, page: LogPage, status?: DeliveryStatus): Promise<DeliveryRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM webhook_deliveries WHERE tenant_id = ? AND endpoint_id = ?${status ? " AND status = ?" : ""} ${PAGE_FILTER}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
    )
    .bind(tenantId, endpointId, ...(status ? [status] : []), ...pageArgs(page), page.limit)
    .all<DeliveryRow>();
  return results;
}

interface AttemptRow {
  id: string;
  endpoint_id: string;
  delivery_id: string;
  event_id: string;
  attempt: number;
  status_code: number | null;
  response_excerpt: string;
  duration_ms: number;
  outcome: "succeeded" | "retrying" | "failed";
  next_attempt_at: string | null;
  created_at: string;
}

const toAttempt = (r: AttemptRow): WebhookAttempt => ({
  id: r.id,
  endpointId: r.endpoint_id,
  deliveryId: r.delivery_id,
  eventId: r.event_id,
  attempt: r.attempt,
  statusCode: r.status_code,
  responseExcerpt: r.response_excerpt,
  durationMs: r.duration_ms,
  outcome: r.outcome,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
});

export async function listAttempts(db: D1Database, tenantId: string, by: { endpointId?: string; deliveryId?: string }, page: LogPage): Promise<WebhookAttempt[]> {
  const column = by.deliveryId ? "delivery_id" : "endpoint_id";
  const { results } = await db
    .prepare(`SELECT * FROM webhook_attempts WHERE tenant_id = ? AND ${column} = ? ${PAGE_FILTER} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .bind(tenantId, by.deliveryId ?? by.endpointId, ...pageArgs(page), page.limit)
    .all<AttemptRow>();
  return results.map(toAttempt);
}

/** Makes deliveries due again now, with a fresh 3-day window; returns their ids. */
export async function rearmDeliveries(
  db: D1Database,
  tenantId: string,
  where: { deliveryId: string } | { endpointId: string; from: string; to: string },
  now: string,
): Promise<string[]> {
  const set = `SET status = 'pending', attempts = 0, first_attempt_at = NULL, next_attempt_at = ?, lease_until = NULL, updated_at = ?`;
  const stmt =
    "deliveryId" in where
      ? db.prepare(`UPDATE webhook_deliveries ${set} WHERE tenant_id = ? AND id = ? RETURNING id`).bind(now, now, tenantId, where.deliveryId)
      : db
          .prepare(`UPDATE webhook_deliveries ${set} WHERE tenant_id = ? AND endpoint_id = ? AND occurred_at >= ? AND occurred_at < ? RETURNING id`)
          .bind(now, now, tenantId, where.endpointId, where.from, where.to);
  const { results } = await stmt.all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Pending deliveries whose Queue message should have run by now (lost, or scheduled beyond the Queue's delay cap). */
export async function overdueDeliveries(db: D1Database, before: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
       ORDER BY next_attempt_at LIMIT ?`,
    )
    .bind(before, before, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}
