import type { ClickHouseClient } from "@clickhouse/client";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWarehouseClient } from "../../analytics/client";
import { migrate, MigrationError } from "../../analytics/migrate";

// One engine per file (chdb); each test uses its own migrations folder and database.
let dir: string;
let client: ClickHouseClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kaquan-migrate-"));
  ({ client } = await createWarehouseClient({ dataDir: join(dir, "ch") }));
});
afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

/** A database of its own (the embedded engine has one directory per process) and a migrations folder of its own. */
async function scratch(name: string, files: Record<string, string>) {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${name}` });
  const folder = join(dir, name) + "/";
  mkdirSync(folder, { recursive: true });
  for (const [file, sql] of Object.entries(files)) writeFileSync(folder + file, sql.replaceAll("DB.", `${name}.`));
  return folder;
}

/** The migrations' own bookkeeping tables live in the current database; run them against `db` through a prefix. */
function inDb(db: string): ClickHouseClient {
  const q = (sql: string) => sql.replace(/\b(schema_migrations_lock|schema_migrations)\b/g, `${db}.$1`).replace(/currentDatabase\(\)/g, `'${db}'`);
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "command" || prop === "query") return (p: { query: string }) => (target as never as Record<string, (x: unknown) => unknown>)[prop]!.call(target, { ...p, query: q(p.query) });
      if (prop === "insert") return (p: Parameters<ClickHouseClient["insert"]>[0]) => target.insert({ ...p, table: `${db}.${p.table}` });
      return Reflect.get(target, prop, receiver);
    },
  });
}

const FILES = {
  "0001_create_a.sql": "CREATE TABLE IF NOT EXISTS DB.a (x UInt8) ENGINE = MergeTree ORDER BY x;\n",
  "0002_fill_a.sql": "INSERT INTO DB.a VALUES (1), (2);\n",
  "0003_create_b.sql": "CREATE TABLE DB.b (x UInt8) ENGINE = MergeTree ORDER BY x;\n",
};

describe("warehouse migrations", () => {
  it("two processes starting together: one applies each migration once, the other waits and finds nothing to do", async () => {
    const folder = await scratch("m_race", FILES);
    const db = inDb("m_race");
    const [one, two] = await Promise.all([migrate(db, { dir: folder }), migrate(db, { dir: folder })]);
    expect([...one, ...two].sort()).toEqual(Object.keys(FILES));
    expect(one.length === 0 || two.length === 0).toBe(true);
    const rs = await client.query({ query: "SELECT count() AS n FROM m_race.a", format: "JSONEachRow" });
    expect((await rs.json<{ n: number }>())[0]!.n).toBe(2); // the data migration ran once
    // The lock is released.
    const tables = await client.query({ query: "SELECT name FROM system.tables WHERE database = 'm_race' ORDER BY name", format: "JSONEachRow" });
    expect((await tables.json<{ name: string }>()).map((t) => t.name)).toEqual(["a", "b", "schema_migrations"]);
  });

  it("refuses a past migration whose file changed, and applies nothing after it", async () => {
    const folder = await scratch("m_changed", FILES);
    const db = inDb("m_changed");
    await migrate(db, { dir: folder });
    appendFileSync(folder + "0002_fill_a.sql", "INSERT INTO m_changed.a VALUES (3);\n");
    writeFileSync(folder + "0004_create_c.sql", "CREATE TABLE m_changed.c (x UInt8) ENGINE = MergeTree ORDER BY x;\n");
    await expect(migrate(db, { dir: folder })).rejects.toThrow(MigrationError);
    await expect(migrate(db, { dir: folder })).rejects.toThrow(/0002_fill_a\.sql changed/);
    const rs = await client.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'm_changed' AND name = 'c'", format: "JSONEachRow" });
    expect((await rs.json<{ n: number }>())[0]!.n).toBe(0);
  });

  it("records checksums for migrations applied before checksums existed, and checks them from then on", async () => {
    const folder = await scratch("m_legacy", FILES);
    await client.command({ query: "CREATE TABLE m_legacy.schema_migrations (name String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY name" });
    await client.command({ query: "CREATE TABLE m_legacy.a (x UInt8) ENGINE = MergeTree ORDER BY x" });
    await client.insert({ table: "m_legacy.schema_migrations", values: [{ name: "0001_create_a.sql" }], format: "JSONEachRow" });
    const db = inDb("m_legacy");
    expect(await migrate(db, { dir: folder })).toEqual(["0002_fill_a.sql", "0003_create_b.sql"]);
    appendFileSync(folder + "0001_create_a.sql", "-- edited\n");
    await expect(migrate(db, { dir: folder })).rejects.toThrow(/0001_create_a\.sql changed/);
  });

  it("waits for a lock another process holds, and breaks one left by a crashed process", async () => {
    const folder = await scratch("m_lock", FILES);
    const db = inDb("m_lock");
    await client.command({ query: "CREATE TABLE m_lock.schema_migrations_lock (holder String) ENGINE = MergeTree ORDER BY tuple()" });
    await expect(migrate(db, { dir: folder, lockWaitMs: 300 })).rejects.toThrow(/locked by another process/);
    expect(await migrate(db, { dir: folder, staleLockMs: -1 })).toEqual(Object.keys(FILES));
  });
});

it("the real migrations folder holds only NNNN_*.sql files", () => {
  expect(readdirSync(join(import.meta.dirname, "../../schema/clickhouse")).every((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))).toBe(true);
});
