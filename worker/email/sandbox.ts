import type { z } from "@hono/zod-openapi";
import type { SandboxEmail } from "../../schema/alerts";
import { newId } from "../domain/crypto";

/** An e-mail gateway. The sandbox "delivers" into the email_outbox table, readable only in development. */
export interface EmailProvider {
  send(tenantId: string, to: string, subject: string, body: string): Promise<void>;
}

export function sandboxEmail(db: D1Database): EmailProvider {
  return {
    async send(tenantId, to, subject, body) {
      await db.prepare("INSERT INTO email_outbox (id, tenant_id, to_addr, subject, body) VALUES (?, ?, ?, ?, ?)").bind(newId("mail"), tenantId, to, subject, body).run();
    },
  };
}

export async function readEmailOutbox(db: D1Database, tenantId: string, limit = 50): Promise<z.infer<typeof SandboxEmail>[]> {
  const { results } = await db
    .prepare("SELECT id, to_addr, subject, body, created_at FROM email_outbox WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")
    .bind(tenantId, limit)
    .all<{ id: string; to_addr: string; subject: string; body: string; created_at: string }>();
  return results.map((r) => ({ id: r.id, to: r.to_addr, subject: r.subject, body: r.body, createdAt: r.created_at }));
}
