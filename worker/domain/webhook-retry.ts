/**
 * Retry schedule of a webhook delivery: exponential back-off with jitter (each wait between half and all of
 * min(12 h, 30 s·2^(n-1))) for as long as the next attempt still falls within 3 days of the first one; then the
 * delivery is dead (status `failed`). 12 h is also the longest delay Cloudflare Queues accepts on a message.
 */
export const RETRY_BASE_SECONDS = 30;
export const RETRY_CAP_SECONDS = 12 * 3600;
export const RETRY_WINDOW_MS = 3 * 24 * 3600 * 1000;

/** Seconds to wait before attempt `failed + 1`, or null when the delivery is out of time. */
export function webhookRetryDelay(failedAttempts: number, firstAttemptAt: number, now: number, random = Math.random): number | null {
  const ceiling = Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(0, failedAttempts - 1));
  const delay = Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
  return now + delay * 1000 - firstAttemptAt <= RETRY_WINDOW_MS ? delay : null;
}
