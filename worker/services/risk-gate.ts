/**
 * The claim path's risk gate, called by services/claim.ts after the claimant is known and before the shard:
 *  1. block lists (device, IP range, the buyer's phone) → 403 `blocked`;
 *  2. a valid pass (X-Kaquan-Pass, from a challenge this buyer solved) → allowed;
 *  3. the score (domain/risk-score.ts) from the request and this isolate's recent traffic; at CHALLENGE_AT the claim
 *     needs a solved challenge (X-Kaquan-Challenge, checked by the provider's siteverify) → else 403
 *     `challenge_required` with a new challenge; a solved one answers with a pass (X-Kaquan-Pass header).
 * Rates and accounts-per-IP are counted per isolate (no round trip on the claim path): a signal, not a limit — the
 * exact limits are the shards'. A loopback client (no edge in front: local development) gives no IP signals.
 */
import type { Challenge } from "../../schema/risk";
import { challengeProvider } from "../challenge/provider";
import { sandboxSecret } from "../challenge/sandbox-pow";
import { ipKey } from "../domain/client-ip";
import { WindowCounter } from "../domain/rate-window";
import { signPass, verifyPass } from "../domain/risk-pass";
import { CHALLENGE_AT, RISK_LIMITS, scoreClaim } from "../domain/risk-score";
import { ApiError } from "../errors";
import { blockedBy, blockedError, type BlockSubject } from "./blocklist";
import { recordDecision, type DecisionInput } from "./risk-decisions";

export const PASS_HEADER = "x-kaquan-pass";
export const CHALLENGE_HEADER = "x-kaquan-challenge";
export const WEBDRIVER_HEADER = "x-kaquan-webdriver";

export interface GateRequest {
  tenantId: string;
  campaignId: string;
  userId: string;
  ip: string | null;
  /** What per-IP counts use for `ip` (domain/client-ip.ts ipKey); derived from `ip` when not given. */
  ipKey?: string | null;
  deviceId: string | null;
  requestId?: string | null;
}

const bursts = new WindowCounter();
const deviceSeen = new Map<string, number>();
const accountsByIp = new Map<string, Map<string, number>>();
const accountsByDevice = new Map<string, Map<string, number>>();

const isLoopback = (ip: string | null) => !ip || ip === "local" || ip.startsWith("127.") || ip === "::1";

function remember<K, V>(m: Map<K, V>, k: K, v: V, cap = 50_000) {
  if (m.size >= cap && !m.has(k)) m.delete(m.keys().next().value as K);
  m.set(k, v);
}

/** Distinct accounts seen under `key` within the window, counting this one (entries older than the window dropped). */
function accountsUnder(m: Map<string, Map<string, number>>, key: string, userId: string, now: number): number {
  let users = m.get(key);
  if (!users) remember(m, key, (users = new Map()));
  remember(users, userId, now, 1_000);
  for (const [u, at] of users) if (now - at >= RISK_LIMITS.accountsWindowMs) users.delete(u);
  return users.size;
}

/**
 * This isolate's view of recent traffic from the claimant's IP and device. An IPv6 client is counted by its /64
 * (ipKey): one line may send from any address in it, and each address counted alone would never add up.
 */
function trafficFacts(g: GateRequest, now: number) {
  const burstMs = 1_000;
  const ip = isLoopback(g.ip) ? null : (g.ipKey ?? ipKey(g.ip!));
  const burstIp = !!ip && bursts.hit(`i:${ip}`, RISK_LIMITS.burstPerS, burstMs, now) > 0;
  const burstDevice = !!g.deviceId && bursts.hit(`d:${g.deviceId}`, RISK_LIMITS.burstPerS, burstMs, now) > 0;
  let newDevice = true;
  if (g.deviceId) {
    const first = deviceSeen.get(g.deviceId);
    if (first === undefined) remember(deviceSeen, g.deviceId, now);
    newDevice = first === undefined || now - first < RISK_LIMITS.accountsWindowMs;
  }
  const accountsOnIp = ip ? accountsUnder(accountsByIp, ip, g.userId, now) : 0;
  const accountsOnDevice = g.deviceId ? accountsUnder(accountsByDevice, g.deviceId, g.userId, now) : 0;
  return { burstIp, burstDevice, newDevice, accountsOnIp, accountsOnDevice };
}

async function challengeError(env: Env, g: GateRequest, code: "challenge_required" | "challenge_invalid", why: string): Promise<ApiError> {
  const challenge: Challenge = await challengeProvider(env).issue({ tenantId: g.tenantId, cdata: g.campaignId, action: "claim" });
  return new ApiError(403, code, why, undefined, undefined, { challenge });
}

/** Throws 403 blocked / challenge_required / challenge_invalid, or returns the headers to answer with (a new pass). */
export async function riskGate(env: Env, g: GateRequest, headers: Headers): Promise<Record<string, string> | null> {
  const base: Omit<DecisionInput, "decision" | "reasons"> = { tenantId: g.tenantId, campaignId: g.campaignId, path: "claim", userId: g.userId, deviceId: g.deviceId };
  const hit = await blockedBy(env, g.tenantId, { ip: g.ip, deviceId: g.deviceId, buyerId: g.userId });
  if (hit) {
    await recordDecision(env, { ...base, decision: "blocked", reasons: [hit.reason] });
    throw blockedError(hit);
  }
  const facts = trafficFacts(g, Date.now());
  const passSecret = sandboxSecret(env);
  if (await verifyPass(passSecret, g.tenantId, g.userId, headers.get(PASS_HEADER))) {
    await recordDecision(env, { ...base, decision: "allowed", reasons: ["pass"] });
    return null;
  }
  const { score, reasons } = scoreClaim({
    userAgent: headers.get("user-agent"),
    acceptLanguage: headers.get("accept-language"),
    webdriver: headers.get(WEBDRIVER_HEADER) === "1",
    ...facts,
  });
  if (score < CHALLENGE_AT) {
    await recordDecision(env, { ...base, decision: "allowed", reasons, score });
    return null;
  }
  const answer = headers.get(CHALLENGE_HEADER);
  if (!answer) {
    await recordDecision(env, { ...base, decision: "challenged", reasons, score });
    throw await challengeError(env, g, "challenge_required", `Confirm you are a person first (${reasons.join(", ")})`);
  }
  const provider = challengeProvider(env);
  const verdict = await provider.siteverify({
    secret: provider.secret, response: answer.slice(0, 2048), ...(g.ip && !isLoopback(g.ip) ? { remoteip: g.ip } : {}),
    ...(g.requestId ? { idempotency_key: `${g.userId}:${g.requestId}` } : {}),
  });
  const fits = verdict.success && (!verdict.action || verdict.action === "claim") && (!verdict.cdata || verdict.cdata === g.campaignId);
  if (!fits) {
    const codes = verdict.success ? ["wrong-action-or-cdata"] : verdict["error-codes"];
    await recordDecision(env, { ...base, decision: "challenged", reasons: [...reasons, ...codes.map((c) => `challenge_${c}`)], score });
    throw await challengeError(env, g, "challenge_invalid", `The challenge answer was refused (${codes.join(", ")}); solve the new one`);
  }
  await recordDecision(env, { ...base, decision: "allowed", reasons: [...reasons, "challenge_passed"], score });
  return { [PASS_HEADER]: await signPass(passSecret, g.tenantId, g.userId) };
}

/** Block lists on the other paths (sign-in, orders, redemptions): 403 `blocked`, recorded as a decision. */
export async function assertNotBlocked(env: Env, tenantId: string, path: DecisionInput["path"], s: BlockSubject & { campaignId?: string | null }): Promise<void> {
  const hit = await blockedBy(env, tenantId, s);
  if (!hit) return;
  await recordDecision(env, { tenantId, campaignId: s.campaignId ?? null, path, decision: "blocked", reasons: [hit.reason], userId: s.buyerId ?? null, deviceId: s.deviceId ?? null });
  throw blockedError(hit);
}
