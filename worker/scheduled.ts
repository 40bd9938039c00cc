import { pruneViews } from "./db/track-views";
import { pruneExpiredBlocks } from "./db/blocklist";
import { pruneRiskState } from "./db/risk";
import { pruneEndedSessions } from "./db/privacy";
import { dispatchAndPurge } from "./queue/dispatch";
import { resendJournal } from "./queue/journal";
import { RELOAD_WINDOW_MS } from "./services/tracking";
import { redriveDeadLetters } from "./queue/redrive";
import { sweepWebhookDeliveries } from "./queue/webhooks";
import { driveDeliveries } from "./services/delivery-jobs";
import { expireUnpaidOrders } from "./services/order-expiry";
import { returnStrandedWins } from "./services/campaign-lapse";
import { expireDueVouchers } from "./services/voucher-expiry";
import { runErasures } from "./services/erasure";
import { applyEventRetention } from "./services/retention";
import { runMembershipCron } from "./services/member-cron";
import { expireStoredValueBonuses } from "./services/stored-value";
import { sweepPoints } from "./services/points-expiry";
import { sweepGroupTeams } from "./services/groups";
import { retryAssistRewards } from "./services/assists";
import { retryInviteRewards } from "./services/invites";
import { refreshSegments } from "./services/segments";
import { refreshRecommendations } from "./services/recommendations";
import { driveIssuances } from "./services/issuances";
import { runFlows } from "./services/flows";
import { sendDeferred } from "./services/messaging";
import { pollPendingRefunds } from "./services/refunds";
import { finishPartRefunds } from "./services/partial-refunds";
import { finishCompensationRefunds } from "./services/compensation";
import { foldStoredKeys } from "./services/key-fold";
import { closeDueSettlements } from "./services/settlements";
import { sweepOverdueTickets } from "./services/tickets";
import { pollSupplierOrders } from "./services/supplier-callbacks";
import { syncSupplierCatalogues } from "./services/supplier-sync";
import { reconcileYesterday } from "./services/reconcile";
import { resendSandboxNotices } from "./services/sandbox-gateway";

/** Cron work (wrangler.toml [triggers]). Each job is independent: one failing does not stop the others. */
export async function runScheduled(env: Env): Promise<void> {
  const jobs: Promise<unknown>[] = [
    expireUnpaidOrders(env), returnStrandedWins(env), expireDueVouchers(env), expireStoredValueBonuses(env), redriveDeadLetters(env), driveDeliveries(env), sweepWebhookDeliveries(env),
    // Event messages the Queue took but the warehouse never confirmed (lost with a killed local broker): sent again.
    resendJournal(env),
    pruneViews(env.DB, Date.now() - 2 * RELOAD_WINDOW_MS), runErasures(env), applyEventRetention(env),
    // Points: expire due lots, remind before expiry, return mall exchanges whose order will not be delivered.
    sweepPoints(env),
    // After-sale tickets past their first-response or resolution deadline: one alert each (issue 21).
    sweepOverdueTickets(env),
    // Risk: decisions older than 90 days, spent challenge nonces past their puzzle's expiry, blocks expired a day ago.
    pruneRiskState(env.DB, new Date(Date.now() - 90 * 86_400_000).toISOString(), Math.floor(Date.now() / 1000)),
    pruneExpiredBlocks(env.DB, new Date(Date.now() - 86_400_000).toISOString()),
    // Erased buyers' ids once no session token naming them can still be valid.
    pruneEndedSessions(env.DB, new Date().toISOString()),
    // Membership: paid cards lapsing, the yearly tier review, monthly packs and birthday gifts (issue 17).
    runMembershipCron(env),
    // Group buys (拼团): teams past their deadline failed and refunded, and whatever a crash left half-done finished.
    sweepGroupTeams(env),
    // Social growth (issue 18): assist and invite rewards a crash left unissued, and invite rewards a crash left untaken
    // back after their first order was refunded.
    retryAssistRewards(env), retryInviteRewards(env),
    // Segments (issue 19): rules segments due for a refresh, and runs a crash left unfinished.
    refreshSegments(env),
    // Recommendations (issue 19): each tenant's warehouse-computed lists cached in D1, hourly.
    refreshRecommendations(env),
    // Targeting (issue 19): segment issuances page by page, lifecycle flows, SMS held back by quiet hours.
    driveIssuances(env), runFlows(env), sendDeferred(env),
    // Payments (issue 21): refunds a gateway is still processing, or never heard of after a crash, asked again; the
    // development sandbox gateway repeats a payment notice a crash left unacknowledged, as a real gateway does; console
    // part refunds and complaint refunds a crash left between their reservation and their record are recorded (or,
    // refused, given back).
    pollPendingRefunds(env), resendSandboxNotices(env), finishPartRefunds(env), finishCompensationRefunds(env),
    // Card keys stored before fold_hash (or bought from a supplier) get theirs: a later import in other case is refused.
    foldStoredKeys(env),
    // Settlement (issue 21): each revenue-share group's previous period closed into a signed statement, once.
    closeDueSettlements(env),
    // Suppliers (issue 21): pending asynchronous orders with no callback polled; live cost and stock synced.
    pollSupplierOrders(env), syncSupplierCatalogues(env),
    // Reconciliation (issue 21): the previous China day's statements against our books, once a day after 10:00.
    reconcileYesterday(env),
  ];
  const results = await Promise.allSettled(jobs);
  // After the jobs: what they recorded goes out in the same run, with anything a request left behind.
  results.push(...(await Promise.allSettled([dispatchAndPurge(env)])));
  for (const r of results) {
    if (r.status === "rejected") console.error(JSON.stringify({ at: "scheduled", error: r.reason instanceof Error ? r.reason.message : String(r.reason) }));
  }
}
