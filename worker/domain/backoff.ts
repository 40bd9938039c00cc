/** Exponential back-off with full jitter, in whole seconds as Queues wants. attempt starts at 1. */
export function retryDelaySeconds(attempt: number, baseS = 2, capS = 300, random = Math.random): number {
  const ceiling = Math.min(capS, baseS * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

export interface BackoffSettings {
  baseS: number;
  capS: number;
}

/** Event delivery back-off from the worker's vars (wrangler.toml); defaults are the production values. */
export function eventRetrySettings(vars: { EVENT_RETRY_BASE_SECONDS?: string; EVENT_RETRY_CAP_SECONDS?: string }): BackoffSettings {
  const num = (v: string | undefined, fallback: number) => {
    const n = Number(v);
    return v && Number.isFinite(n) && n >= 1 ? n : fallback;
  };
  return { baseS: num(vars.EVENT_RETRY_BASE_SECONDS, 5), capS: num(vars.EVENT_RETRY_CAP_SECONDS, 300) };
}

/** Shortest total wait before `retries` retries run out: every delay at the low end of its jitter. */
export function minRetryWindowSeconds(retries: number, { baseS, capS }: BackoffSettings): number {
  let total = 0;
  for (let attempt = 1; attempt <= retries; attempt++) total += retryDelaySeconds(attempt, baseS, capS, () => 0);
  return total;
}
