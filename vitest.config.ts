import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { freePort } from "./scripts/lib/free-port.ts";

/**
 * Three projects:
 *  - unit: pure logic on Node;
 *  - worker: integration tests inside workerd (real D1, Durable Objects, Queues) via the Workers pool;
 *  - analytics: the warehouse on embedded ClickHouse (chdb), one file per process (chdb's one-directory rule).
 *  - browser: real Chromium (Debian's, via playwright-core) against one shared real stack, phone viewport;
 *  - e2e: the whole `npm start` stack on free ports, restarted to prove persistence.
 */
export default defineConfig(async () => {
  // Chosen once in the main process; test/worker/global-setup.ts starts the warehouse on it.
  process.env.KAQUAN_TEST_WAREHOUSE_PORT ??= String(await freePort());
  const warehousePort = process.env.KAQUAN_TEST_WAREHOUSE_PORT;
  const migrations = await readD1Migrations("schema/d1");
  return {
    test: {
      projects: [
        {
          test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  // wrangler.toml defaults to production; the tests run the development build (sandbox routes).
                  ENVIRONMENT: "development",
                  PLATFORM_ADMIN_TOKEN: "test-platform-token",
                  API_KEY_PEPPER: "test-pepper",
                  WAREHOUSE_INGEST_SECRET: "test-ingest-secret",
                  WAREHOUSE_QUERY_SECRET: "test-query-secret",
                  CARD_KEY_ENCRYPTION_KEY: "test-card-key-encryption-key",
                  BUYER_SESSION_SECRET: "test-buyer-session-secret",
                  PAYMENT_SANDBOX_SECRET: "test-payment-sandbox-secret",
                  SUPPLIER_SANDBOX_SECRET: "test-supplier-sandbox-secret",
                  SETTLEMENT_SIGNING_KEY: "test-settlement-signing-key",
                  WAREHOUSE_URL: `http://127.0.0.1:${warehousePort}`,
                },
              },
            }),
          ],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            // One workerd per vitest worker for all its files (a runtime per file cost ~6 s each, a third of CI).
            // Files share that database: each test makes its own tenant, and never asserts counts over all tenants.
            isolate: false,
            // Workers-runtime tests make many real D1/DO round trips: a slow or shared machine must not turn into failures.
            testTimeout: 60_000,
            setupFiles: ["test/worker/apply-migrations.ts"],
            globalSetup: ["test/worker/global-setup.ts", "test/worker/supplier-setup.ts", "test/worker/alipay-setup.ts", "test/worker/wechatpay-setup.ts"],
          },
        },
        {
          test: {
            name: "analytics",
            include: ["test/analytics/**/*.test.ts"],
            environment: "node",
            pool: "forks",
            // Beside the other lanes (load ~8 on two cores) a data-heavy test here took over 30 s in CI (~11 s alone).
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          // The migrations' ClickHouse-cluster form (analytics/cluster.ts) applied and read: the data migrations and two
          // metrics. On the embedded engine its tables are exactly the single-server ones (test/unit/cluster-unit.test.ts
          // strips every real statement back to itself), so the other metric files would only repeat themselves here.
          test: {
            name: "analytics-cluster",
            include: ["test/analytics/*-migration.test.ts", "test/analytics/retention.test.ts", "test/analytics/kfactor.test.ts"],
            environment: "node",
            pool: "forks",
            env: { KAQUAN_TEST_CLUSTER: "1" },
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          test: {
            name: "browser",
            include: ["test/browser/**/*.test.ts"],
            environment: "node",
            pool: "forks",
            globalSetup: ["test/browser/global-setup.ts"],
            testTimeout: 60_000,
            // Real Chromium on real clocks beside three other lanes (load ~8 on two cores): in CI a journey that missed a
            // wall-clock window gets one more try, and scripts/test-all.ts names it at the end as a flake to look at.
            retry: process.env.CI ? 1 : 0,
            hookTimeout: 200_000,
            // A page on a loaded machine may take seconds to show what a poll waits for (expect.poll's default is 1 s:
            // a test that once failed only under load). A poll that passes returns as soon as it does.
            expect: { poll: { timeout: 10_000 } },
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            // One whole stack at a time: a stack restarted on its own ports (crash, persistence) must not find one of
            // them taken by another test's freshly picked free port. `npm test` runs this project after the worker
            // project, in a vitest process beside the unit, warehouse and browser projects (scripts/test-all.ts).
            fileParallelism: false,
            environment: "node",
            pool: "forks",
            testTimeout: 300_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
