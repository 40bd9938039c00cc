import { clientIpOf, ipKey } from "../domain/client-ip";
import type { Context } from "hono";
import type { AppEnv } from "../types";

export function clientIp(c: Context<AppEnv>): string {
  return clientIpOf(c.req.raw.headers);
}

/** The client as per-IP rate limits count it: its IPv4 address, or its IPv6 /64 (domain/client-ip.ts ipKey). */
export function clientIpKey(c: Context<AppEnv>): string {
  return ipKey(clientIp(c));
}

// The limiter is a service (services call it too); re-exported for the routes that meet it here.
export { enforceRateLimit, enforceRateLimits } from "../services/rate-limit";
