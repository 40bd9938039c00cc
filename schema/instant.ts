import { z } from "@hono/zod-openapi";
import { BUSINESS_UTC_OFFSET } from "../worker/domain/china-time";

/**
 * A range bound of the analytics and export APIs: an ISO date-time with its offset, or a bare date, which is that
 * China day's midnight (2026-11-01 → 2026-10-31T16:00:00.000Z), as the dashboard and its day buckets count days.
 */
export const Instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00${BUSINESS_UTC_OFFSET}` : s).toISOString());
