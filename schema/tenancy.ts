import { z } from "@hono/zod-openapi";
import { text } from "./text";

export const SCOPES = ["admin", "operator", "redeemer", "analyst"] as const;
export const Scope = z.enum(SCOPES).openapi("Scope");
export type Scope = z.infer<typeof Scope>;

export const TenantSlug = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "lowercase letters, digits and inner dashes");

export const Tenant = z
  .object({
    id: z.string(),
    slug: TenantSlug,
    name: z.string(),
    allowedOrigins: z.array(z.string()),
    /** Raw analytics events older than this many days are deleted from the warehouse by the cron; null = kept. */
    eventRetentionDays: z.number().int().nullable(),
    createdAt: z.string(),
  })
  .openapi("Tenant");
export type Tenant = z.infer<typeof Tenant>;

export const Origin = z.url().refine((u) => /^https?:\/\/[^/]+$/.test(u), "an origin: scheme://host[:port], no path");

export const CreateTenantInput = z
  .object({
    slug: TenantSlug,
    name: text().trim().min(1).max(80),
    allowedOrigins: z.array(Origin).max(50).default([]),
  })
  .strict()
  .openapi("CreateTenantInput");

export const UpdateTenantInput = z
  .object({
    name: text().trim().min(1).max(80).optional(),
    allowedOrigins: z.array(Origin).max(50).optional(),
    /** Days raw events are kept in the warehouse (1–3650); null keeps them. Aggregates (user profiles) stay. */
    eventRetentionDays: z.number().int().min(1).max(3650).nullable().optional(),
  })
  .strict()
  .openapi("UpdateTenantInput");

export const ApiKey = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "Public part of the key, safe to show" }),
    scopes: z.array(Scope),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi("ApiKey");
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateApiKeyInput = z
  .object({
    name: text().trim().min(1).max(80),
    // Each scope once: a key's scopes are a set, and its api_key_created event carries them joined.
    scopes: z
      .array(Scope)
      .min(1)
      .max(SCOPES.length)
      .refine((s) => new Set(s).size === s.length, "Each scope once"),
  })
  .strict()
  .openapi("CreateApiKeyInput");

export const CreatedApiKey = ApiKey.extend({
  secret: z.string().openapi({ description: "The full key. Shown once; only its hash is stored." }),
}).openapi("CreatedApiKey");

export const RotateMemberSecretInput = z
  .object({
    /** How long tokens signed with the previous secret still verify (0 = at once); for a rotation without downtime. */
    overlapMinutes: z.number().int().min(0).max(10_080).default(60),
  })
  .strict()
  .openapi("RotateMemberSecretInput");

export const MemberSecret = z
  .object({
    /** Shown once: the brand's servers sign member tokens with it (HMAC-SHA256). Only a sealed copy is stored. */
    secret: z.string(),
    /** The token audience (aud): the tenant's slug. */
    audience: z.string(),
    createdAt: z.string(),
    /** Until when the previous secret is still accepted (null when there was none). */
    previousValidUntil: z.string().nullable(),
  })
  .openapi("MemberSecret");
