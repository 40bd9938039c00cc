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
  const connection = scopedSettings(createChdbConnection({ path: config.dataDir }));
  // chdb ships its own copy of the client's connection types; they are the same interface.
  const client = createClient({ connection: connection as never } as never) as ClickHouseClient;
  return { client, queryClient: client, embedded: true, mode };
}

type Call = { query?: string; clickhouse_settings?: Record<string, unknown> };
const STATEMENTS = new Set(["query", "exec", "command", "insert"]);

/**
 * chdb applies a statement's `clickhouse_settings` as `SET …` on its one session, so they stayed for every later
 * statement of the process: a bulk load's block sizes, a mutation's mutations_sync (an experiment's block-size,
 * aggregation and thread settings left behind made every later funnel query 3× slower). As on a server, they now hold
 * for their own statement only: a setting an earlier statement set and this one does not is put back to its default
 * first. Statements that overlap in time still share chdb's one session, as before.
 */
function scopedSettings<C extends object>(connection: C): C {
  const set = new Set<string>();
  return new Proxy(connection, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== "function") return value;
      // Bound to the real connection: its private fields (#closed, …) are not on the proxy.
      if (typeof name !== "string" || !STATEMENTS.has(name)) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (params: Call) => {
        const own = Object.keys(params.clickhouse_settings ?? {});
        const stale = [...set].filter((k) => !own.includes(k));
        if (stale.length) {
          await (target as unknown as { command(p: { query: string }): Promise<unknown> }).command({ query: stale.map((k) => `SET ${k} = DEFAULT`).join("; ") });
          for (const k of stale) set.delete(k);
        }
        // Still counted as set: chdb keeps a statement's SETTINGS clause for the statements after it too.
        for (const k of own) set.add(k);
        return (value as (p: Call) => Promise<unknown>).call(target, name === "insert" ? settingsInStatement(params) : params);
      };
    },
  });
}

const FORMAT_CLAUSE = /\sFORMAT\s+\w+\s*$/;
const literal = (v: unknown) => (typeof v === "number" ? String(v) : typeof v === "boolean" ? (v ? "1" : "0") : `'${String(v).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`);

/**
 * An insert's settings go into its own statement (`INSERT … SETTINGS k = v FORMAT …`) instead of `SET` statements
 * in front of it: chdb sends the rows inline after the statement, and with statements in front it ran the whole text,
 * rows included, as several statements: 9.9–12.1 µs of CPU per streamed event against 7.6–9.3 with the settings
 * inside (three alternating pairs, bench/README.md, session 53).
 */
function settingsInStatement(params: Call): Call {
  const settings = Object.entries(params.clickhouse_settings ?? {}).filter(([, v]) => v !== undefined);
  if (!settings.length || !params.query || !FORMAT_CLAUSE.test(params.query)) return params;
  for (const [k] of settings) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`Invalid setting name: ${JSON.stringify(k)}`);
  const clause = ` SETTINGS ${settings.map(([k, v]) => `${k} = ${literal(v)}`).join(", ")}`;
  return { ...params, query: params.query.replace(FORMAT_CLAUSE, (f) => `${clause}${f}`), clickhouse_settings: undefined };
}
