/**
 * Stored-value card (储值卡) rules, pure. db/stored-value.ts writes the same arithmetic in SQL (so it runs inside the
 * guarded batch); test/unit/stored-value-unit.test.ts checks both agree on the cases that matter.
 *
 * - Spending takes the BONUS first, then principal: the part a member paid for stays refundable as long as possible.
 * - Refund of a load (the operator's refund of a plan order): the member gets back the load's principal that is still
 *   unspent — min(load principal, account principal) — never more than was paid; the bonus that came with it is
 *   forfeited in proportion to the principal refunded (rounded down, so never more than that share), capped at what
 *   bonus is left. Principal is never forfeited: the member always recovers unspent money they paid.
 */
import { hmacSha256Hex, timingSafeEqual } from "./crypto";

export interface Balance {
  principalCents: number;
  bonusCents: number;
}

export interface Split {
  principalCents: number;
  bonusCents: number;
}

/** What a spend of `amountCents` takes from each part, or null when the balance is short. */
export function splitSpend(balance: Balance, amountCents: number): Split | null {
  if (!Number.isInteger(amountCents) || amountCents <= 0) return null;
  if (balance.principalCents + balance.bonusCents < amountCents) return null;
  const bonus = Math.min(balance.bonusCents, amountCents);
  return { bonusCents: bonus, principalCents: amountCents - bonus };
}

/** What refunding one load gives back (principal, paid out to the member) and takes away (bonus, forfeited). */
export function loadRefund(balance: Balance, load: Split): Split {
  const principal = Math.max(0, Math.min(load.principalCents, balance.principalCents));
  const share = load.principalCents > 0 ? Math.floor((load.bonusCents * principal) / load.principalCents) : 0;
  return { principalCents: principal, bonusCents: Math.min(balance.bonusCents, share) };
}

/**
 * The pay-at-store code shown on the wallet page: short-lived and signed, so a screenshot stops working after a few
 * minutes and nobody can make one for another member. `sv1.<memberId>.<exp unix s>.<16 hex of HMAC>`.
 */
export const MEMBER_CODE_TTL_S = 300;
const CODE = /^sv1\.([\w-]{1,64})\.(\d{10})\.([0-9a-f]{16})$/;

async function codeSig(secret: string, tenantId: string, memberId: string, exp: number) {
  return (await hmacSha256Hex(secret, `sv1|${tenantId}|${memberId}|${exp}`)).slice(0, 16);
}

export async function signMemberCode(secret: string, tenantId: string, memberId: string, nowS = Math.floor(Date.now() / 1000)) {
  const exp = nowS + MEMBER_CODE_TTL_S;
  return { code: `sv1.${memberId}.${exp}.${await codeSig(secret, tenantId, memberId, exp)}`, expiresAt: new Date(exp * 1000).toISOString() };
}

export type MemberCodeCheck = { ok: true; memberId: string } | { ok: false; code: "member_code_invalid" | "member_code_expired" };

export async function verifyMemberCode(secret: string, tenantId: string, code: string, nowS = Math.floor(Date.now() / 1000)): Promise<MemberCodeCheck> {
  const m = CODE.exec(code.trim());
  if (!m) return { ok: false, code: "member_code_invalid" };
  const [, memberId, expS, sig] = m as unknown as [string, string, string, string];
  if (!timingSafeEqual(sig, await codeSig(secret, tenantId, memberId, Number(expS)))) return { ok: false, code: "member_code_invalid" };
  if (Number(expS) < nowS) return { ok: false, code: "member_code_expired" };
  return { ok: true, memberId };
}

/** The source of a plan's top-up order (services/stored-value.ts buyPlan): its after-sale and its page go by it. */
export const STORED_VALUE_SOURCE = "stored_value";
