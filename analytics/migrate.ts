import type { ClickHouseClient } from "@clickhouse/client";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MIGRATIONS_DIR = fileURLToPath(new URL("../schema/clickhouse/", import.meta.url));

/** Applies schema/clickhouse/NNNN_*.sql in order, once each, recording them in schema_migrations. */
export async function migrate(client: ClickHouseClient, dir = MIGRATIONS_DIR): Promise<string[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime DEFAULT now())
            ENGINE = MergeTree ORDER BY name`,
  });
  const rs = await client.query({ query: "SELECT name FROM schema_migrations", format: "JSONEachRow" });
  const done = new Set((await rs.json<{ name: string }>()).map((r) => r.name));
  const applied: string[] = [];
  for (const file of readdirSync(dir).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort()) {
    if (done.has(file)) continue;
    for (const statement of splitStatements(readFileSync(dir + file, "utf8"))) {
      await client.command({ query: statement });
    }
    await client.insert({ table: "schema_migrations", values: [{ name: file }], format: "JSONEachRow" });
    applied.push(file);
  }
  return applied;
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter(Boolean);
}
