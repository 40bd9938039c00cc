import type { Context } from "hono";
import type { AppEnv } from "../types";

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? c.req.header("x-real-ip") ?? "local";
}

// The limiter is a service (services call it too); re-exported for the routes that meet it here.
export { enforceRateLimit } from "../services/rate-limit";
