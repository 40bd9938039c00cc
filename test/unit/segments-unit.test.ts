import { describe, expect, it } from "vitest";
import { maskId, memberFactsMatch, parseUploadCsv } from "../../worker/domain/segments";

const open = { tierIds: [], tags: [], cities: [] };
const now = new Date("2026-11-30T00:00:00Z");
const tiers = [{ id: "silver", rank: 1 }, { id: "gold", rank: 2 }];
const m = (p: Partial<Parameters<typeof memberFactsMatch>[1] & object> = {}) => ({ tier_id: null, paid_tier_id: null, paid_until: null, tags: "[]", city: null, ...p });

describe("segment member facts (edge)", () => {
  it("open rules admit anyone, members or not", () => {
    expect(memberFactsMatch(open, null, tiers, now)).toBe(true);
  });
  it("tier is the effective one: a valid paid card's better tier counts, a lapsed one does not", () => {
    const rules = { ...open, tierIds: ["gold"] };
    expect(memberFactsMatch(rules, m({ tier_id: "silver" }), tiers, now)).toBe(false);
    expect(memberFactsMatch(rules, m({ tier_id: "silver", paid_tier_id: "gold", paid_until: "2026-12-31T00:00:00Z" }), tiers, now)).toBe(true);
    expect(memberFactsMatch(rules, m({ tier_id: "silver", paid_tier_id: "gold", paid_until: "2026-11-01T00:00:00Z" }), tiers, now)).toBe(false);
    expect(memberFactsMatch({ ...open, tierIds: ["silver"] }, m({ tier_id: "silver", paid_tier_id: "gold", paid_until: "2026-12-31T00:00:00Z" }), tiers, now)).toBe(false);
    expect(memberFactsMatch(rules, null, tiers, now)).toBe(false);
  });
  it("every tag (case-insensitive), any city", () => {
    expect(memberFactsMatch({ ...open, tags: ["VIP", "咖啡"] }, m({ tags: '["vip","咖啡","x"]' }), tiers, now)).toBe(true);
    expect(memberFactsMatch({ ...open, tags: ["VIP", "茶"] }, m({ tags: '["vip"]' }), tiers, now)).toBe(false);
    expect(memberFactsMatch({ ...open, cities: ["上海", "Beijing"] }, m({ city: "beijing" }), tiers, now)).toBe(true);
    expect(memberFactsMatch({ ...open, cities: ["上海"] }, m({ city: null }), tiers, now)).toBe(false);
  });
  it("masks ids", () => {
    expect(maskId("byr_0123456789abcdef")).toBe("byr_…cdef");
  });
});

describe("segment upload CSV", () => {
  it("headerless: phones normalised like sign-in, ids kept, bad rows by line, duplicates once", () => {
    const p = parseUploadCsv("\uFEFF+86 138-0013-8000\r\n13800138000\nmbr_1\n\nC0001\nhello world\n");
    expect(p).toEqual({ rows: 5, phones: ["13800138000"], ids: ["mbr_1", "C0001"], invalid: [{ line: 6, message: "neither a mobile number nor an id" }] });
  });
  it("a header names the column", () => {
    expect(parseUploadCsv("name,手机号\n张三,13912345678\n李四,\n")).toMatchObject({ rows: 2, phones: ["13912345678"], ids: [], invalid: [{ line: 3, message: "empty value" }] });
  });
});
