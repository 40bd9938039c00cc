import { createApp } from "./app";
import { consumeEvents } from "./queue/consume";

export { RateLimiter } from "./durable/rate-limiter";
export { TenantLedger } from "./durable/tenant-ledger";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consumeEvents,
} satisfies ExportedHandler<Env>;
