import type { EventEnvelope } from "../../schema/events";
import type { LedgerEntryDraft } from "../../schema/ledger";
import { retryDelaySeconds } from "../domain/backoff";
import { newId } from "../domain/crypto";
import { LEDGER_KINDS_BY_EVENT, ledgerSteps, voucherDraft } from "../domain/voucher-ledger";
import {
  acquireDispatchLease, chainRoundStatements, deferEvents, finishDispatchRound, finishRoundStatements, leaseWithPending, markSentStatements,
  nextPending, pendingEvents, pendingRead, purgeSentEvents, releaseDispatchLease, type NextPending, type PendingRead,
} from "../db/event-outbox";
import { vouchersWithBatch, type VoucherWithBatch } from "../db/vouchers";
import { journalThenSend } from "./journal";
import { requestsInFlight } from "./request-events";

export type DispatchEnv = Pick<Env, "DB" | "EVENTS" | "TENANT_LEDGER">;

/** Longer than one round may take; a dispatcher that died mid-round blocks the others at most this long. */
const LEASE_MS = 60_000;
const SENT_KEPT_MS = 3 * 86_400_000;

export interface DispatchOptions {
  limit?: number;
  /** Stop taking new rounds after this long, leaving the rest to the next dispatch. */
  budgetMs?: number;
}

/**
 * The one dispatcher: forwards pending outbox rows in seq order — each voucher lifecycle event to the tenant's
 * ledger object first (drafts idempotent by dedupe key), then every event to the Queue — and marks them sent.
 * One dispatcher at a time (a lease row), so each tenant's ledger sees its events in order. A failure leaves the
 * rows pending with back-off (the next dispatch or the cron resends; the warehouse and the ledger drop repeats).
 * Runs after each request that recorded events (waitUntil) and from the minute cron. `leftover`: it stopped (round
 * or time budget) with rows still due.
 */
export async function dispatchEvents(env: DispatchEnv, opts: DispatchOptions = {}): Promise<{ sent: number; ledger: number; leftover: boolean }> {
  const started = Date.now();
  const limit = opts.limit ?? 500;
  const budgetMs = opts.budgetMs ?? 20_000;
  const more = () => Date.now() - started < budgetMs;
  let sent = 0;
  let ledger = 0;
  const holder = newId("dsp");
  noteRead();
  const start = await leaseWithPending(env.DB, holder, Date.now(), Date.now() + LEASE_MS, limit, LEDGER_TYPES);
  if (!start.held) return { sent, ledger, leftover: false };
  // A round is one D1 round trip of its own beside the first: the journal + sent, then the lease kept for the rows
  // recorded meanwhile and those rows read (the next round's start), or the lease given back.
  for (let round = 0, read: PendingRead = start; ; round++) {
    if (round > 0) await yieldToRequests();
    const chain = round < MAX_ROUNDS - 1 && more();
    let end: { read?: PendingRead; next: NextPending } | undefined;
    try {
      const close = (seqs: number[]) => {
        if (!chain) return finishRoundStatements(env.DB, holder, seqs);
        noteRead();
        return chainRoundStatements(env.DB, holder, seqs, Date.now(), Date.now() + LEASE_MS, limit, LEDGER_TYPES);
      };
      const done = await forwardWhileHeld(env, limit, more, read, close);
      sent += done.sent;
      ledger += done.ledger;
      if (done.closed) end = chain ? { read: pendingRead(done.closed), next: null } : { next: nextPending(done.closed) };
    } finally {
      // Not closed with the journal (nothing due, or a failure): the lease is given back here. Rows not marked go
      // again (the warehouse and the ledger drop repeats); if this fails too, the lease runs out on its own.
      if (end === undefined) {
        end = { next: await finishDispatchRound(env.DB, holder, []).catch((e) => {
          console.error(JSON.stringify({ at: "dispatch", finish: e instanceof Error ? e.message : String(e) }));
          return null;
        }) };
      }
    }
    // Still holding the lease, with the rows requests recorded while the round ran: on into the next round.
    if (end.read?.rows.length) {
      read = end.read;
      continue;
    }
    return { sent, ledger, leftover: !!end.next && end.next.next_at <= Date.now() };
  }
}

const MAX_ROUNDS = 3;
const LEDGER_TYPES = Object.keys(LEDGER_KINDS_BY_EVENT);
// A round costs ~3.5 ms of the thread (two D1 round trips, the ledger object, the Queue; bench/README.md session 47)
// whatever it carries: under load, waiting up to this long makes each round carry a few hundred ms of events.
const YIELD_MAX_MS = 250;
const YIELD_POLL_MS = 5;

/**
 * While the isolate is answering two requests or more, a dispatch round waits for them (polled on this context's
 * own timers; at most YIELD_MAX_MS): they share the one thread, and a round costs about the same whether it carries
 * one event or fifty, so under load rounds carry more and requests wait less. One request in flight may be a reader
 * waiting for this very dispatch (a voucher's provenance right after its redemption): then, as when idle, at once.
 */
async function yieldToRequests(): Promise<void> {
  const until = Date.now() + YIELD_MAX_MS;
  while (requestsInFlight() > 1 && Date.now() < until) await new Promise((r) => setTimeout(r, YIELD_POLL_MS));
}

/**
 * The body of a round, from its first rows (and their vouchers): ledger first, then the Queue, in seq order; the
 * caller holds the lease.
 * The journal owns the events once it has them, so each chunk's rows are marked sent in the journal's transaction,
 * and the last chunk's with the caller's `close` statements; `closed` is their results (null: not closed, nothing
 * was due or a chunk failed and backs off).
 */
async function forwardWhileHeld(
  env: DispatchEnv, limit: number, more: () => boolean, first: PendingRead, close: (seqs: number[]) => D1PreparedStatement[],
): Promise<{ sent: number; ledger: number; closed: D1Result[] | null }> {
  let sent = 0;
  let ledger = 0;
  for (let rows = first.rows, vouchers: VoucherWithBatch[] | undefined = first.vouchers; ; rows = await pendingEvents(env.DB, limit), vouchers = undefined) {
    // In order: while the oldest row backs off after a failure, the ones behind it wait too.
    if (!rows.length || rows[0]!.next_at > Date.now()) return { sent, ledger, closed: null };
    const events = rows.map((r) => JSON.parse(r.body) as EventEnvelope);
    const seqs = rows.map((r) => r.seq);
    const last = rows.length < limit || !more();
    let results: D1Result[];
    try {
      ledger += await feedLedger(env, events, vouchers);
      results = await journalThenSend(env, events, last ? close(seqs) : markSentStatements(env.DB, seqs));
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      const now = Date.now();
      await deferEvents(env.DB, rows, (attempts) => now + retryDelaySeconds(attempts) * 1000, error);
      console.error(JSON.stringify({ at: "dispatch", deferred: rows.length, error: error.slice(0, 200) }));
      return { sent, ledger, closed: null };
    }
    sent += rows.length;
    if (last) return { sent, ledger, closed: results };
  }
}

/**
 * Runs `fn` holding the dispatcher's lease, after forwarding every pending row (ledger exports and checkpoints).
 * The dispatcher is the only writer feeding the ledger objects, so while the lease is held no append is in flight:
 * `fn` sees every fact committed before it was called, and never an append half-way (a head read before it and
 * rows read after it). A running dispatcher is waited for (at most its lease, after which the lease is taken over).
 */
export async function withDispatchLease<T>(env: DispatchEnv, fn: () => Promise<T>): Promise<T> {
  const holder = newId("dsp");
  for (let wait = 25; !(await acquireDispatchLease(env.DB, holder, Date.now(), Date.now() + LEASE_MS)); wait = Math.min(wait * 2, 500)) {
    await new Promise((r) => setTimeout(r, wait));
  }
  try {
    await forwardWhileHeld(env, 500, () => true, { rows: await pendingEvents(env.DB, 500) }, (seqs) => markSentStatements(env.DB, seqs));
    // Renewed: the whole of fn runs inside a full lease.
    await acquireDispatchLease(env.DB, holder, Date.now(), Date.now() + LEASE_MS);
    return await fn();
  } finally {
    await releaseDispatchLease(env.DB, holder).catch(() => undefined);
  }
}

/** The cron's part: dispatch what is pending, then forget sent rows older than a few days. */
export async function dispatchAndPurge(env: DispatchEnv): Promise<void> {
  await dispatchEvents(env);
  await purgeSentEvents(env.DB, new Date(Date.now() - SENT_KEPT_MS).toISOString());
}

/**
 * Appends the ledger entries these events stand for, per tenant in event order. Returns how many drafts went.
 * `read`: the vouchers these events name, read with them (else read here).
 */
async function feedLedger(env: DispatchEnv, events: EventEnvelope[], read?: VoucherWithBatch[]): Promise<number> {
  const byTenant = new Map<string, { e: EventEnvelope; step: ReturnType<typeof ledgerSteps>[number] }[]>();
  for (const e of events) {
    for (const step of ledgerSteps(e)) {
      const list = byTenant.get(e.tenantId) ?? [];
      list.push({ e, step });
      byTenant.set(e.tenantId, list);
    }
  }
  let n = 0;
  for (const [tenantId, steps] of byTenant) {
    const rows = read ? read.filter((v) => v.tenant_id === tenantId) : await vouchersWithBatch(env.DB, tenantId, [...new Set(steps.map((s) => s.step.voucherId))]);
    const vouchers = new Map(rows.map((v) => [v.id, v]));
    const drafts: LedgerEntryDraft[] = [];
    for (const { e, step } of steps) {
      const v = vouchers.get(step.voucherId);
      if (!v) continue; // an event about a voucher that is not in D1 (imported history): nothing to prove
      drafts.push(voucherDraft(v, step.kind, { batch: v.batch_id, occurredAt: step.kind === "issuance" ? v.issued_at : e.occurredAt, payload: step.payload, dedupeSuffix: step.dedupeSuffix }));
    }
    if (!drafts.length) continue;
    await env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(tenantId)).append(tenantId, drafts);
    n += drafts.length;
  }
  return n;
}

let running: Promise<void> | null = null;
let runningSince = 0;
// Order of what this isolate did: a request that recorded events ended (lastEnd), a dispatch issued a read of the
// pending rows (lastRead). A read issued after a request ended sees that request's rows: they were committed before.
let tick = 0;
let lastEnd = 0;
let lastRead = 0;
const noteRead = () => {
  lastRead = ++tick;
};
/** Longer than this, and a dispatch after a response is left to end on its own: the next request starts another. */
const AFTER_RESPONSE_MS = 20_000;

/**
 * After a request that recorded events: one dispatch per isolate at a time. A request finishing while one runs
 * leaves its rows to it, and it goes on until a read of the pending rows was issued after the last such request
 * ended (so none is left behind and none costs a round that finds nothing); each request keeps the isolate alive
 * until that dispatch is done.
 */
export function dispatchAfterResponse(env: DispatchEnv, waitUntil: (p: Promise<unknown>) => void): void {
  lastEnd = ++tick;
  if (running && Date.now() - runningSince < AFTER_RESPONSE_MS) {
    waitUntil(running);
    return;
  }
  const began = (runningSince = Date.now());
  const run = (async () => {
    for (;;) {
      await yieldToRequests();
      const r = await dispatchEvents(env).catch((e) => {
        console.error(JSON.stringify({ at: "dispatch", error: e instanceof Error ? e.message : String(e) }));
        return null;
      });
      if (!(r?.leftover || lastEnd > lastRead) || Date.now() - began >= AFTER_RESPONSE_MS) return;
    }
  })().finally(() => {
    if (running === run) running = null;
  });
  running = run;
  waitUntil(run);
}
