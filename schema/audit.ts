import { z } from "@hono/zod-openapi";

/** One change made with an API key (GET /audit-log). Secret fields are masked as "***". */
export const AuditEntry = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.object({ apiKeyId: z.string(), role: z.array(z.string()) }),
    method: z.string(),
    route: z.string().openapi({ example: "/api/v1/products/:productId" }),
    path: z.string(),
    resource: z.object({ type: z.string(), id: z.string().nullable() }),
    status: z.number().int(),
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
    from: z.object({ ip: z.string().nullable(), userAgent: z.string().nullable() }),
    requestId: z.string().nullable(),
  })
  .openapi("AuditEntry");
export type AuditEntry = z.infer<typeof AuditEntry>;

const Instant = z.iso.datetime({ offset: true });

export const AuditLogQuery = z.object({
  from: Instant.optional().openapi({ description: "Entries at or after this instant" }),
  to: Instant.optional().openapi({ description: "Entries before this instant" }),
  /** A resource type ("products") or one resource ("products/prd_…"). */
  resource: z.string().regex(/^[a-z-]+(\/[\w.:-]+)?$/, "a resource type, or type/id").optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type AuditLogQuery = z.infer<typeof AuditLogQuery>;

export const AuditLogPage = z
  .object({
    entries: z.array(AuditEntry),
    /** Pass as `cursor` for the next (older) page; null on the last page. */
    nextCursor: z.string().nullable(),
  })
  .openapi("AuditLogPage");
export type AuditLogPage = z.infer<typeof AuditLogPage>;
