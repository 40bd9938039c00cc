/** The WeChat Pay API v3 sandbox started by `npm start` beside the worker (see scripts/lib/wechatpay-app.ts). */
import { serve } from "@hono/node-server";
import { createWechatPayApp } from "./lib/wechatpay-app";

const port = Number(process.env.WECHATPAY_PORT ?? 8790);
// With a state file (npm start keeps it beside the other state) keys and books survive a restart.
const { app } = await createWechatPayApp({ stateFile: process.env.WECHATPAY_STATE_FILE });
serve({ fetch: app.fetch, port, hostname: process.env.WECHATPAY_HOST ?? "127.0.0.1" }, () => {
  console.log(`WeChat Pay sandbox on http://127.0.0.1:${port} (GET /sandbox/merchant for the test merchant)`);
});
