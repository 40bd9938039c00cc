import { newId } from "../domain/crypto";

/** An SMS gateway. The sandbox "delivers" into the sms_outbox table, readable only in development. */
export interface SmsProvider {
  send(tenantId: string, phoneHash: string, text: string): Promise<void>;
}

export function sandboxSms(db: D1Database): SmsProvider {
  return {
    async send(tenantId, phoneHash, text) {
      await db.prepare("INSERT INTO sms_outbox (id, tenant_id, phone_hash, body) VALUES (?, ?, ?, ?)").bind(newId("sms"), tenantId, phoneHash, text).run();
    },
  };
}

export async function readOutbox(db: D1Database, tenantId: string, phoneHash: string) {
  const { results } = await db
    .prepare("SELECT body, created_at FROM sms_outbox WHERE tenant_id = ? AND phone_hash = ? ORDER BY created_at DESC LIMIT 5")
    .bind(tenantId, phoneHash)
    .all<{ body: string; created_at: string }>();
  return results;
}
