/**
 * Scores a claim from what the request shows (pure: the gate in services/risk-gate.ts counts, this decides).
 * Each signal adds its weight; at CHALLENGE_AT or more the claimant must solve a challenge first. One weak signal
 * alone (an automated browser, a missing Accept-Language) is not enough: real phones in in-app browsers show some.
 */
export const RISK_SIGNALS = {
  /** "HeadlessChrome" (or PhantomJS) in the User-Agent. */
  headless_ua: 2,
  /** The page's own `navigator.webdriver`, sent as X-Kaquan-Webdriver: 1. */
  webdriver: 1,
  /** Browsers always send Accept-Language; scripts often do not. */
  no_accept_language: 1,
  /** More claims per second from one IP or one device than a person can tap. */
  burst_ip: 2,
  burst_device: 2,
  /** Many accounts claiming from one IP while this device is new (unknown, or first seen within the window). */
  many_accounts_new_device: 2,
  /** Many accounts claiming from one device within the window (a phone farm's script reusing one device token). */
  many_accounts_device: 2,
} as const;

export type RiskReason = keyof typeof RISK_SIGNALS | "blocked_ip" | "blocked_device" | "blocked_phone" | "rate_limited" | "challenge_passed" | "pass";

export const CHALLENGE_AT = 2;

export const RISK_LIMITS = {
  /** Claims per second from one IP / one device before it counts as a burst. */
  burstPerS: 5,
  /** Distinct accounts claiming from one IP within accountsWindowMs before a new device there is suspect. */
  accountsPerIp: 4,
  /** Distinct accounts claiming from one device within accountsWindowMs before that device is suspect. */
  accountsPerDevice: 4,
  accountsWindowMs: 10 * 60_000,
} as const;

export interface RiskFacts {
  userAgent: string | null;
  acceptLanguage: string | null;
  webdriver: boolean;
  burstIp: boolean;
  burstDevice: boolean;
  accountsOnIp: number;
  /** Distinct accounts that claimed with this device within the window (0 without a device). */
  accountsOnDevice?: number;
  newDevice: boolean;
}

export function scoreClaim(f: RiskFacts): { score: number; reasons: (keyof typeof RISK_SIGNALS)[] } {
  const reasons: (keyof typeof RISK_SIGNALS)[] = [];
  if (f.userAgent && /HeadlessChrome|PhantomJS/i.test(f.userAgent)) reasons.push("headless_ua");
  if (f.webdriver) reasons.push("webdriver");
  if (!f.acceptLanguage) reasons.push("no_accept_language");
  if (f.burstIp) reasons.push("burst_ip");
  if (f.burstDevice) reasons.push("burst_device");
  if (f.newDevice && f.accountsOnIp > RISK_LIMITS.accountsPerIp) reasons.push("many_accounts_new_device");
  if ((f.accountsOnDevice ?? 0) > RISK_LIMITS.accountsPerDevice) reasons.push("many_accounts_device");
  return { score: reasons.reduce((s, r) => s + RISK_SIGNALS[r], 0), reasons };
}
