import { serve } from "@hono/node-server";
import type { TestProject } from "vitest/node";
import { createWechatPayApp } from "../../scripts/lib/wechatpay-app";
import { freePort } from "../../scripts/lib/free-port";

/** The WeChat Pay v3 sandbox on a free port; tests make "hold" merchants and post the held notifications themselves. */
export default async function setup(project: TestProject) {
  const port = await freePort();
  const { app } = await createWechatPayApp();
  const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
  project.provide("wechatpayUrl", `http://127.0.0.1:${port}`);
  return () => void server.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    wechatpayUrl: string;
  }
}
