import { pruneViews } from "./db/track-views";
import { drainEventOutbox } from "./queue/emit";
import { RELOAD_WINDOW_MS } from "./services/tracking";
import { redriveDeadLetters } from "./queue/redrive";
import { driveDeliveries } from "./services/delivery-jobs";
import { releaseExpired } from "./services/orders";
import { expireDueVouchers } from "./services/voucher-expiry";

/** Cron work (wrangler.toml [triggers]). Each job is independent: one failing does not stop the others. */
export async function runScheduled(env: Env): Promise<void> {
  const jobs: Promise<unknown>[] = [
    releaseExpired(env, null), expireDueVouchers(env), drainEventOutbox(env), redriveDeadLetters(env), driveDeliveries(env),
    pruneViews(env.DB, Date.now() - 2 * RELOAD_WINDOW_MS),
  ];
  const results = await Promise.allSettled(jobs);
  for (const r of results) {
    if (r.status === "rejected") console.error(JSON.stringify({ at: "scheduled", error: r.reason instanceof Error ? r.reason.message : String(r.reason) }));
  }
}
