/**
 * Migrations for a ClickHouse cluster (CLICKHOUSE_CLUSTER): every DDL statement gets `ON CLUSTER '<name>'` and
 * every *MergeTree engine becomes its Replicated* twin with the server's default replica path and name
 * (`default_replica_path`, `default_replica_name`: `/clickhouse/tables/{uuid}/{shard}`, `{replica}`), so each replica
 * holds the whole table. Data statements (INSERT … SELECT in a migration) run once, on the server the warehouse talks
 * to; replication copies the rows. ClickHouse Cloud (CLICKHOUSE_CLOUD=1) replicates every table already: nothing is
 * rewritten there. Pure text rewriting: unit-tested, and test/analytics runs every migration and metric through it.
 */
export interface ClusterMode {
  /** The cluster's name in remote_servers; null = a single server (or embedded chdb). */
  cluster: string | null;
  /** ClickHouse Cloud: tables are replicated already (SharedMergeTree), statements run as written. */
  cloud: boolean;
}

export const SINGLE: ClusterMode = { cluster: null, cloud: false };

const quote = (name: string) => `'${name.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

const DDL: RegExp[] = [
  // CREATE TABLE / MATERIALIZED VIEW / VIEW [IF NOT EXISTS] name
  /^(CREATE\s+(?:TABLE|MATERIALIZED\s+VIEW|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?[`\w.]+)/i,
  // ALTER TABLE name, DROP TABLE|VIEW [IF EXISTS] name, TRUNCATE TABLE [IF EXISTS] name
  /^(ALTER\s+TABLE\s+[`\w.]+)/i,
  /^(DROP\s+(?:TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?[`\w.]+)/i,
  /^(TRUNCATE\s+TABLE\s+(?:IF\s+EXISTS\s+)?[`\w.]+)/i,
];

export function rewriteForCluster(statement: string, mode: ClusterMode): string {
  if (!mode.cluster || mode.cloud) return statement;
  const on = ` ON CLUSTER ${quote(mode.cluster)}`;
  let s = statement.trim();
  if (/^RENAME\s+TABLE\s/i.test(s)) return `${s}${on}`; // the clause follows the last pair
  const ddl = DDL.find((re) => re.test(s));
  if (!ddl) return s; // INSERT … SELECT and other data statements: once, on this server
  s = s.replace(ddl, `$1${on}`);
  return s.replace(/\bENGINE\s*=\s*(Replacing|Aggregating|Summing|Collapsing|VersionedCollapsing)?MergeTree\b/gi, (_m, kind = "") => `ENGINE = Replicated${kind}MergeTree`);
}

export function clusterModeFromEnv(env: Record<string, string | undefined>): ClusterMode {
  return { cluster: env.CLICKHOUSE_CLUSTER || null, cloud: env.CLICKHOUSE_CLOUD === "1" };
}
