import { describe, expect, it } from "vitest";
import { loadRefund, MEMBER_CODE_TTL_S, signMemberCode, splitSpend, verifyMemberCode } from "../../worker/domain/stored-value";

describe("stored-value rules", () => {
  it("spends the bonus first, then principal, and refuses a short balance", () => {
    expect(splitSpend({ principalCents: 10000, bonusCents: 5000 }, 3000)).toEqual({ bonusCents: 3000, principalCents: 0 });
    expect(splitSpend({ principalCents: 10000, bonusCents: 5000 }, 6000)).toEqual({ bonusCents: 5000, principalCents: 1000 });
    expect(splitSpend({ principalCents: 10000, bonusCents: 5000 }, 15000)).toEqual({ bonusCents: 5000, principalCents: 10000 });
    expect(splitSpend({ principalCents: 10000, bonusCents: 5000 }, 15001)).toBeNull();
    expect(splitSpend({ principalCents: 100, bonusCents: 0 }, 0)).toBeNull();
    expect(splitSpend({ principalCents: 100, bonusCents: 0 }, 1.5)).toBeNull();
  });

  it("refunds the unspent principal of a load and forfeits its bonus in proportion (rounded down)", () => {
    const load = { principalCents: 10000, bonusCents: 5000 };
    expect(loadRefund({ principalCents: 10000, bonusCents: 5000 }, load)).toEqual({ principalCents: 10000, bonusCents: 5000 });
    expect(loadRefund({ principalCents: 10000, bonusCents: 1200 }, load)).toEqual({ principalCents: 10000, bonusCents: 1200 });
    expect(loadRefund({ principalCents: 3333, bonusCents: 0 }, load)).toEqual({ principalCents: 3333, bonusCents: 0 });
    expect(loadRefund({ principalCents: 3333, bonusCents: 5000 }, load)).toEqual({ principalCents: 3333, bonusCents: 1666 });
    expect(loadRefund({ principalCents: 25000, bonusCents: 9000 }, load)).toEqual({ principalCents: 10000, bonusCents: 5000 });
    expect(loadRefund({ principalCents: 0, bonusCents: 900 }, load)).toEqual({ principalCents: 0, bonusCents: 0 });
  });

  it("signs a short-lived pay-at-store code bound to the brand", async () => {
    const now = 1_800_000_000;
    const { code, expiresAt } = await signMemberCode("s3cret", "tnt_a", "mbr_1", now);
    expect(expiresAt).toBe(new Date((now + MEMBER_CODE_TTL_S) * 1000).toISOString());
    expect(await verifyMemberCode("s3cret", "tnt_a", code, now + 10)).toEqual({ ok: true, memberId: "mbr_1" });
    expect(await verifyMemberCode("s3cret", "tnt_a", code, now + MEMBER_CODE_TTL_S + 1)).toEqual({ ok: false, code: "member_code_expired" });
    expect(await verifyMemberCode("s3cret", "tnt_b", code, now)).toEqual({ ok: false, code: "member_code_invalid" });
    expect(await verifyMemberCode("s3cret", "tnt_a", code.replace("mbr_1", "mbr_2"), now)).toEqual({ ok: false, code: "member_code_invalid" });
    expect(await verifyMemberCode("s3cret", "tnt_a", "hello", now)).toEqual({ ok: false, code: "member_code_invalid" });
  });
});
