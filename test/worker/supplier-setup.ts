import { serve } from "@hono/node-server";
import type { TestProject } from "vitest/node";
import { createSupplierApp } from "../../scripts/lib/supplier-app";
import { freePort } from "../../scripts/lib/free-port";

/** The sandbox supplier service on a free port, for the worker tests' direct-recharge routing. */
export default async function setup(project: TestProject) {
  const port = await freePort();
  const server = serve({ fetch: createSupplierApp("test-supplier-sandbox-secret").fetch, port, hostname: "127.0.0.1" });
  project.provide("supplierUrl", `http://127.0.0.1:${port}`);
  return () => void server.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    supplierUrl: string;
  }
}
