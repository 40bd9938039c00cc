import type { ClickHouseClient } from "@clickhouse/client";

/**
 * The cluster path on the embedded engine, which has neither remote_servers nor Keeper: each DDL statement is first
 * handed to `inspect` exactly as it would go to a cluster, then run with its cluster clause and replication taken out.
 */
export function clusterOnEmbedded(client: ClickHouseClient, inspect?: (sql: string) => Promise<void> | void): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "command") return Reflect.get(target, prop, receiver);
      return async (params: Parameters<ClickHouseClient["command"]>[0]) => {
        await inspect?.(params.query);
        return target.command({ ...params, query: stripCluster(params.query) });
      };
    },
  });
}

export function stripCluster(sql: string): string {
  return sql
    .replace(/\s+ON\s+CLUSTER\s+'(?:[^'\\]|\\.)*'/gi, "")
    .replace(/\bENGINE\s*=\s*Replicated(\w*MergeTree)\b/gi, "ENGINE = $1");
}

export const TEST_CLUSTER = { cluster: "kaquan", cloud: false } as const;
