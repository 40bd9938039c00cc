import { describe, expect, it } from "vitest";
import { formatCidr, inRange, parseCidr, parseIp } from "../../worker/domain/cidr";
import { leadingZeroBits, meetsDifficulty, parsePowResponse, powResponse, readPuzzle, signPuzzle, solvePow } from "../../worker/domain/pow";
import { signPass, verifyPass } from "../../worker/domain/risk-pass";
import { CHALLENGE_AT, scoreClaim } from "../../worker/domain/risk-score";

describe("CIDR ranges", () => {
  it("parses and matches IPv4, IPv6 and IPv4-mapped addresses", () => {
    const v4 = parseCidr("10.1.2.3/16")!;
    expect(formatCidr(v4)).toBe("10.1.0.0/16");
    expect(inRange(parseIp("10.1.255.9")!, v4)).toBe(true);
    expect(inRange(parseIp("10.2.0.1")!, v4)).toBe(false);
    expect(inRange(parseIp("::ffff:10.1.0.7")!, v4)).toBe(true);
    const v6 = parseCidr("2001:db8:aa::/48")!;
    expect(formatCidr(v6)).toBe("2001:db8:aa::/48");
    expect(inRange(parseIp("2001:db8:aa:ffff::1")!, v6)).toBe(true);
    expect(inRange(parseIp("2001:db8:ab::1")!, v6)).toBe(false);
    expect(inRange(parseIp("10.1.0.1")!, v6)).toBe(false);
    expect(formatCidr(parseCidr("::1")!)).toBe("::1/128");
    expect(formatCidr(parseCidr("0.0.0.0/0")!)).toBe("0.0.0.0/0");
    expect(inRange(parseIp("8.8.8.8")!, parseCidr("0.0.0.0/0")!)).toBe(true);
  });
  it("refuses malformed input", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0", "256.1.1.1", "1.2.3.4/8/1", "2001:db8::1::2", "2001:db8::/129", "gggg::", "", "10.0.0.0/x"]) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });
});

describe("proof of work", () => {
  it("counts leading zero bits", () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x10]))).toBe(19);
    expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array([0, 1]))).toBe(15);
  });
  it("solves a puzzle the verifier accepts, and a signed puzzle cannot be altered", async () => {
    const p = { nonce: "a1b2c3", tenantId: "t1", cdata: "cmp", action: "claim", difficulty: 10, issuedAt: 1, expiresAt: 2 };
    const token = await signPuzzle("s", p);
    expect(await readPuzzle("s", token)).toEqual(p);
    expect(await readPuzzle("other", token)).toBeNull();
    expect(await readPuzzle("s", token.replace(/\.[0-9a-f]{64}$/, "." + "0".repeat(64)))).toBeNull();
    const counter = await solvePow(p.nonce, p.difficulty);
    expect(await meetsDifficulty(p.nonce, counter, p.difficulty)).toBe(true);
    expect(parsePowResponse(powResponse(token, counter))).toEqual({ token, counter });
    expect(parsePowResponse("nonsense")).toBeNull();
  });
});

describe("risk score and pass", () => {
  const calm = { userAgent: "Mozilla/5.0 (iPhone)", acceptLanguage: "zh-CN", webdriver: false, burstIp: false, burstDevice: false, accountsOnIp: 1, newDevice: true };
  it("needs two signals' weight to challenge", () => {
    expect(scoreClaim(calm).score).toBe(0);
    expect(scoreClaim({ ...calm, webdriver: true }).score).toBeLessThan(CHALLENGE_AT);
    expect(scoreClaim({ ...calm, acceptLanguage: null }).score).toBeLessThan(CHALLENGE_AT);
    expect(scoreClaim({ ...calm, webdriver: true, acceptLanguage: null }).reasons).toEqual(["webdriver", "no_accept_language"]);
    expect(scoreClaim({ ...calm, userAgent: "HeadlessChrome/131" }).score).toBeGreaterThanOrEqual(CHALLENGE_AT);
    expect(scoreClaim({ ...calm, burstIp: true }).reasons).toEqual(["burst_ip"]);
    expect(scoreClaim({ ...calm, accountsOnIp: 5 }).reasons).toEqual(["many_accounts_new_device"]);
    expect(scoreClaim({ ...calm, accountsOnIp: 5, newDevice: false }).score).toBe(0);
  });
  it("binds a pass to the tenant and buyer until it expires", async () => {
    const pass = await signPass("k", "t1", "byr_1", 1000);
    expect(await verifyPass("k", "t1", "byr_1", pass, 1000)).toBe(true);
    expect(await verifyPass("k", "t2", "byr_1", pass, 1000)).toBe(false);
    expect(await verifyPass("k", "t1", "byr_2", pass, 1000)).toBe(false);
    expect(await verifyPass("k", "t1", "byr_1", pass, 1000 + 31 * 60)).toBe(false);
  });
});
