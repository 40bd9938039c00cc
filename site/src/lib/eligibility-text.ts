/** Eligibility (issue 19) in plain words: who may take part, and why a claim was refused (409 not_eligible). */
import { t } from "./i18n";

type Rule = "segment" | "new_user" | "first_order" | "tier" | "birthday_month" | "city";

/** One line per condition of an Eligibility (none for an open rule). */
export function eligibilityLines(e: any, what?: [string, string]): string[] {
  if (!e) return [];
  const parts: [string, string][] = [];
  if (e.segmentIds?.length) parts.push(["品牌指定的会员人群", "customers the brand selected"]);
  if (e.newUser) parts.push([`注册 ${e.newUserDays ?? 7} 天内的新用户`, `customers who joined in the last ${e.newUserDays ?? 7} days`]);
  if (e.firstOrder) parts.push(["尚未在本店下过单（首单）", "customers with no order here yet (first order)"]);
  if (e.tierIds?.length) parts.push(["指定等级的会员", "members of the listed tiers"]);
  if (e.birthdayMonth) parts.push(["生日在本月的会员", "members whose birthday is this month"]);
  if (e.cities?.length) parts.push([`${e.cities.join("、")}的用户`, `customers in ${e.cities.join(", ")}`]);
  if (!parts.length) return [];
  const head = what ?? ["参与资格", "Who qualifies"];
  return [t(`${head[0]}：仅限${parts.map((p) => p[0]).join("，且")}。`, `${head[1]}: only ${parts.map((p) => p[1]).join(", and ")}.`)];
}

const REFUSED: Record<Rule, [string, string]> = {
  segment: ["本活动仅限品牌指定的会员人群参与，你暂不在其中", "This offer is for customers the brand selected, and you are not among them"],
  new_user: ["本活动仅限新注册用户参与", "This offer is for newly joined customers only"],
  first_order: ["本活动仅限首单用户，你已在本店下过单", "This offer is for a first order, and you have ordered here before"],
  tier: ["本活动仅限指定等级的会员，你的会员等级不在其中", "This offer is for members of certain tiers, and yours is not one of them"],
  birthday_month: ["本活动仅限生日当月的会员（可在会员中心填写生日）", "This offer is for members in their birthday month (set your birthday in the member centre)"],
  city: ["本活动仅限指定城市参与（可在会员中心设置所在城市）", "This offer is only for certain cities (set your city in the member centre)"],
};

/** Why a claim was refused, from the refusal's rule (error.issues[0].code or a qualification's refusal.rule). */
export const refusalText = (rule: string | undefined) =>
  rule && rule in REFUSED ? t(...REFUSED[rule as Rule]) : t("你暂不符合本活动的参与资格", "You do not qualify for this offer");
