/** The SMS and e-mail sandboxes' tables (sms_outbox, email_outbox): what the sandbox gateways "delivered". */
import type { z } from "@hono/zod-openapi";
import type { SandboxEmail } from "../../schema/alerts";

export async function insertSms(db: D1Database, m: { id: string; tenantId: string; phoneHash: string; body: string }) {
  await db.prepare("INSERT INTO sms_outbox (id, tenant_id, phone_hash, body) VALUES (?, ?, ?, ?)").bind(m.id, m.tenantId, m.phoneHash, m.body).run();
}

export async function recentSms(db: D1Database, tenantId: string, phoneHash: string) {
  const { results } = await db
    .prepare("SELECT body, created_at FROM sms_outbox WHERE tenant_id = ? AND phone_hash = ? ORDER BY created_at DESC LIMIT 5")
    .bind(tenantId, phoneHash)
    .all<{ body: string; created_at: string }>();
  return results;
}

export async function insertEmail(db: D1Database, m: { id: string; tenantId: string; to: string; subject: string; body: string }) {
  await db.prepare("INSERT INTO email_outbox (id, tenant_id, to_addr, subject, body) VALUES (?, ?, ?, ?, ?)").bind(m.id, m.tenantId, m.to, m.subject, m.body).run();
}

export async function recentEmails(db: D1Database, tenantId: string, limit: number): Promise<z.infer<typeof SandboxEmail>[]> {
  const { results } = await db
    .prepare("SELECT id, to_addr, subject, body, created_at FROM email_outbox WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")
    .bind(tenantId, limit)
    .all<{ id: string; to_addr: string; subject: string; body: string; created_at: string }>();
  return results.map((r) => ({ id: r.id, to: r.to_addr, subject: r.subject, body: r.body, createdAt: r.created_at }));
}
