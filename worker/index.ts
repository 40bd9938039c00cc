import { createApp } from "./app";
import { consumeEvents } from "./queue/consume";
import { fastClaim } from "./routes/claim-fast";
import { runScheduled } from "./scheduled";

export { RateLimiter } from "./durable/rate-limiter";
export { TenantLedger } from "./durable/tenant-ledger";
export { CampaignCoordinator } from "./durable/campaign-coordinator";
export { CampaignShard } from "./durable/campaign-shard";

const app = createApp();

export default {
  // The claim route is answered before the router (same contract and code path, see routes/claim-fast.ts).
  fetch: async (request, env, ctx) => (await fastClaim(request, env)) ?? app.fetch(request, env, ctx),
  queue: consumeEvents,
  scheduled: (_controller, env, ctx) => ctx.waitUntil(runScheduled(env)),
} satisfies ExportedHandler<Env>;
