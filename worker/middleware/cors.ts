import { platformOrigins } from "../domain/origins";
import { cors } from "hono/cors";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../types";

/**
 * Deliberate CORS: only origins named in CORS_ORIGINS (the platform's own hosts) get CORS headers here.
 * Public campaign routes that brands embed add each tenant's allowed origins on top of this.
 */
export function platformCors(tenantOrigins?: (c: Context<AppEnv>) => Promise<string[] | null>): MiddlewareHandler<AppEnv> {
  return (c, next) =>
    cors({
      origin: async (origin) => {
        if (platformOrigins(c.env).includes(origin)) return origin;
        return origin && (await tenantOrigins?.(c))?.includes(origin) ? origin : null;
      },
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id", "X-Device-Id", "X-Kaquan-Challenge", "X-Kaquan-Pass", "X-Kaquan-Webdriver"],
      exposeHeaders: ["X-Request-Id", "Retry-After", "X-Kaquan-Pass"],
      credentials: true,
      maxAge: 600,
    })(c, next);
}
