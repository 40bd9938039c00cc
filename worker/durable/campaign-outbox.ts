import type { ClaimResult } from "../../schema/campaigns";
import type { ClaimWon } from "../../schema/claim-facts";
import { retryDelaySeconds } from "../domain/backoff";
import { claimWonFact, refusedUnitReturns } from "../domain/claim-facts";
import { emitEventBundles, type EventInput } from "../queue/emit";
import { sendClaimFacts } from "../queue/send";
import type { ShardConfig } from "./campaign-types";
import { plusParamsSql } from "../db/plus-params";

/**
 * Outbox bits on a claim row: the claim/draw event (warehouse) and the `claim_failed` event of a claim fulfilment
 * refused for good, each cleared once journaled for the events Queue (queue/journal.ts); and the won-claim fact
 * (fulfilment, `kaquan-claims`), kept until the consumer settles the claim and sent again while it does not (see FACT_RESEND_S).
 * Bit 2 meant "order/voucher to create here" before fulfilment left the shard: an old row with it set forwards its
 * fact, and the consumer's idempotent call returns what was already made.
 */
export const PENDING_EVENT = 1;
export const PENDING_FACT = 2;
export const PENDING_FAILED_EVENT = 4;
const BATCH = 500;
/** The outbox runs this far behind the claims so that each run carries a batch. */
export const INTERVAL_MS = 250;
/**
 * A fact whose claim is still unsettled this long after it was forwarded is forwarded again (then 2×, 4× … up to 30
 * min): the safety net for a message the Queue lost — locally Miniflare's broker keeps messages in memory only, so a
 * killed `npm start` loses them. Long enough that a busy consumer is not sent every fact twice; a repeat is skipped.
 */
const FACT_RESEND_S = 60;
const FACT_RESEND_CAP_S = 1800;
/**
 * Peak shaving (削峰): while a campaign is in a rush — a claim reached the shard within RUSH_QUIET_MS — won-claim
 * facts go to the claims Queue at about RUSH_FACTS_PER_S per campaign (split over its shards), a consumer batch at a
 * time (RUSH_BATCH facts, then a pause), so order writes do not take the thread and D1 from the claims and each
 * consumer run still makes its orders in one transaction; after the rush they go as fast as the outbox runs. A
 * winner who wants to pay first is not kept waiting: the order route makes the order on demand from the same fact
 * (services/claim.ts).
 */
export const RUSH_QUIET_MS = 60_000;
export const RUSH_FACTS_PER_S = 25;
export const RUSH_BATCH = 50;

/** How many facts one outbox run may forward (Infinity outside a rush), given when this shard last forwarded some. */
export function factBudget(lastClaimAt: number, lastFactsAt: number, shards: number, now = Date.now()): number {
  if (now - lastClaimAt >= RUSH_QUIET_MS) return Infinity;
  const everyMs = (RUSH_BATCH * 1000 * Math.max(1, shards)) / RUSH_FACTS_PER_S;
  return now - lastFactsAt >= everyMs ? RUSH_BATCH : 0;
}

/**
 * Events of a shard change that is not a claim (a task completion): a row of `events`, written in the change's own
 * storage transaction and deleted once journaled for the events Queue.
 */
export const EVENTS_TABLE = "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL DEFAULT 0)";

/** Call inside the change's transactionSync; the alarm forwards the row. */
export function recordShardEvent(sql: SqlStorage, input: EventInput & { eventId: string }): void {
  sql.exec("INSERT OR IGNORE INTO events (id, body) VALUES (?, ?)", input.eventId, JSON.stringify(input));
}

type EventRow = { id: string; body: string; attempts: number };

const eventInput = (r: EventRow): EventInput => {
  const e = JSON.parse(r.body) as EventInput & { occurredAt?: string };
  return { ...e, occurredAt: e.occurredAt ? new Date(e.occurredAt) : undefined } as EventInput;
};

export type OutboxRow = {
  id: string;
  user_id: string;
  result: string;
  referrer_id: string | null;
  device_id: string | null;
  origin: string | null;
  pending: number;
  attempts: number;
  failure: string | null;
  awaiting: number;
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

/**
 * The event of a won claim that fulfilment refused for good (derived id: a resend after a crash is deduplicated). It
 * hands back the cost its claim_succeeded / draw_made counted: nothing was handed out.
 */
export function claimFailedEvent(cfg: ShardConfig, row: Pick<OutboxRow, "id" | "user_id" | "device_id" | "referrer_id">, r: ClaimResult, failure: ClaimFailure, shard: number): EventInput {
  return {
    eventId: `evf_${row.id}`,
    tenantId: cfg.tenantId,
    type: "claim_failed",
    actor: { userId: row.user_id, deviceId: row.device_id, referrerId: row.referrer_id },
    payload: { campaignId: cfg.campaignId, campaignKind: cfg.def.kind, claimId: row.id, productId: cfg.def.kind === "lottery" ? null : cfg.def.productId, prizeId: r.prizeId, costCents: claimCost(cfg, r), reason: failure.code, message: failure.message, stockReturned: refusedUnitReturns(cfg.def.kind, failure.code), shard },
  };
}

/**
 * Forwards facts, nothing else: pending claim/draw events and `claim_failed` events to the events Queue, won-claim
 * facts to the claims Queue (whose consumer makes the orders and vouchers and settles each claim back here through
 * `settleClaims`). A bit is cleared only once its Queue accepted the message, so a crash in between resends it;
 * every message carries an id derived from the claim, so a resend is dropped downstream. A refused send waits with
 * back-off. Returns ms until it should run again, or null when nothing is left.
 */
export async function drainOutbox(env: Pick<Env, "DB" | "EVENTS" | "CLAIMS">, storage: DurableObjectStorage, cfg: ShardConfig, shard: number, extra: EventInput[], budget = Infinity): Promise<number | null> {
  const sql = plusParamsSql(storage.sql);
  const now = Date.now();
  const columns = "id, user_id, result, referrer_id, device_id, origin, pending, attempts, failure, awaiting";
  // Rows with an event due first (never held back), then rows owing only their fact, as many as the budget allows.
  const rows = sql.exec<OutboxRow>(`SELECT ${columns} FROM claims WHERE pending > 0 AND pending != ? AND next_at <= ? LIMIT ?`, PENDING_FACT, now, BATCH).toArray();
  const factsOnly = Math.min(BATCH, budget) - rows.filter((r) => r.pending & PENDING_FACT && r.awaiting).length;
  if (factsOnly > 0) rows.push(...sql.exec<OutboxRow>(`SELECT ${columns} FROM claims WHERE pending = ? AND next_at <= ? LIMIT ?`, PENDING_FACT, now, factsOnly).toArray());
  const recorded = sql.exec<EventRow>("SELECT id, body, attempts FROM events WHERE next_at <= ? ORDER BY rowid LIMIT ?", now, BATCH).toArray();
  const events: EventInput[] = [...extra, ...recorded.map(eventInput)];
  const facts: ClaimWon[] = [];
  /** Rows whose fact waits for a later run (the rush budget): their fact's resend schedule is not started. */
  const held = new Set<OutboxRow>();
  for (const r of rows) {
    const result = JSON.parse(r.result) as ClaimResult;
    if (r.pending & PENDING_EVENT) events.push(claimEvent(cfg, r, result, shard));
    if (r.pending & PENDING_FAILED_EVENT && r.failure) events.push(claimFailedEvent(cfg, r, result, JSON.parse(r.failure) as ClaimFailure, shard));
    const fact = r.pending & PENDING_FACT && r.awaiting ? claimWonFact(cfg, r.user_id, shard, result) : null;
    if (fact && facts.length < budget) facts.push(fact);
    else if (fact) held.add(r);
  }
  const cleared = new Map<OutboxRow, number>();
  const sent = async (bits: number, send: () => Promise<unknown>) => {
    try {
      await send();
      for (const r of rows) if (r.pending & bits) cleared.set(r, (cleared.get(r) ?? 0) | (r.pending & bits));
      return true;
    } catch (e) {
      console.error(JSON.stringify({ at: "campaign-outbox", error: e instanceof Error ? e.message : String(e) }));
      return false;
    }
  };
  const eventsSent = events.length ? await sent(PENDING_EVENT | PENDING_FAILED_EVENT, () => emitEventBundles(env, events)) : true;
  if (facts.length) await sent(PENDING_FACT, () => sendClaimFacts(env, facts));
  storage.transactionSync(() => {
    for (const r of recorded) {
      if (eventsSent) sql.exec("DELETE FROM events WHERE id = ?", r.id);
      else sql.exec("UPDATE events SET attempts = attempts + 1, next_at = ? WHERE id = ?", now + retryDelaySeconds(r.attempts + 1) * 1000, r.id);
    }
    for (const r of rows) {
      const done = cleared.get(r) ?? 0;
      // A forwarded fact keeps its bit until the claim is settled (settleClaims clears it); a settled claim's bit goes.
      const bits = (done & ~PENDING_FACT) | (r.awaiting ? 0 : r.pending & PENDING_FACT);
      // Relative to the row as it is now: a settlement may have changed it while the sends were in flight.
      if (bits) sql.exec("UPDATE claims SET pending = pending & ? WHERE id = ?", ~bits, r.id);
      const eventsFailed = (r.pending & ~bits & ~PENDING_FACT) !== 0;
      if (held.has(r) && !eventsFailed) continue; // due again next run
      const failed = eventsFailed || (r.awaiting && r.pending & PENDING_FACT && !(done & PENDING_FACT) && !held.has(r));
      const delayS = failed ? retryDelaySeconds(r.attempts + 1) : retryDelaySeconds(r.attempts + 1, FACT_RESEND_S, FACT_RESEND_CAP_S, () => 1);
      // (Not for a claim settled meanwhile: its claim_failed event is due at once.)
      sql.exec(`UPDATE claims SET attempts = attempts + 1, next_at = ? WHERE id = ? AND pending > 0${failed ? "" : " AND awaiting = 1"}`, now + delayS * 1000, r.id);
    }
  });
  const next = sql.exec<{ at: number | null }>("SELECT min(at) AS at FROM (SELECT min(next_at) AS at FROM claims WHERE pending > 0 UNION ALL SELECT min(next_at) FROM events)").one().at;
  if (next === null) return null;
  return Math.max(INTERVAL_MS, next - Date.now());
}
