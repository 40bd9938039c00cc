/** A supplier's health from its attempts (newest first): final outcomes only — an accepted asynchronous order counts when it settles. */
export type AttemptLike = { order_id: string; outcome: string; latency_ms: number; detail: string | null; created_at: string };

const FAILURES = new Set(["error", "timeout", "failed"]);
export const LAST_FAILURES = 5;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summariseAttempts(attempts: AttemptLike[]) {
  const final = attempts.filter((a) => a.outcome === "ok" || FAILURES.has(a.outcome));
  const succeeded = final.filter((a) => a.outcome === "ok").length;
  const latencies = final.map((a) => a.latency_ms).sort((a, b) => a - b);
  const failures = attempts.filter((a) => FAILURES.has(a.outcome) || a.outcome === "out_of_stock");
  return {
    attempts: final.length,
    succeeded,
    failed: final.length - succeeded,
    outOfStock: attempts.filter((a) => a.outcome === "out_of_stock").length,
    successRate: final.length ? Math.round((succeeded / final.length) * 1000) / 1000 : null,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    lastFailures: failures.slice(0, LAST_FAILURES).map((a) => ({ at: a.created_at, orderId: a.order_id, outcome: a.outcome, detail: a.detail })),
  };
}
