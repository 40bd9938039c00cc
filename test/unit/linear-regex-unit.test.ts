import { describe, expect, it } from "vitest";
import { linearRegex, patternProblem } from "../../worker/domain/linear-regex";
import { rechargeAccountProblem } from "../../worker/domain/recharge-account";
import kinds from "../../schema/data/recharge-accounts.json";

const PATTERNS = [
  ...Object.values(kinds).map((k) => k.pattern),
  "^1[3-9]\\d{9}$", "^[A-Za-z0-9_-]{4,32}$", "^\\d{5,12}$", "abc", "^a|b$", "^(?:ab|a)c$", "^(a|ab)(c|bcd)(d*)$",
  "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", "^(a+)+$", "^(a*)*b$", "^(a|a)*$", "^x?y??z*?$", "^a{2}b{0,3}c{2,}$", "^.{3}$",
  "^[\\d\\-]+$", "^[a\\-z]+$", "^\\u0041\\x42$", "^\\u{1F600}+$", "^[游戏]{2}\\d+$", "^\\w+\\s\\W$", "^(?<id>\\d+)-\\d$",
  "^[\\]\\[]+$", "^\\.\\*\\+\\?\\(\\)\\{\\}\\|\\^\\$\\\\/$", "(?:)", "^$", "a$", "^[-a]$", "^[a-]$", "^(|a)b$",
];
const INPUTS = [
  "", "a", "b", "ab", "abc", "xabcx", "aaaa", "aaab", "aaaa!", "abcd", "abbcd", "acd", "abd", "13812345678", "12812345678",
  "1381234567", "138123456789", "12345", "01234", "player_01", "pl", "x@y.com", "x@@y.com", "aabbbccc", "aacc", "aac",
  "xyz", "yzzz", "xxy", "abc\n", "ab\nc", "12-34", "a-z", "AB", "😀😀", "😀", "游戏123", "游戏", "hi !", "hi a", "42-7",
  "][", ".*+?(){}|^$\\/", "-", "b", "ac",
];

describe("linear-time patterns", () => {
  it("answer what RegExp (u) answers", () => {
    for (const p of PATTERNS) {
      const mine = linearRegex(p);
      const native = new RegExp(p, "u");
      for (const s of INPUTS) expect(mine.test(s), `${p} on ${JSON.stringify(s)}`).toBe(native.test(s));
    }
  });

  it("match nested repeats in linear time, where RegExp backtracks for hours", () => {
    const evil = `${"a".repeat(5000)}!`;
    expect(linearRegex("^(a+)+$").test(evil)).toBe(false);
    expect(linearRegex("^(a|a)*$").test(evil)).toBe(false);
    expect(linearRegex("^a*a*a*a*a*a*a*a*$").test(evil)).toBe(false);
    expect(linearRegex("^(a+)+$").test("a".repeat(5000))).toBe(true);
    expect(rechargeAccountProblem({ accountPattern: "^(a+)+$" }, `${"a".repeat(64)}!`)).not.toBeNull();
  });

  it("refuses what an NFA cannot run, and what is not a pattern at all", () => {
    for (const p of ["^(a)\\1$", "^(?=a)a$", "^(?!a)b$", "(?<=a)b", "\\bword\\b", "a{1,1000}", "(a{100}){100}", "(", "a)", "[a", "*a", "a**", "\\", "\\q", "[z-a]", "a{3,2}"]) {
      expect(patternProblem(p), p).not.toBeNull();
    }
    for (const p of PATTERNS) expect(patternProblem(p), p).toBeNull();
  });
});
