import type { z } from "@hono/zod-openapi";
import type { SandboxEmail } from "../../schema/alerts";
import { newId } from "../domain/crypto";
import { insertEmail, recentEmails } from "../db/sandbox-outboxes";

/** An e-mail gateway. The sandbox "delivers" into the email_outbox table, readable only in development. */
export interface EmailProvider {
  send(tenantId: string, to: string, subject: string, body: string): Promise<void>;
}

export function sandboxEmail(db: D1Database): EmailProvider {
  return {
    async send(tenantId, to, subject, body) {
      await insertEmail(db, { id: newId("mail"), tenantId, to, subject, body });
    },
  };
}

export function readEmailOutbox(db: D1Database, tenantId: string, limit = 50): Promise<z.infer<typeof SandboxEmail>[]> {
  return recentEmails(db, tenantId, limit);
}
