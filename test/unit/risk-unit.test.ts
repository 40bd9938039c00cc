import { describe, expect, it } from "vitest";
import { formatCidr, inRange, parseCidr, parseIp } from "../../worker/domain/cidr";
import { ipKey } from "../../worker/domain/client-ip";
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

describe("the key a client IP is counted under", () => {
  it("counts an IPv6 client by its /64 and an IPv4 (or IPv4-mapped) client by its address", () => {
    // One line rotating through its /64 is one client: every address in it gives the same key.
    expect(ipKey("2001:db8:77:1:1000:d522:0:1")).toBe("2001:db8:77:1::/64");
    expect(ipKey("2001:0db8:0077:0001:ffff:ffff:ffff:fffe")).toBe("2001:db8:77:1::/64");
    expect(ipKey("[2001:db8:77:1::9]")).toBe("2001:db8:77:1::/64");
    expect(ipKey("2001:db8:77:2::1")).not.toBe(ipKey("2001:db8:77:1::1"));
    expect(ipKey("203.0.113.9")).toBe("203.0.113.9");
    expect(ipKey("203.0.113.10")).not.toBe(ipKey("203.0.113.9"));
    expect(ipKey("::ffff:203.0.113.9")).toBe("203.0.113.9");
    // Not an address, or a key already: unchanged.
    expect(ipKey("local")).toBe("local");
    expect(ipKey(ipKey("2001:db8:77:1::1"))).toBe("2001:db8:77:1::/64");
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
  it("challenges one device claiming for many accounts, however old the device", () => {
    expect(scoreClaim({ ...calm, newDevice: false, accountsOnDevice: 4 }).score).toBe(0);
    const farm = scoreClaim({ ...calm, newDevice: false, accountsOnDevice: 5 });
    expect(farm.reasons).toEqual(["many_accounts_device"]);
    expect(farm.score).toBeGreaterThanOrEqual(CHALLENGE_AT);
  });
  it("binds a pass to the tenant and buyer until it expires", async () => {
    const pass = await signPass("k", "t1", "byr_1", 1000);
    expect(await verifyPass("k", "t1", "byr_1", pass, 1000)).toBe(true);
    expect(await verifyPass("k", "t2", "byr_1", pass, 1000)).toBe(false);
    expect(await verifyPass("k", "t1", "byr_2", pass, 1000)).toBe(false);
    expect(await verifyPass("k", "t1", "byr_1", pass, 1000 + 31 * 60)).toBe(false);
  });
});
