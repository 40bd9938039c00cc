import { clientIpOf } from "../domain/client-ip";
import type { Context } from "hono";
import type { AppEnv } from "../types";

export function clientIp(c: Context<AppEnv>): string {
  return clientIpOf(c.req.raw.headers);
}

// The limiter is a service (services call it too); re-exported for the routes that meet it here.
export { enforceRateLimit, enforceRateLimits } from "../services/rate-limit";
