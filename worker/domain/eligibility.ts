/** Pure eligibility check (issue 19): the first failing rule of an Eligibility, or null when the buyer qualifies. */
import type { BuyerFacts, Eligibility, EligibilityRefusal } from "../../schema/eligibility";

const DAY_MS = 86_400_000;

export const isOpen = (e: Eligibility) =>
  e.segmentIds.length === 0 && !e.newUser && !e.firstOrder && e.tierIds.length === 0 && !e.birthdayMonth && e.cities.length === 0;

const norm = (city: string) => city.trim().toLowerCase().replace(/(市|city)$/u, "");

export function eligibilityProblem(e: Eligibility, f: BuyerFacts, now: Date): EligibilityRefusal | null {
  if (e.segmentIds.length > 0 && !e.segmentIds.some((s) => f.segmentIds.has(s))) {
    return { rule: "segment", message: "仅限指定人群 / Only for selected customers" };
  }
  if (e.newUser && !(f.signedUpAt && now.getTime() - Date.parse(f.signedUpAt) <= e.newUserDays * DAY_MS)) {
    return { rule: "new_user", message: `仅限注册 ${e.newUserDays} 天内的新用户 / Only for customers who joined in the last ${e.newUserDays} days` };
  }
  if (e.firstOrder && f.paidOrders > 0) return { rule: "first_order", message: "仅限首单 / First order only" };
  if (e.tierIds.length > 0 && !(f.tierId && e.tierIds.includes(f.tierId))) {
    return { rule: "tier", message: "仅限指定会员等级 / Only for members of the listed tiers" };
  }
  if (e.birthdayMonth && !(f.birthday && f.birthday.slice(0, 2) === now.toISOString().slice(5, 7))) {
    return { rule: "birthday_month", message: "仅限生日当月 / Birthday month only" };
  }
  if (e.cities.length > 0 && !(f.city && e.cities.some((c) => norm(c) === norm(f.city!)))) {
    return { rule: "city", message: `仅限 ${e.cities.join("、")} / Only in ${e.cities.join(", ")}` };
  }
  return null;
}

/** Which facts a rule needs, so the claim path loads nothing it will not read. */
export const factsNeeded = (e: Eligibility) => ({
  segments: e.segmentIds.length > 0,
  buyer: e.newUser,
  orders: e.firstOrder,
  member: e.tierIds.length > 0 || e.birthdayMonth,
  city: e.cities.length > 0,
});
