import { createMiddleware } from "hono/factory";
import type { Scope } from "../../schema/tenancy";
import { hashKeySecret, hasScope, parseApiKey } from "../domain/api-keys";
import { timingSafeEqual } from "../domain/crypto";
import { findApiKeyByPrefix, touchApiKey } from "../db/api-keys";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";
import { enforceRateLimit, clientIpKey } from "./rate-limit";
import { auditAfter, auditBefore } from "../services/audit";

const FAILED_AUTH_LIMIT = 30; // per IP per minute: enough for typos, useless for guessing

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

async function refuse(env: Env, ip: string): Promise<never> {
  await enforceRateLimit(env, "auth-fail", ip, FAILED_AUTH_LIMIT, 60);
  throw ApiError.unauthorized();
}

/** Authenticates a tenant API key and checks it holds `scope` (any valid key when omitted); sets c.var.principal. */
export function requireKey(scope?: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const ip = clientIpKey(c);
    const token = bearer(c.req.header("authorization"));
    const parsed = token ? parseApiKey(token) : null;
    if (!parsed) return refuse(c.env, ip);
    const row = await findApiKeyByPrefix(c.env.DB, parsed.prefix);
    const hash = await hashKeySecret(c.env.API_KEY_PEPPER, parsed.secret);
    if (!row || row.revoked_at || !timingSafeEqual(hash, row.secret_hash)) return refuse(c.env, ip);
    const scopes = JSON.parse(row.scopes) as Scope[];
    if (scope && !hasScope(scopes, scope)) throw ApiError.forbidden(`This key lacks the '${scope}' scope`);
    const principal = { tenantId: row.tenant_id, apiKeyId: row.id, scopes };
    c.set("principal", principal);
    c.executionCtx.waitUntil(touchApiKey(c.env.DB, row.tenant_id, row.id).catch(() => undefined));
    // Every change made with a key goes to the audit log (who, what, before/after, when, from where).
    const audit = await auditBefore(c, principal);
    await next();
    if (audit) await auditAfter(c, principal, audit);
  });
}

/** The platform operator (creates tenants): a single secret token, compared in constant time. */
export const requirePlatformAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  const expected = c.env.PLATFORM_ADMIN_TOKEN;
  if (!token || !expected || !timingSafeEqual(token, expected)) return refuse(c.env, clientIpKey(c));
  await next();
});
