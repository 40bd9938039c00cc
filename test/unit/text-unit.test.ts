import { describe, expect, it } from "vitest";
import { hasUnsafeChars, text } from "../../schema/text";

describe("display text (schema/text.ts)", () => {
  it("refuses control characters, bidi overrides and isolates, and unpaired surrogates", () => {
    for (const s of ["a\u0000b", "a\u0007", "\u001b[31m", "a\u007f", "a\u0085", "\u202eabc", "\u202aabc", "\u2066x\u2069", "a\ud800", "\udc00a", "a\udfff\ud800"]) {
      expect(hasUnsafeChars(s), JSON.stringify(s)).toBe(true);
    }
  });

  it("takes what people type: CJK, line breaks, tabs, emoji (surrogate pairs), ZWJ sequences, RTL scripts", () => {
    for (const s of ["视频会员月卡", "第一行\n第二行\r\n\t缩进", "🎬👨‍👩‍👧", "满100减20券（限时）", "مرحبا", "¥19.90 · 月卡", ""]) {
      expect(hasUnsafeChars(s), JSON.stringify(s)).toBe(false);
    }
  });

  it("text() names the problem as unsafe_characters and keeps string checks chainable", () => {
    const name = text().trim().min(1).max(10);
    expect(name.parse("  月卡  ")).toBe("月卡");
    const r = name.safeParse("月\u202e卡");
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ code: "custom", params: { reason: "unsafe_characters" } });
  });
});
