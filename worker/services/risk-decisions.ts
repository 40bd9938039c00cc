/**
 * Every risk decision (allowed, limited, challenged, blocked) with its reasons becomes a `risk_decision` event and a
 * row for the operator's per-campaign view, written in one D1 batch. To keep D1 off the hot path: allowed claims
 * are sampled (one row per RISK_ALLOWED_SAMPLE, weight N), and a refusal flood is folded — per isolate, campaign
 * and decision at most one row per FOLD_MS, the next row carrying the folded count as its weight (its reasons are
 * the latest one's). What is held is written by the next due decision or, failing one, by a flush after the response
 * (waitUntil: FOLD_MS for refusals, SAMPLE_FLUSH_MS for allowed claims), so the counts add up to every decision —
 * up to what an isolate held when it was evicted.
 */
import type { RiskDecision } from "../../schema/risk";
import { insertDecision, decisionCounts } from "../db/risk";
import { newId } from "../domain/crypto";
import { dispatchAfterDeferred, eventRows, scheduleDispatch } from "../queue/emit";
import { keepAliveInRequest } from "../queue/request-events";

const FOLD_MS = 50;
/** A held (sampled) allowed claim is written at the latest this long after it, when fewer than a sample follow. */
const SAMPLE_FLUSH_MS = 1_000;
const folds = new Map<string, Fold>();

interface Fold {
  last: number;
  pending: number;
  /** The latest decision held: a flush writes its reasons. */
  latest: DecisionInput | null;
  flushing: boolean;
}

export const allowedSampleEvery = (env: Pick<Env, "RISK_ALLOWED_SAMPLE">) => Math.max(1, Number(env.RISK_ALLOWED_SAMPLE) || 50);

export interface DecisionInput {
  tenantId: string;
  campaignId: string | null;
  path: "claim" | "otp" | "order" | "redemption";
  decision: RiskDecision;
  reasons: string[];
  score?: number;
  userId?: string | null;
  deviceId?: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function foldOf(key: string): Fold {
  let f = folds.get(key);
  if (!f) {
    f = { last: 0, pending: 0, latest: null, flushing: false };
    if (folds.size >= 10_000) folds.clear();
    folds.set(key, f);
  }
  return f;
}

function take(f: Fold, now: number): number {
  const weight = f.pending;
  f.pending = 0;
  f.last = now;
  return weight;
}

export async function recordDecision(env: Env, d: DecisionInput): Promise<void> {
  // Plain allowed claims are sampled; one let through by a solved challenge is rare and counted like a refusal.
  const sampled = d.decision === "allowed" && !d.reasons.includes("challenge_passed");
  const f = foldOf(`${d.tenantId}|${d.campaignId}|${d.path}|${d.decision}|${sampled}`);
  const now = Date.now();
  f.pending++;
  f.latest = d;
  const due = sampled ? f.pending >= allowedSampleEvery(env) : now - f.last >= FOLD_MS;
  if (due) return write(env, d, take(f, now), false);
  if (f.flushing) return;
  // Held: the next due decision writes it — and if none comes, this flush does, after the response. Without it the
  // tail of a burst (or a quiet campaign's allowed claims, fewer than a sample) was never counted in the risk view.
  f.flushing = true;
  const flush = sleep(sampled ? SAMPLE_FLUSH_MS : Math.max(1, f.last + FOLD_MS - now)).then(async () => {
    f.flushing = false;
    if (f.pending && f.latest) await write(env, f.latest, take(f, Date.now()), true);
  });
  if (!keepAliveInRequest(flush)) await flush; // outside a request (no waitUntil): wait for it here
}

async function write(env: Env, d: DecisionInput, weight: number, deferred: boolean): Promise<void> {
  const id = newId("rsk");
  const score = d.score ?? 0;
  try {
    await env.DB.batch([
      insertDecision(env.DB, { id, tenantId: d.tenantId, campaignId: d.campaignId, path: d.path, decision: d.decision, reasons: d.reasons, score, weight }),
      ...eventRows(env, [{
        eventId: `evr_${id}`, tenantId: d.tenantId, type: "risk_decision",
        actor: { userId: d.userId ?? null, deviceId: d.deviceId ?? null },
        payload: { campaignId: d.campaignId, path: d.path, decision: d.decision, reasons: d.reasons.join(","), score, weight },
      }]),
    ]);
    // A flush runs after its request's response, when that request's own dispatch may be done.
    await (deferred ? dispatchAfterDeferred(env) : scheduleDispatch(env));
  } catch (e) {
    // Recording must never turn a decision into a 500.
    console.error(JSON.stringify({ at: "risk_decision", error: e instanceof Error ? e.message : String(e) }));
  }
}

export async function riskSummary(env: Env, tenantId: string, campaignId: string, sinceDays = 30) {
  const since = new Date(Date.now() - sinceDays * 86_400_000).toISOString();
  const { counts, reasons } = await decisionCounts(env.DB, tenantId, campaignId, since);
  const decisions = { allowed: 0, limited: 0, challenged: 0, blocked: 0 };
  for (const c of counts) decisions[c.decision] = c.n;
  return {
    campaignId, since, decisions,
    topReasons: reasons.map((r) => ({ reason: r.reason, decision: r.decision, count: r.n })),
    allowedSampleEvery: allowedSampleEvery(env),
  };
}
