// Which accounts a direct recharge may go to. Pure and shared by the API and the product page, so both refuse the
// same input ("充错号码无法退回": a wrong number cannot be taken back). The kinds and patterns are data.
import kinds from "../../schema/data/recharge-accounts.json";
import { linearRegex, PatternError, type LinearRegex } from "./linear-regex";

export type RechargeAccountKind = keyof typeof kinds;
export const RECHARGE_ACCOUNT_KINDS = Object.keys(kinds) as RechargeAccountKind[];

export interface RechargeRule {
  accountKind?: string;
  accountPattern?: string;
}

/** The account's rule: the product's own pattern, else its kind's; null when the product sets neither. */
export function rechargeRule(rule: RechargeRule | undefined) {
  const kind = rule?.accountKind && rule.accountKind in kinds ? kinds[rule.accountKind as RechargeAccountKind] : null;
  const pattern = rule?.accountPattern ?? kind?.pattern;
  if (!pattern) return null;
  return {
    pattern,
    hint: kind?.hint ?? { zh: "充值账号格式不正确", en: "The account is not in the expected format" },
    label: kind?.label ?? null,
  };
}

/** null when the account is acceptable; otherwise the hint to show (Chinese and English). */
export function rechargeAccountProblem(rule: RechargeRule | undefined, account: string): { zh: string; en: string } | null {
  const r = rechargeRule(rule);
  if (!r) return null;
  return compiled(r.pattern)?.test(account.trim()) ? null : r.hint;
}

// Patterns are few (one per product) and compiling one costs far more than a match.
const cache = new Map<string, LinearRegex | null>();
/** null for a pattern saved before patterns were checked that this matcher does not support: nothing matches it. */
function compiled(pattern: string): LinearRegex | null {
  let re = cache.get(pattern);
  if (re === undefined) {
    try {
      re = linearRegex(pattern);
    } catch (e) {
      if (!(e instanceof PatternError)) throw e;
      re = null;
    }
    if (cache.size >= 256) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}
