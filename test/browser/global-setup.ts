import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { chromium } from "playwright-core";
import { demoKeys, startStack } from "../../scripts/lib/stack";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium";

/** One real stack (worker + warehouse + seeded Demo Brand) and one Chromium, shared by every browser test file. */
export default async function setup(project: TestProject) {
  const state = mkdtempSync(join(tmpdir(), "kaquan-browser-"));
  // Every simulated phone of every browser test comes from 127.0.0.1: lift the per-IP session ceiling for this stack
  // (the limit itself is tested in test/worker/session-limit-integration.test.ts).
  process.env.KAQUAN_SESSION_IP_LIMIT ??= "100000";
  const [stack, browser] = await Promise.all([startStack(state), chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })]);
  const seed = demoKeys(state);
  project.provide("chromiumWs", browser.wsEndpoint());
  project.provide("stack", { baseUrl: stack.baseUrl, warehouseUrl: stack.warehouseUrl, tenantId: seed.tenantId, keys: seed.keys, stateDir: state });
  return async () => {
    await browser.close();
    await stack.stop();
    rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    chromiumWs: string;
    stack: { baseUrl: string; warehouseUrl: string; tenantId: string; keys: Record<string, string>; stateDir: string };
  }
}
