import { describe, expect, it } from "vitest";
import { dailyLimitWords, drawsUsedUpWords, nextChinaMidnight } from "../../site/src/lib/draw-chances";

describe("the lottery page's line when a visitor's draws are used up", () => {
  // 2026-12-06 16:27 China time (08:27Z)
  const now = Date.parse("2026-12-06T08:27:00Z");

  it("draws come back at midnight China time", () => {
    expect(new Date(nextChinaMidnight(now)).toISOString()).toBe("2026-12-06T16:00:00.000Z");
    expect(new Date(nextChinaMidnight(Date.parse("2026-12-06T16:00:00Z"))).toISOString()).toBe("2026-12-07T16:00:00.000Z");
  });

  it("says 明天再来 only when the lottery is still open tomorrow", () => {
    expect(drawsUsedUpWords(1, "2026-12-07T08:12:41Z", now)[0]).toBe("今日抽奖次数已用完，已中奖 1 次，明天再来");
    // Ends 16:28 China time the same day: there is no tomorrow to come back to.
    const today = drawsUsedUpWords(2, "2026-12-06T08:28:30Z", now);
    expect(today[0]).not.toContain("明天");
    expect(today[1]).not.toContain("tomorrow");
    expect(today[0]).toContain("已中奖 2 次");
    // Ends exactly at midnight China time: no draw tomorrow either.
    expect(drawsUsedUpWords(0, "2026-12-06T16:00:00Z", now)[0]).not.toContain("明天");
  });

  it("a claim's daily limit says 明天再来 only when the campaign is still open tomorrow", () => {
    expect(dailyLimitWords("2026-12-07T08:12:41Z", now)).toEqual(["今日已领取，明天再来", "Daily limit reached, come back tomorrow"]);
    expect(dailyLimitWords("2026-12-06T08:28:30Z", now)[0]).not.toContain("明天");
    expect(dailyLimitWords("2026-12-06T16:00:00Z", now)[1]).not.toContain("tomorrow");
  });
});
