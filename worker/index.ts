import { createApp, errorResponse } from "./app";
import { isDevelopment, missingSecrets } from "./domain/deploy-config";
import { requestIdFrom } from "./domain/request-id";
import { ApiError } from "./errors";
import { CLAIMS_QUEUE, consumeClaims } from "./queue/claims";
import { consumeEvents, DEAD_LETTER_QUEUE } from "./queue/consume";
import { dispatchAfterResponse } from "./queue/dispatch";
import { withRequestEvents, type RequestScope } from "./queue/request-events";
import { consumeWebhooks, WEBHOOK_QUEUE } from "./queue/webhooks";
import { fastClaim } from "./routes/claim-fast";
import { PRODUCT_PAGE, productPage } from "./routes/product-page";
import { FLASH_PAGE, flashPage, LOTTERY_PAGE, lotteryPage } from "./routes/campaign-page";
import { SHOP_PAGE, shopPage } from "./routes/shop-page";
import { runScheduled } from "./scheduled";
import { withPlusParams } from "./db/plus-params";

export { RateLimiter } from "./durable/rate-limiter";
export { TenantLedger } from "./durable/tenant-ledger";
export { CampaignCoordinator } from "./durable/campaign-coordinator";
export { CampaignShard } from "./durable/campaign-shard";
export { CampaignLimits } from "./durable/campaign-limits";
export { GroupTeam } from "./durable/group-team";

let productionApp: ReturnType<typeof createApp> | undefined;
let developmentApp: ReturnType<typeof createApp> | undefined;
const appFor = (env: Env) =>
  isDevelopment(env) ? (developmentApp ??= createApp({ sandbox: true })) : (productionApp ??= createApp({ sandbox: false }));

// Checked per env object: cheap (a few string tests), and it must hold for every request, the claim fast path too.
const checked = new WeakMap<object, string[]>();
let logged = "";

/** The names of missing or placeholder secrets in production (logged once per isolate and per set); [] when fine. */
function refusal(env: Env): string[] {
  let missing = checked.get(env);
  if (!missing) checked.set(env, (missing = missingSecrets(env)));
  if (missing.length && logged !== missing.join()) {
    logged = missing.join();
    console.error(JSON.stringify({ at: "startup", problem: "missing_secrets", environment: env.ENVIRONMENT ?? null, secrets: missing }));
  }
  return missing;
}

function misconfigured(request: Request, missing: string[]): Response {
  const requestId = requestIdFrom(request.headers.get("x-request-id"));
  const message = `This deployment is not configured: missing or placeholder settings ${missing.join(", ")} (wrangler secret put NAME; vars in wrangler.toml)`;
  return errorResponse(new ApiError(503, "misconfigured", message), requestId);
}

export default {
  // The claim route is answered before the router (same contract and code path, see routes/claim-fast.ts).
  fetch: async (request, rawEnv, ctx) => {
    const missing = refusal(rawEnv);
    if (missing.length) return misconfigured(request, missing);
    const env = withPlusParams(rawEnv);
    // Events recorded with a state change are forwarded once the response is out (the cron is the safety net). The
    // claim route enters that scope only past its public refusals (sold out: most of a flash sale's answers).
    const inRequest: RequestScope = (fn) => withRequestEvents(fn, () => dispatchAfterResponse(env, (p) => ctx.waitUntil(p)), (p) => ctx.waitUntil(p));
    const fast = await fastClaim(request, env, inRequest);
    if (fast) return fast;
    const path = new URL(request.url).pathname;
    if (path.startsWith(PRODUCT_PAGE)) return productPage(request, env);
    if (path.startsWith(FLASH_PAGE)) return flashPage(request, env);
    if (path.startsWith(LOTTERY_PAGE)) return lotteryPage(request, env);
    if (path === SHOP_PAGE) return shopPage(request, env);
    return inRequest(async () => appFor(env).fetch(request, env, ctx));
  },
  queue: async (batch, rawEnv) => {
    // Not delivered unsigned: retried later (and parked in D1 by the dead-letter consumer, which needs no secret).
    if (batch.queue !== DEAD_LETTER_QUEUE && refusal(rawEnv).length) return batch.retryAll({ delaySeconds: 60 });
    const env = withPlusParams(rawEnv);
    if (batch.queue === WEBHOOK_QUEUE) return consumeWebhooks(batch, env);
    if (batch.queue === CLAIMS_QUEUE) return consumeClaims(batch, env);
    return consumeEvents(batch, env);
  },
  scheduled: (_controller, env, ctx) => {
    if (refusal(env).length) return;
    ctx.waitUntil(runScheduled(withPlusParams(env)));
  },
} satisfies ExportedHandler<Env>;
