import { describe, expect, it } from "vitest";
import { Eligibility, type BuyerFacts } from "../../schema/eligibility";
import { eligibilityProblem, isOpen } from "../../worker/domain/eligibility";

const now = new Date("2026-05-20T10:00:00Z");
const facts = (f: Partial<BuyerFacts> = {}): BuyerFacts => ({
  segmentIds: new Set(), signedUpAt: "2026-05-18T00:00:00Z", paidOrders: 0, tierId: null, birthday: null, city: null, ...f,
});
const rule = (r: object) => Eligibility.parse(r);

describe("eligibility", () => {
  it("an empty rule admits everyone", () => {
    expect(isOpen(rule({}))).toBe(true);
    expect(eligibilityProblem(rule({}), facts({ paidOrders: 9 }), now)).toBeNull();
  });
  it("names the first failing rule", () => {
    expect(eligibilityProblem(rule({ segmentIds: ["s1"] }), facts(), now)?.rule).toBe("segment");
    expect(eligibilityProblem(rule({ segmentIds: ["s1", "s2"] }), facts({ segmentIds: new Set(["s2"]) }), now)).toBeNull();
    expect(eligibilityProblem(rule({ newUser: true, newUserDays: 1 }), facts(), now)?.rule).toBe("new_user");
    expect(eligibilityProblem(rule({ newUser: true, newUserDays: 3 }), facts(), now)).toBeNull();
    expect(eligibilityProblem(rule({ newUser: true }), facts({ signedUpAt: null }), now)?.rule).toBe("new_user");
    expect(eligibilityProblem(rule({ firstOrder: true }), facts({ paidOrders: 1 }), now)?.rule).toBe("first_order");
    expect(eligibilityProblem(rule({ tierIds: ["gold"] }), facts({ tierId: "silver" }), now)?.rule).toBe("tier");
    expect(eligibilityProblem(rule({ tierIds: ["gold"] }), facts({ tierId: "gold" }), now)).toBeNull();
    expect(eligibilityProblem(rule({ birthdayMonth: true }), facts({ birthday: "06-01" }), now)?.rule).toBe("birthday_month");
    expect(eligibilityProblem(rule({ birthdayMonth: true }), facts({ birthday: "05-31" }), now)).toBeNull();
  });
  it("matches cities without the 市 / city suffix and case", () => {
    expect(eligibilityProblem(rule({ cities: ["上海"] }), facts({ city: "上海市" }), now)).toBeNull();
    expect(eligibilityProblem(rule({ cities: ["Shanghai"] }), facts({ city: "shanghai" }), now)).toBeNull();
    expect(eligibilityProblem(rule({ cities: ["上海"] }), facts({ city: "北京" }), now)?.rule).toBe("city");
    expect(eligibilityProblem(rule({ cities: ["上海"] }), facts(), now)?.rule).toBe("city");
  });
  it("refuses unknown fields", () => {
    expect(Eligibility.safeParse({ vip: true }).success).toBe(false);
  });
});
