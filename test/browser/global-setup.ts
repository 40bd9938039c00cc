import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { demoKeys, startStack } from "../../scripts/lib/stack";

/** One real stack (worker + warehouse + seeded Demo Brand) shared by every browser test. */
export default async function setup(project: TestProject) {
  const state = mkdtempSync(join(tmpdir(), "kaquan-browser-"));
  // Every simulated phone of every browser test comes from 127.0.0.1: lift the per-IP session ceiling for this stack
  // (the limit itself is tested in test/worker/session-limit-integration.test.ts).
  process.env.KAQUAN_SESSION_IP_LIMIT ??= "100000";
  const stack = await startStack(state);
  const seed = demoKeys(state);
  project.provide("stack", { baseUrl: stack.baseUrl, warehouseUrl: stack.warehouseUrl, tenantId: seed.tenantId, keys: seed.keys, stateDir: state });
  return async () => {
    await stack.stop();
    rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    stack: { baseUrl: string; warehouseUrl: string; tenantId: string; keys: Record<string, string>; stateDir: string };
  }
}
