import { describe, expect, it } from "vitest";
import { campaignStateWords, whenWords } from "../../site/src/lib/campaign-words";

// 2026-11-30 15:00 China time (07:00Z); the list says times as the visitor's phone does, China time here.
const now = Date.parse("2026-11-30T07:00:00Z");
const TZ = "Asia/Shanghai";
const at = (local: string) => new Date(`${local}+08:00`).toISOString();
const base = { kind: "coupon_claim", startsAt: at("2026-11-28T10:00:00"), endsAt: at("2026-11-30T20:00:00") };
const line = (c: Partial<typeof base> & { phase: string; paused?: boolean; soldOut?: boolean }) => campaignStateWords({ ...base, ...c }, now, TZ);

describe("the campaign list's state line", () => {
  it("says an ended campaign ended once: 已于 … 结束, not 已结束 · … 结束", () => {
    expect(line({ phase: "ended", endsAt: at("2026-11-28T20:00:00") })).toEqual(["已于 11月28日 20:00 结束", "Ended Nov 28, 20:00"]);
    expect(line({ phase: "ended", endsAt: at("2026-11-29T20:00:00") })[0]).toBe("已于昨天 20:00 结束");
    // Sold out before it ended: that it is over is what counts now.
    expect(line({ phase: "ended", soldOut: true, endsAt: at("2026-11-30T12:00:00") })[0]).toBe("已于今天 12:00 结束");
    for (const phase of ["scheduled", "live", "ended"]) {
      const [zh] = line({ phase });
      expect(zh.match(/结束/g)?.length ?? 0, zh).toBeLessThanOrEqual(1);
      expect(zh.match(/开始/g)?.length ?? 0, zh).toBeLessThanOrEqual(1);
    }
  });

  it("says when a campaign not started yet starts, without 即将开始 … 开始", () => {
    expect(line({ phase: "scheduled", startsAt: at("2026-12-01T10:00:00"), endsAt: at("2026-12-02T10:00:00") })).toEqual(["明天 10:00 开始", "Starts tomorrow 10:00"]);
    expect(line({ phase: "scheduled", startsAt: at("2026-12-12T00:00:00") })[0]).toBe("12月12日 00:00 开始");
    expect(line({ phase: "scheduled", startsAt: at("2027-01-05T10:00:00") })).toEqual(["2027年1月5日 10:00 开始", "Starts Jan 5 2027, 10:00"]);
    expect(line({ phase: "scheduled", paused: true, startsAt: at("2026-11-30T18:00:00") })[0]).toBe("已暂停 · 今天 18:00 开始");
  });

  it("says a running campaign's state and when it ends", () => {
    expect(line({ phase: "live" })).toEqual(["进行中 · 今天 20:00 结束", "Live · ends today 20:00"]);
    expect(line({ phase: "live", paused: true })[0]).toBe("已暂停 · 今天 20:00 结束");
    expect(line({ phase: "live", soldOut: true })[0]).toBe("已抢光 · 今天 20:00 结束");
    expect(line({ phase: "live", soldOut: true, kind: "lottery" })[0]).toBe("奖品已抽完 · 今天 20:00 结束");
  });

  it("counts today and tomorrow by the calendar day of the time zone, not 24 hours", () => {
    // 23:30 China time is still today; 00:30 is tomorrow, though both are hours away.
    const late = Date.parse("2026-11-30T15:00:00Z"); // 23:00 China time
    expect(whenWords(at("2026-11-30T23:30:00"), late, TZ)[0]).toBe("今天 23:30");
    expect(whenWords(at("2026-12-01T00:30:00"), late, TZ)[0]).toBe("明天 00:30");
    expect(whenWords(at("2026-12-02T00:30:00"), late, TZ)[0]).toBe("12月2日 00:30");
  });
});
