import type { Challenge, SiteverifyRequest, SiteverifyResponse } from "../../schema/risk";
import { meetsDifficulty, parsePowResponse, readPuzzle, signPuzzle } from "../domain/pow";
import { toHex, timingSafeEqual } from "../domain/crypto";
import { spendNonce } from "../db/risk";
import type { ChallengeContext, ChallengeProvider } from "./provider";

/** How long a puzzle may be answered, and a ceiling on difficulty so a misconfiguration cannot lock phones out. */
export const POW_TTL_S = 120;
const MAX_DIFFICULTY = 22;

export const sandboxSecret = (env: Pick<Env, "BUYER_SESSION_SECRET">) => `challenge|${env.BUYER_SESSION_SECRET}`;
export const powDifficulty = (env: Pick<Env, "RISK_POW_DIFFICULTY">) => Math.min(MAX_DIFFICULTY, Math.max(1, Number(env.RISK_POW_DIFFICULTY) || 12));

/**
 * The sandbox provider: a signed proof-of-work puzzle, verified for real (signature, expiry, difficulty, the hash)
 * and spent once in D1 (`challenge_spent`), so a replayed answer is refused as Turnstile refuses one
 * (`timeout-or-duplicate`) — unless it repeats the same idempotency_key, which Turnstile also allows.
 */
export function sandboxPowProvider(env: Env): ChallengeProvider {
  const secret = sandboxSecret(env);
  return {
    name: "sandbox_pow",
    secret,
    async issue(ctx: ChallengeContext): Promise<Challenge> {
      const now = Math.floor(Date.now() / 1000);
      const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
      const difficulty = powDifficulty(env);
      const token = await signPuzzle(secret, { nonce, tenantId: ctx.tenantId, cdata: ctx.cdata, action: ctx.action, difficulty, issuedAt: now, expiresAt: now + POW_TTL_S });
      return { provider: "sandbox_pow", action: ctx.action, token, nonce, difficulty, expiresAt: new Date((now + POW_TTL_S) * 1000).toISOString(), answerHeader: "X-Kaquan-Challenge" };
    },
    async siteverify(req: SiteverifyRequest): Promise<SiteverifyResponse> {
      const fail = (code: string): SiteverifyResponse => ({ success: false, "error-codes": [code] });
      if (!timingSafeEqual(req.secret, secret)) return fail("invalid-input-secret");
      const answer = parsePowResponse(req.response);
      if (!answer) return fail("invalid-input-response");
      const p = await readPuzzle(secret, answer.token);
      if (!p) return fail("invalid-input-response");
      if (p.expiresAt * 1000 < Date.now()) return fail("timeout-or-duplicate");
      if (!(await meetsDifficulty(p.nonce, answer.counter, p.difficulty))) return fail("invalid-input-response");
      if (!(await spendNonce(env.DB, p.nonce, req.idempotency_key ?? null, p.expiresAt))) return fail("timeout-or-duplicate");
      return { success: true, challenge_ts: new Date(p.issuedAt * 1000).toISOString(), hostname: "sandbox.kaquan", "error-codes": [], action: p.action, cdata: p.cdata };
    },
  };
}
