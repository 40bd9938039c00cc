// Thresholds of redemption-frequency monitoring. Pure: the service counts, these decide.

export const RISK = {
  /** A store's last window against its own norm (its average per window over the baseline days). */
  storeWindowMin: 10,
  storeBaselineDays: 7,
  storeSpikeFactor: 5,
  /** Below this many in the window a store is never flagged, however quiet its norm. */
  storeSpikeFloor: 30,
  /** One holder at this many distinct stores within the window. */
  holderWindowMin: 10,
  holderDistinctStores: 3,
  /** Failed codes (unknown or wrong) from one redeemer key within the window: flag and suspend the key. */
  failedWindowMin: 5,
  failedBurst: 10,
} as const;

export function storeSpike(windowCount: number, baselineCount: number): { spike: boolean; norm: number } {
  const windows = (RISK.storeBaselineDays * 24 * 60) / RISK.storeWindowMin;
  const norm = baselineCount / windows;
  return { spike: windowCount >= RISK.storeSpikeFloor && windowCount > norm * RISK.storeSpikeFactor, norm };
}

export const holderAcrossStores = (distinctStores: number) => distinctStores >= RISK.holderDistinctStores;

export const failedBurst = (failures: number) => failures >= RISK.failedBurst;

/** Start of the fixed window `now` falls in, so a burst is flagged once per window. */
export function windowStart(now: Date, minutes: number): string {
  const ms = minutes * 60_000;
  return new Date(now.getTime() - (now.getTime() % ms)).toISOString();
}
