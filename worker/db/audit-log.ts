import type { AuditEntry } from "../../schema/audit";
import type { AuditCursor } from "../domain/audit";
import { guardArgs, guardSql, type SqlGuard } from "./statements";

export interface AuditRow {
  id: string;
  tenant_id: string;
  at: string;
  api_key_id: string;
  role: string;
  method: string;
  route: string;
  path: string;
  resource_type: string;
  resource_id: string | null;
  status: number;
  before_json: string | null;
  after_json: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
}

export const toAuditEntry = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: { apiKeyId: r.api_key_id, role: r.role ? r.role.split(",") : [] },
  method: r.method,
  route: r.route,
  path: r.path,
  resource: { type: r.resource_type, id: r.resource_id },
  status: r.status,
  before: r.before_json ? (JSON.parse(r.before_json) as unknown) : null,
  after: r.after_json ? (JSON.parse(r.after_json) as unknown) : null,
  from: { ip: r.ip, userAgent: r.user_agent },
  requestId: r.request_id,
});

export async function insertAudit(db: D1Database, r: Omit<AuditRow, "tenant_id"> & { tenantId: string }) {
  await db
    .prepare(
      `INSERT INTO audit_log (id, tenant_id, at, api_key_id, role, method, route, path, resource_type, resource_id, status, before_json, after_json, ip, user_agent, request_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(r.id, r.tenantId, r.at, r.api_key_id, r.role, r.method, r.route, r.path, r.resource_type, r.resource_id, r.status, r.before_json, r.after_json, r.ip, r.user_agent, r.request_id)
    .run();
}

/** The audit row as a statement of the change's own batch, written only while `guard` holds (a change that wrote it). */
export function insertAuditStmt(db: D1Database, r: Omit<AuditRow, "tenant_id"> & { tenantId: string }, guard: SqlGuard): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO audit_log (id, tenant_id, at, api_key_id, role, method, route, path, resource_type, resource_id, status, before_json, after_json, ip, user_agent, request_id)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${guardSql(guard)}`,
    )
    .bind(r.id, r.tenantId, r.at, r.api_key_id, r.role, r.method, r.route, r.path, r.resource_type, r.resource_id, r.status, r.before_json, r.after_json, r.ip, r.user_agent, r.request_id, ...guardArgs(guard));
}

/** Newest first; `after` is the cursor of the last entry of the previous page. Always filtered by tenant. */
export async function listAudit(
  db: D1Database,
  tenantId: string,
  q: { from?: string; to?: string; type?: string; id?: string; after?: AuditCursor | null; limit: number },
): Promise<AuditRow[]> {
  const where = ["tenant_id = ?"];
  const args: unknown[] = [tenantId];
  if (q.from) where.push("at >= ?"), args.push(q.from);
  if (q.to) where.push("at < ?"), args.push(q.to);
  if (q.type) where.push("resource_type = ?"), args.push(q.type);
  if (q.id) where.push("resource_id = ?"), args.push(q.id);
  if (q.after) where.push("(at < ? OR (at = ? AND id < ?))"), args.push(q.after.at, q.after.at, q.after.id);
  const { results } = await db
    .prepare(`SELECT * FROM audit_log WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT ?`)
    .bind(...args, q.limit)
    .all<AuditRow>();
  return results;
}
