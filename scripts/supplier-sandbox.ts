/** The sandbox supplier service started by `npm start` beside the worker (see scripts/lib/supplier-app.ts). */
import { serve } from "@hono/node-server";
import { createSupplierApp, defaultProfiles, fileJournal } from "./lib/supplier-app";

const port = Number(process.env.SUPPLIER_PORT ?? 8789);
const secret = process.env.SUPPLIER_SANDBOX_SECRET;
if (!secret) {
  console.error("SUPPLIER_SANDBOX_SECRET is required");
  process.exit(2);
}
// With a journal file (npm start keeps it beside the other state) accepted, failed and completed orders survive a restart.
const journal = process.env.SUPPLIER_STATE_FILE ? fileJournal(process.env.SUPPLIER_STATE_FILE) : undefined;
const app = createSupplierApp(secret, defaultProfiles(), Math.random, journal);
serve({ fetch: app.fetch, port, hostname: process.env.SUPPLIER_HOST ?? "127.0.0.1" }, () => {
  console.log(`supplier sandbox on http://127.0.0.1:${port} (cheapco, steadyco)`);
});
