import type { ClickHouseClient } from "@clickhouse/client";
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { rewriteForCluster, SINGLE, type ClusterMode } from "./cluster";
import { QUERY_SETTINGS } from "./settings";

const MIGRATIONS_DIR = fileURLToPath(new URL("../schema/clickhouse/", import.meta.url));
const LOCK_TABLE = "schema_migrations_lock";

export interface MigrateOptions {
  dir?: string;
  mode?: ClusterMode;
  /** How long to wait for another process's lock before giving up. */
  lockWaitMs?: number;
  /** A lock older than this is taken to be left by a crashed process and is broken. */
  staleLockMs?: number;
}

export class MigrationError extends Error {}

export const checksum = (sql: string) => createHash("sha256").update(sql).digest("hex");

/**
 * Applies schema/clickhouse/NNNN_*.sql in order, once each, under a lock, recording each file's SHA-256.
 * A file whose checksum differs from the one recorded when it was applied is refused (migrations are history:
 * write a new one). Two processes starting together: one takes the lock and applies, the other waits for it and
 * then finds nothing left to do.
 */
export async function migrate(client: ClickHouseClient, options: MigrateOptions = {}): Promise<string[]> {
  const dir = options.dir ?? MIGRATIONS_DIR;
  const mode = options.mode ?? SINGLE;
  const run = async (statement: string) => {
    await client.command({ query: rewriteForCluster(statement, mode) });
  };
  await run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime DEFAULT now(), checksum String DEFAULT '')
     ENGINE = MergeTree ORDER BY name`,
  );
  // Recorded before checksums existed: the column is added, and such rows are checked from now on.
  await run("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum String DEFAULT ''");

  const files = readdirSync(dir).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();
  const release = await takeLock(client, run, options);
  try {
    const rs = await client.query({
      query: "SELECT name, max(checksum) AS checksum FROM schema_migrations GROUP BY name",
      format: "JSONEachRow",
      clickhouse_settings: QUERY_SETTINGS,
    });
    const done = new Map((await rs.json<{ name: string; checksum: string }>()).map((r) => [r.name, r.checksum]));
    const applied: string[] = [];
    const backfill: { name: string; checksum: string }[] = [];
    for (const file of files) {
      const sql = readFileSync(dir + file, "utf8");
      const sum = checksum(sql);
      if (done.has(file)) {
        const recorded = done.get(file)!;
        if (recorded && recorded !== sum) {
          throw new MigrationError(
            `ClickHouse migration ${file} changed after it was applied (recorded sha256 ${recorded.slice(0, 12)}…, file ${sum.slice(0, 12)}…). ` +
              "Applied migrations are history: restore the file and add a new migration.",
          );
        }
        if (!recorded) backfill.push({ name: file, checksum: sum });
        continue;
      }
      for (const statement of splitStatements(sql)) await run(statement);
      await client.insert({ table: "schema_migrations", values: [{ name: file, checksum: sum }], format: "JSONEachRow" });
      applied.push(file);
    }
    if (backfill.length) await client.insert({ table: "schema_migrations", values: backfill, format: "JSONEachRow" });
    return applied;
  } finally {
    await release();
  }
}

/**
 * The lock is a table: CREATE TABLE (without IF NOT EXISTS) succeeds for exactly one caller, on a server and, as
 * distributed DDL, on a cluster. Its one row names the holder and when it was taken, so a lock left by a crashed
 * process is broken after `staleLockMs`.
 */
async function takeLock(client: ClickHouseClient, run: (sql: string) => Promise<void>, o: MigrateOptions): Promise<() => Promise<void>> {
  const holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  const deadline = Date.now() + (o.lockWaitMs ?? 120_000);
  const staleMs = o.staleLockMs ?? 10 * 60_000;
  for (let wait = 50; ; wait = Math.min(1_000, wait * 2)) {
    try {
      await run(`CREATE TABLE ${LOCK_TABLE} (holder String, taken_at DateTime64(3) DEFAULT now64(3)) ENGINE = MergeTree ORDER BY tuple()`);
      await client.insert({ table: LOCK_TABLE, values: [{ holder }], format: "JSONEachRow" });
      return async () => {
        await run(`DROP TABLE IF EXISTS ${LOCK_TABLE}`);
      };
    } catch (e) {
      if (!/already exists|TABLE_ALREADY_EXISTS|Code: 57\b/i.test(String(e))) throw e;
    }
    const age = await lockAgeMs(client);
    if (age !== null && age > staleMs) {
      console.warn(`warehouse: breaking a migration lock held for ${Math.round(age / 1000)} s (a crashed process?)`);
      await run(`DROP TABLE IF EXISTS ${LOCK_TABLE}`);
      continue;
    }
    if (Date.now() > deadline) throw new MigrationError(`ClickHouse migrations are locked by another process (table ${LOCK_TABLE}); waited ${o.lockWaitMs ?? 120_000} ms`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Age of the lock table (its creation time in system.tables, so a lock whose row was never written ages too). */
async function lockAgeMs(client: ClickHouseClient): Promise<number | null> {
  const rs = await client.query({
    query: `SELECT toUnixTimestamp(now()) - toUnixTimestamp(metadata_modification_time) AS age FROM system.tables
            WHERE database = currentDatabase() AND name = {t:String}`,
    query_params: { t: LOCK_TABLE },
    format: "JSONEachRow",
    clickhouse_settings: QUERY_SETTINGS,
  });
  const row = (await rs.json<{ age: number }>())[0];
  return row ? Number(row.age) * 1000 : null; // null: released meanwhile
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter(Boolean);
}
