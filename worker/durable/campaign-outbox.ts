import type { ClaimResult } from "../../schema/campaigns";
import { retryDelaySeconds } from "../domain/backoff";
import { sendEvents, type EventInput } from "../queue/emit";
import { fulfilClaim, type FulfilOutcome } from "../services/campaign-fulfilment";
import type { ShardConfig, Stock } from "./campaign-types";
import { ITEM } from "../domain/campaign-rules";

/** pending bits on a claim row: the event is still to send / the order or voucher is still to create. */
export const PENDING_EVENT = 1;
export const PENDING_FULFIL = 2;
const BATCH = 500;
const FULFIL_PARALLEL = 8;
// Paced so order/voucher creation (D1 writes) never starves claims. The budget is per campaign — the orders all go
// to one database — and split across its shards: ~16 orders/s during a rush, ~128/s after (locally D1 shares the
// workerd thread and disk with the claims; raise these where D1 is remote). A rush lasts until a shard has seen no
// claim for HOT_WINDOW_MS: once sold out, the isolates answer without reaching the shards, so a shorter window
// would end "the rush" while the crowd is still there.
export const HOT_WINDOW_MS = 60_000;
const CAMPAIGN_FULFIL_PER_HOT_RUN = 4;
const HOT_INTERVAL_MS = 250;
const CAMPAIGN_FULFIL_PER_RUN = 32;
const INTERVAL_MS = 250;

export type OutboxRow = {
  id: string;
  user_id: string;
  result: string;
  referrer_id: string | null;
  device_id: string | null;
  origin: string | null;
  pending: number;
  attempts: number;
};

export function claimEvent(cfg: ShardConfig, row: Pick<OutboxRow, "id" | "user_id" | "referrer_id" | "device_id" | "origin">, r: ClaimResult, shard: number): EventInput {
  const lottery = cfg.def.kind === "lottery";
  return {
    // Derived from the claim id: a resend after a crash is deduplicated by the warehouse.
    eventId: `ev_${row.id}`,
    tenantId: cfg.tenantId,
    type: lottery ? "draw_made" : "claim_succeeded",
    occurredAt: new Date(r.at),
    actor: { userId: row.user_id, deviceId: row.device_id, referrerId: row.referrer_id },
    payload: {
      campaignId: cfg.campaignId,
      campaignKind: cfg.def.kind,
      claimId: row.id,
      productId: lottery ? null : cfg.def.productId,
      prizeId: r.prizeId,
      outcome: r.outcome,
      priceCents: cfg.def.priceCents,
      costCents: claimCost(cfg, r),
      shard,
      origin: row.origin,
    },
  };
}

/** The brand's cost of what this claim or draw hands out (0 for "no prize"); voucher_issued does not count it again. */
export function claimCost(cfg: ShardConfig, r: ClaimResult): number {
  if (r.outcome === "no_prize") return 0;
  if (cfg.def.kind === "lottery") return cfg.def.prizes.find((p) => p.id === r.prizeId)?.costCents ?? 0;
  return cfg.def.costCents ?? 0;
}

/** The buyer-visible failure of a claim that can never be fulfilled. */
export type ClaimFailure = { code: string; message: string };

/** The event of a won claim that fulfilment refused for good (derived id: a resend after a crash is deduplicated). */
export function claimFailedEvent(cfg: ShardConfig, row: Pick<OutboxRow, "id" | "user_id" | "device_id" | "referrer_id">, r: ClaimResult, failure: ClaimFailure, returned: boolean, shard: number): EventInput {
  return {
    eventId: `evf_${row.id}`,
    tenantId: cfg.tenantId,
    type: "claim_failed",
    actor: { userId: row.user_id, deviceId: row.device_id, referrerId: row.referrer_id },
    payload: { campaignId: cfg.campaignId, campaignKind: cfg.def.kind, claimId: row.id, productId: cfg.def.kind === "lottery" ? null : cfg.def.productId, prizeId: r.prizeId, reason: failure.code, message: failure.message, stockReturned: returned, shard },
  };
}

/**
 * Sends pending claim events (one Queue batch) and turns won claims into orders/vouchers, retrying failures with
 * back-off. A claim fulfilment refuses for good (e.g. the buyer is already at the product's purchase limit) is marked
 * failed with the reason the buyer sees, evented, and — flash sales and coupon claims — its unit goes back to this
 * shard's stock through `returnStock` (called inside the transaction that marks the claim). Lottery prizes stay
 * awarded: the published draw log must replay as it is. Returns ms until it should run again, or null when nothing
 * is left.
 */
export async function drainOutbox(
  env: Env, storage: DurableObjectStorage, cfg: ShardConfig, shard: number, extra: EventInput[], hot = false,
  returnStock: (delta: Stock) => void = () => undefined,
): Promise<number | null> {
  const sql = storage.sql;
  const now = Date.now();
  const rows = sql.exec<OutboxRow>(
    "SELECT id, user_id, result, referrer_id, device_id, origin, pending, attempts FROM claims WHERE pending > 0 AND next_at <= ? LIMIT ?",
    now,
    BATCH,
  ).toArray();
  const toSend = rows.filter((r) => r.pending & PENDING_EVENT);
  try {
    await sendEvents(env, [...toSend.map((r) => claimEvent(cfg, r, JSON.parse(r.result) as ClaimResult, shard)), ...extra]);
    storage.transactionSync(() => {
      for (const r of toSend) {
        r.pending &= ~PENDING_EVENT;
        sql.exec("UPDATE claims SET pending = ? WHERE id = ?", r.pending, r.id);
      }
    });
  } catch (e) {
    console.error(JSON.stringify({ at: "campaign-outbox", error: e instanceof Error ? e.message : String(e) }));
  }
  // Orders/vouchers are created a few at a time in parallel; their marks are written in one transaction.
  // While claims are pouring in, fulfilment is paced: the claim is already durable and shown to the user, and
  // the order/voucher work must not starve the hot path of the object's single thread.
  const perRun = Math.max(1, Math.round((hot ? CAMPAIGN_FULFIL_PER_HOT_RUN : CAMPAIGN_FULFIL_PER_RUN) / Math.max(1, cfg.def.shards)));
  const todo = rows.filter((x) => x.pending & PENDING_FULFIL).slice(0, perRun);
  const outcomes: { r: OutboxRow; out: FulfilOutcome }[] = [];
  for (let i = 0; i < todo.length; i += FULFIL_PARALLEL) {
    const slice = todo.slice(i, i + FULFIL_PARALLEL);
    outcomes.push(...(await Promise.all(slice.map(async (r) => ({ r, out: await fulfilClaim(env, cfg, r.user_id, JSON.parse(r.result) as ClaimResult) })))));
  }
  // Failures are evented before they are marked: a crash in between only repeats the (deduplicated) event.
  const returns = cfg.def.kind !== "lottery";
  const failed = outcomes.flatMap(({ r, out }) => (!out.done && out.permanent ? [{ r, failure: { code: out.code ?? "unfulfillable", message: out.message ?? out.reason } }] : []));
  let failedEvented = true;
  if (failed.length) {
    try {
      await sendEvents(env, failed.map(({ r, failure }) => claimFailedEvent(cfg, r, JSON.parse(r.result) as ClaimResult, failure, returns, shard)));
    } catch (e) {
      failedEvented = false;
      console.error(JSON.stringify({ at: "campaign-outbox", error: e instanceof Error ? e.message : String(e) }));
    }
  }
  storage.transactionSync(() => {
    for (const { r, out } of outcomes) {
      if (out.done) {
        sql.exec("UPDATE claims SET pending = ?, fulfil_ref = ? WHERE id = ?", r.pending & ~PENDING_FULFIL, out.ref, r.id);
      } else if (out.permanent && failedEvented) {
        const failure = failed.find((f) => f.r === r)!.failure;
        console.error(JSON.stringify({ at: "campaign-fulfil", claimId: r.id, reason: out.reason }));
        sql.exec("UPDATE claims SET pending = ?, fulfil_ref = ?, failure = ? WHERE id = ?", r.pending & ~PENDING_FULFIL, `failed: ${out.reason}`, JSON.stringify(failure), r.id);
        if (returns) returnStock({ [ITEM]: 1 });
      } else {
        sql.exec("UPDATE claims SET attempts = attempts + 1, next_at = ? WHERE id = ?", now + retryDelaySeconds(r.attempts + 1) * 1000, r.id);
      }
    }
  });
  const next = sql.exec<{ at: number | null }>("SELECT min(next_at) AS at FROM claims WHERE pending > 0").one().at;
  if (next === null) return null;
  if (hot) return Math.max(HOT_INTERVAL_MS, next - Date.now());
  return Math.max(INTERVAL_MS, next - Date.now());
}
