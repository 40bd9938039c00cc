import { createApp } from "./app";
import { consumeEvents } from "./queue/consume";
import { runScheduled } from "./scheduled";

export { RateLimiter } from "./durable/rate-limiter";
export { TenantLedger } from "./durable/tenant-ledger";
export { CampaignCoordinator } from "./durable/campaign-coordinator";
export { CampaignShard } from "./durable/campaign-shard";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consumeEvents,
  scheduled: (_controller, env, ctx) => ctx.waitUntil(runScheduled(env)),
} satisfies ExportedHandler<Env>;
