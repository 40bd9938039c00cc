/** Exponential back-off with full jitter, in whole seconds as Queues wants. attempt starts at 1. */
export function retryDelaySeconds(attempt: number, baseS = 2, capS = 300, random = Math.random): number {
  const ceiling = Math.min(capS, baseS * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
