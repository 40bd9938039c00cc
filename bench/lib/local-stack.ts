import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kaquanClient } from "../../scripts/lib/api/client";
import { startStack, type Stack } from "../../scripts/lib/stack";

/**
 * The stack a bench drives: `url` (an already running one whose state is in `state`) or its own `npm start` stack on
 * free ports in a temp dir, with the per-IP ceilings lifted (every simulated buyer comes from 127.0.0.1).
 */
export async function benchStack(name: string, url: string | undefined, state: string) {
  let stack: Stack | null = null;
  let base = url;
  let stateDir = state;
  if (!base) {
    stateDir = mkdtempSync(join(tmpdir(), `kq-bench-${name}-`));
    process.env.KAQUAN_ORDER_IP_LIMIT = "1000000";
    process.env.KAQUAN_SESSION_IP_LIMIT = "1000000";
    process.stderr.write("starting a local stack… ");
    stack = await startStack(stateDir);
    base = stack.baseUrl;
    process.stderr.write(`${base}\n`);
  }
  const { keys } = JSON.parse(readFileSync(`${stateDir}/.kaquan/demo-keys.json`, "utf8")) as { keys: Record<string, string> };
  return {
    base,
    stateDir,
    keys,
    admin: kaquanClient(base, keys.admin!),
    slug: "demo",
    /** Stops and removes a stack the bench started (a given one is left running). */
    async stop() {
      if (!stack) return;
      await stack.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
