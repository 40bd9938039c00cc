import { serve } from "@hono/node-server";
import type { TestProject } from "vitest/node";
import { createAlipayApp, loadAlipayState } from "../../scripts/lib/alipay-app";
import { freePort } from "../../scripts/lib/free-port";

/** The Alipay sandbox on a free port; notifies kept in its outbox (workerd cannot be reached from here), fresh keys. */
export default async function setup(project: TestProject) {
  const port = await freePort();
  const server = serve({ fetch: createAlipayApp(await loadAlipayState(), { deliverNotify: false }).fetch, port, hostname: "127.0.0.1" });
  project.provide("alipayUrl", `http://127.0.0.1:${port}`);
  return () => void server.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    alipayUrl: string;
  }
}
