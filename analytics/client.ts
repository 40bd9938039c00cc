import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { mkdirSync } from "node:fs";

export interface WarehouseConfig {
  /** A real ClickHouse server or cluster, e.g. https://user:pass@host:8443/kaquan. Empty: embedded chdb. */
  clickhouseUrl?: string;
  /** Data directory of the embedded engine (one owner process per directory). */
  dataDir: string;
}

const SETTINGS = {
  output_format_json_quote_64bit_integers: 0,
  date_time_input_format: "best_effort",
  // ReplacingMergeTree would otherwise collapse duplicates inside each inserted block; ingest already skips known
  // event ids, and skipping that sort more than doubled bulk-load speed (bench:analytics).
  optimize_on_insert: 0,
} as const;

/**
 * One code path for both back ends: @clickhouse/client talks HTTP to a server when CLICKHOUSE_URL is set,
 * and to ClickHouse embedded in this process (chdb) otherwise.
 */
export async function createWarehouseClient(config: WarehouseConfig): Promise<{ client: ClickHouseClient; embedded: boolean }> {
  if (config.clickhouseUrl) {
    return { client: createClient({ url: config.clickhouseUrl, clickhouse_settings: SETTINGS }), embedded: false };
  }
  mkdirSync(config.dataDir, { recursive: true });
  const { createChdbConnection } = await import("chdb/connection");
  const connection = createChdbConnection({ path: config.dataDir });
  // chdb ships its own copy of the client's connection types; they are the same interface.
  const client = createClient({ connection: connection as never, clickhouse_settings: SETTINGS } as never);
  return { client, embedded: true };
}
