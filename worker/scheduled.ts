import { pruneViews } from "./db/track-views";
import { dispatchAndPurge } from "./queue/dispatch";
import { RELOAD_WINDOW_MS } from "./services/tracking";
import { redriveDeadLetters } from "./queue/redrive";
import { sweepWebhookDeliveries } from "./queue/webhooks";
import { driveDeliveries } from "./services/delivery-jobs";
import { releaseExpired } from "./services/orders";
import { expireDueVouchers } from "./services/voucher-expiry";
import { runErasures } from "./services/erasure";
import { applyEventRetention } from "./services/retention";

/** Cron work (wrangler.toml [triggers]). Each job is independent: one failing does not stop the others. */
export async function runScheduled(env: Env): Promise<void> {
  const jobs: Promise<unknown>[] = [
    releaseExpired(env, null), expireDueVouchers(env), redriveDeadLetters(env), driveDeliveries(env), sweepWebhookDeliveries(env),
    pruneViews(env.DB, Date.now() - 2 * RELOAD_WINDOW_MS), runErasures(env), applyEventRetention(env),
  ];
  const results = await Promise.allSettled(jobs);
  // After the jobs: what they recorded goes out in the same run, with anything a request left behind.
  results.push(...(await Promise.allSettled([dispatchAndPurge(env)])));
  for (const r of results) {
    if (r.status === "rejected") console.error(JSON.stringify({ at: "scheduled", error: r.reason instanceof Error ? r.reason.message : String(r.reason) }));
  }
}
