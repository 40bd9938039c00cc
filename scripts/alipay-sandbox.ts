/** The local Alipay sandbox started by `npm start` beside the worker (see scripts/lib/alipay-app.ts). */
import { serve } from "@hono/node-server";
import { createAlipayApp, loadAlipayState } from "./lib/alipay-app";

const port = Number(process.env.ALIPAY_PORT ?? 8791);
// With a state file (npm start keeps it under .data/) the keys and the books survive a restart.
const file = process.env.ALIPAY_STATE_FILE;
const state = await loadAlipayState(file);
serve({ fetch: createAlipayApp(state, { file }).fetch, port, hostname: process.env.ALIPAY_HOST ?? "127.0.0.1" }, () => {
  console.log(`alipay sandbox on http://127.0.0.1:${port}/gateway.do (APPID ${state.app.appId})`);
});
