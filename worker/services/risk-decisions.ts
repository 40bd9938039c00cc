/**
 * Every risk decision (allowed, limited, challenged, blocked) with its reasons becomes a `risk_decision` event and a
 * row for the operator's per-campaign view, written in one D1 batch. To keep D1 off the hot path: allowed claims
 * are sampled (one row per RISK_ALLOWED_SAMPLE, weight N), and a refusal flood is folded — per isolate, campaign
 * and decision at most one row per FOLD_MS, the next row carrying the folded count as its weight (its reasons are
 * the latest one's). Counts are exact up to what an isolate held when it was evicted.
 */
import type { RiskDecision } from "../../schema/risk";
import { insertDecision, decisionCounts } from "../db/risk";
import { newId } from "../domain/crypto";
import { eventRows, scheduleDispatch } from "../queue/emit";

const FOLD_MS = 50;
const folds = new Map<string, { last: number; pending: number }>();

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

/** How many decisions this one stands for (0: folded into a later row). */
function weightOf(env: Env, d: DecisionInput, now: number): number {
  // Plain allowed claims are sampled; one let through by a solved challenge is rare and counted like a refusal.
  const sampled = d.decision === "allowed" && !d.reasons.includes("challenge_passed");
  const key = `${d.tenantId}|${d.campaignId}|${d.path}|${d.decision}|${sampled}`;
  let f = folds.get(key);
  if (!f) {
    f = { last: 0, pending: 0 };
    folds.set(key, f);
    if (folds.size > 10_000) folds.clear();
  }
  f.pending++;
  const due = sampled ? f.pending >= allowedSampleEvery(env) : now - f.last >= FOLD_MS;
  if (!due) return 0;
  const weight = f.pending;
  f.pending = 0;
  f.last = now;
  return weight;
}

export async function recordDecision(env: Env, d: DecisionInput): Promise<void> {
  const weight = weightOf(env, d, Date.now());
  if (!weight) return;
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
    await scheduleDispatch(env);
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
