import { createApp } from "./app";
import { consumeEvents } from "./queue/consume";

export { RateLimiter } from "./durable/rate-limiter";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consumeEvents,
} satisfies ExportedHandler<Env>;
