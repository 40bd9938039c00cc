import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { rewriteForCluster, SINGLE } from "../../analytics/cluster";
import { splitStatements } from "../../analytics/migrate";
import { stripCluster } from "../analytics/cluster-client";

const C = { cluster: "kaquan", cloud: false };

describe("ClickHouse migrations in cluster form", () => {
  it("puts ON CLUSTER on every DDL statement and replicates every MergeTree engine", () => {
    expect(rewriteForCluster("CREATE TABLE IF NOT EXISTS events (x UInt8) ENGINE = ReplacingMergeTree ORDER BY x", C)).toBe(
      "CREATE TABLE IF NOT EXISTS events ON CLUSTER 'kaquan' (x UInt8) ENGINE = ReplicatedReplacingMergeTree ORDER BY x",
    );
    expect(rewriteForCluster("CREATE TABLE IF NOT EXISTS b AS events\nENGINE = ReplacingMergeTree\nORDER BY x", C)).toBe(
      "CREATE TABLE IF NOT EXISTS b ON CLUSTER 'kaquan' AS events\nENGINE = ReplicatedReplacingMergeTree\nORDER BY x",
    );
    expect(rewriteForCluster("CREATE TABLE p (x UInt8) ENGINE = AggregatingMergeTree ORDER BY x", C)).toContain("ENGINE = ReplicatedAggregatingMergeTree");
    expect(rewriteForCluster("CREATE TABLE m (x UInt8) ENGINE = MergeTree ORDER BY x", C)).toContain("ENGINE = ReplicatedMergeTree");
    expect(rewriteForCluster("CREATE MATERIALIZED VIEW IF NOT EXISTS mv TO p AS SELECT 1", C)).toBe(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS mv ON CLUSTER 'kaquan' TO p AS SELECT 1",
    );
    expect(rewriteForCluster("ALTER TABLE events ADD COLUMN IF NOT EXISTS c String", C)).toBe("ALTER TABLE events ON CLUSTER 'kaquan' ADD COLUMN IF NOT EXISTS c String");
    expect(rewriteForCluster("DROP VIEW IF EXISTS mv", C)).toBe("DROP VIEW IF EXISTS mv ON CLUSTER 'kaquan'");
    expect(rewriteForCluster("RENAME TABLE a TO b, c TO a", C)).toBe("RENAME TABLE a TO b, c TO a ON CLUSTER 'kaquan'");
  });

  it("runs data statements once, and changes nothing on a single server or on ClickHouse Cloud", () => {
    const insert = "INSERT INTO p SELECT * FROM events";
    expect(rewriteForCluster(insert, C)).toBe(insert);
    const ddl = "CREATE TABLE m (x UInt8) ENGINE = MergeTree ORDER BY x";
    expect(rewriteForCluster(ddl, SINGLE)).toBe(ddl);
    expect(rewriteForCluster(ddl, { cluster: "default", cloud: true })).toBe(ddl);
  });

  it("strips back to a statement the embedded engine runs (test path)", () => {
    const ddl = "CREATE TABLE IF NOT EXISTS b AS events ENGINE = ReplacingMergeTree ORDER BY x";
    expect(stripCluster(rewriteForCluster(ddl, C))).toBe(ddl);
  });
});

it("every real migration statement strips back to exactly itself, so the embedded cluster path builds the same tables", () => {
  // Why test/analytics runs only the migration files in cluster form (vitest.config.ts): on the embedded engine the
  // cluster path's tables are these statements, so every metric reads what the single-server tests already read.
  const dir = fileURLToPath(new URL("../../schema/clickhouse/", import.meta.url));
  const files = readdirSync(dir).filter((f) => /^\d{4}_.*\.sql$/.test(f));
  expect(files.length).toBeGreaterThan(10);
  let rewritten = 0;
  for (const file of files) {
    for (const statement of splitStatements(readFileSync(dir + file, "utf8"))) {
      const clustered = rewriteForCluster(statement, C);
      if (clustered !== statement) rewritten++;
      expect(stripCluster(clustered), file).toBe(statement);
    }
  }
  expect(rewritten).toBeGreaterThan(30);
});
