/**
 * Challenges on suspicion: the interface has the shape of Cloudflare Turnstile's siteverify, so Turnstile drops in by
 * configuration (CHALLENGE_PROVIDER="turnstile", TURNSTILE_SITE_KEY, secret TURNSTILE_SECRET); the local sandbox
 * provider behind the same interface really verifies a proof-of-work puzzle (worker/domain/pow.ts).
 */
import type { Challenge, SiteverifyRequest, SiteverifyResponse } from "../../schema/risk";
import { sandboxPowProvider } from "./sandbox-pow";
import { turnstileProvider } from "./turnstile";

export interface ChallengeContext {
  tenantId: string;
  /** Turnstile's cdata: what the answer may be used for (the campaign id). */
  cdata: string;
  action: string;
}

export interface ChallengeProvider {
  readonly name: Challenge["provider"];
  /** The secret siteverify is called with (Turnstile's secret key; the sandbox's own). */
  readonly secret: string;
  /** What the client is told to solve (the 403's `challenge`). */
  issue(ctx: ChallengeContext): Promise<Challenge>;
  /** Turnstile's siteverify: {secret, response, remoteip, idempotency_key} → {success, challenge_ts, hostname, error-codes, action, cdata}. */
  siteverify(req: SiteverifyRequest): Promise<SiteverifyResponse>;
}

type ChallengeEnv = Env & { TURNSTILE_SITE_KEY?: string; TURNSTILE_SECRET?: string };

export function challengeProvider(env: Env): ChallengeProvider {
  const e = env as ChallengeEnv;
  if (e.CHALLENGE_PROVIDER === "turnstile") {
    if (!e.TURNSTILE_SITE_KEY || !e.TURNSTILE_SECRET) throw new Error("CHALLENGE_PROVIDER=turnstile needs TURNSTILE_SITE_KEY and TURNSTILE_SECRET");
    return turnstileProvider(e.TURNSTILE_SITE_KEY, e.TURNSTILE_SECRET);
  }
  return sandboxPowProvider(env);
}
