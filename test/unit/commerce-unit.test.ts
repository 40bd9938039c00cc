import { describe, expect, it } from "vitest";
import banned from "../../schema/data/banned-phrases.json";
import { parseCsvLine } from "../../scripts/lib/csv";
import { maskPhone, otpCode, signSession, verifySession } from "../../worker/domain/buyer-session";
import { couponCode } from "../../worker/domain/codes";
import { findBannedPhrases } from "../../worker/domain/compliance";
import { openSecret, sealSecret, secretHash } from "../../worker/domain/secret-box";
import { validityWindow } from "../../worker/domain/validity";

describe("compliance", () => {
  it("reports the longest banned phrase at each place, with field and index", () => {
    const f = findBannedPhrases({ title: "最低价！绝对正品", body: "ok" }, banned.phrases);
    expect(f.map((x) => [x.field, x.phrase, x.index])).toEqual([["title", "最低价", 0], ["title", "绝对", 4]]);
    expect(findBannedPhrases({ t: "top1 好物" }, banned.phrases)[0]!.phrase).toBe("TOP1");
    expect(findBannedPhrases({ t: "安心" }, banned.phrases)).toEqual([]);
  });
});

describe("secret box", () => {
  it("round-trips, never repeats a ciphertext, fails with another key; hashes are keyed per tenant", async () => {
    const a = await sealSecret("k1", "CARD-123");
    expect(a).not.toBe(await sealSecret("k1", "CARD-123"));
    expect(await openSecret("k1", a)).toBe("CARD-123");
    await expect(openSecret("k2", a)).rejects.toThrow();
    expect(await secretHash("k1", "t1", " X ")).toBe(await secretHash("k1", "t1", "X"));
    expect(await secretHash("k1", "t1", "X")).not.toBe(await secretHash("k1", "t2", "X"));
  });
});

describe("buyer session and codes", () => {
  it("signs sessions per tenant, refuses tampering and expiry", async () => {
    const tok = await signSession("s", "t1", "byr_1", 1000);
    expect(await verifySession("s", "t1", tok, 1001)).toBe("byr_1");
    expect(await verifySession("s", "t2", tok, 1001)).toBeNull();
    expect(await verifySession("s", "t1", tok.replace("byr_1", "byr_2"), 1001)).toBeNull();
    expect(await verifySession("s", "t1", tok, 1000 + 31 * 86400)).toBeNull();
    expect(maskPhone("13812345678")).toBe("138****5678");
    expect(otpCode()).toMatch(/^\d{6}$/);
    expect(couponCode()).toMatch(/^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}$/);
  });

  it("validity windows: fixed, or N days from issue", () => {
    const at = new Date("2026-05-01T00:00:00.000Z");
    expect(validityWindow({ kind: "relative", days: 2 }, at)).toEqual({ validFrom: "2026-05-01T00:00:00.000Z", validTo: "2026-05-03T00:00:00.000Z" });
    expect(validityWindow({ kind: "fixed", validFrom: "a", validTo: "b" }, at)).toEqual({ validFrom: "a", validTo: "b" });
  });

  it("CSV lines with quotes and commas", () => {
    expect(parseCsvLine('"AB,""C""",1')).toEqual(['AB,"C"', "1"]);
  });
});
