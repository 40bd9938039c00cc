import type { ClickHouseClient } from "@clickhouse/client";
import type { z } from "zod";
import { QUERY_SETTINGS } from "../settings";

/** One dashboard view: zod params and rows (from schema/analytics.ts) and a tenant-scoped query. */
export interface Metric<P extends z.ZodType, R extends z.ZodType> {
  params: P;
  row: R;
  run(client: ClickHouseClient, tenantId: string, params: z.output<P>): Promise<z.output<R>[]>;
}

/** Every query binds {tenant:String}, {from:String}, {to:String}; these fragments keep the scoping uniform. */
export const TENANT = "tenant_id = {tenant:String}";
export const FROM = "parseDateTime64BestEffort({from:String}, 3, 'UTC')";
export const TO = "parseDateTime64BestEffort({to:String}, 3, 'UTC')";
export const IN_RANGE = `occurred_at >= ${FROM} AND occurred_at < ${TO}`;

export async function select<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: "JSONEachRow", clickhouse_settings: QUERY_SETTINGS });
  return rs.json<T>();
}

export const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);
