import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { mkdirSync } from "node:fs";
import { SINGLE, type ClusterMode } from "./cluster";

export interface WarehouseConfig {
  /** A real ClickHouse server or cluster, e.g. https://writer:pass@host:8443/kaquan. Empty: embedded chdb. */
  clickhouseUrl?: string;
  /** Dashboard queries on a server run as this (read-only) user: https://reader:pass@host:8443/kaquan. Default: clickhouseUrl. */
  clickhouseQueryUrl?: string;
  /** Data directory of the embedded engine (one owner process per directory). */
  dataDir: string;
  mode?: ClusterMode;
}

export interface Warehouse {
  /** Writes: ingest and migrations. */
  client: ClickHouseClient;
  /** Reads: dashboard queries (the read-only user on a server; the same connection when embedded). */
  queryClient: ClickHouseClient;
  embedded: boolean;
  mode: ClusterMode;
}

/**
 * One code path for both back ends: @clickhouse/client talks HTTP to a server when CLICKHOUSE_URL is set,
 * and to ClickHouse embedded in this process (chdb) otherwise. No client-wide settings (analytics/settings.ts).
 */
export async function createWarehouseClient(config: WarehouseConfig): Promise<Warehouse> {
  const mode = config.mode ?? SINGLE;
  if (config.clickhouseUrl) {
    const client = createClient({ url: config.clickhouseUrl });
    const queryClient = config.clickhouseQueryUrl ? createClient({ url: config.clickhouseQueryUrl }) : client;
    return { client, queryClient, embedded: false, mode };
  }
  mkdirSync(config.dataDir, { recursive: true });
  const { createChdbConnection } = await import("chdb/connection");
  const connection = createChdbConnection({ path: config.dataDir });
  // chdb ships its own copy of the client's connection types; they are the same interface.
  const client = createClient({ connection: connection as never } as never) as ClickHouseClient;
  return { client, queryClient: client, embedded: true, mode };
}
