import { describe, expect, it } from "vitest";
import { disabledReasonWords } from "../../site/src/lib/webhook-words";

const fmt = (iso: string) => new Date(iso).toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });

describe("a disabled webhook endpoint's reason in the console", () => {
  it("says the worker's reasons in Chinese, with times on the China clock", () => {
    expect(disabledReasonWords("5 deliveries in a row ran out of retries", fmt)[0]).toBe("连续 5 条投递重试用尽");
    expect(disabledReasonWords("every attempt failed since 2026-12-06T16:30:00.000Z", fmt)).toEqual([
      "自 2026/12/7 00:30:00 起每次投递都失败",
      "every attempt failed since 2026/12/7 00:30:00",
    ]);
    expect(disabledReasonWords("disabled by an admin", fmt)[0]).toBe("管理员已停用");
  });

  it("shows a reason it does not know as it came", () => {
    expect(disabledReasonWords("something else", fmt)).toEqual(["something else", "something else"]);
  });
});
