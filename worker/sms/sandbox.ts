import { newId } from "../domain/crypto";
import { insertSms, recentSms } from "../db/sandbox-outboxes";

/** An SMS gateway. The sandbox "delivers" into the sms_outbox table, readable only in development. */
export interface SmsProvider {
  send(tenantId: string, phoneHash: string, text: string): Promise<void>;
}

export function sandboxSms(db: D1Database): SmsProvider {
  return {
    async send(tenantId, phoneHash, text) {
      await insertSms(db, { id: newId("sms"), tenantId, phoneHash, body: text });
    },
  };
}

export const readOutbox = (db: D1Database, tenantId: string, phoneHash: string) => recentSms(db, tenantId, phoneHash);
