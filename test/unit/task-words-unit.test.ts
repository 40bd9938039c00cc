import { describe, expect, it } from "vitest";
import { taskWords } from "../../site/src/lib/task-words";

const task = (completions: number, reversed: number, repeatable = true, available = false) => ({ repeatable, completions, reversed, available });

describe("a member task card's words", () => {
  it("a repeatable task with some of its completions taken back by refunds says how many of each (it read 已完成)", () => {
    expect(taskWords(task(2, 1))).toEqual({ button: ["已完成 2 次", "Done ×2"], note: ["其中 1 次因退款已收回", "1 of them taken back by a refund"] });
    expect(taskWords(task(3, 2)).note![0]).toBe("其中 2 次因退款已收回");
    // With another completion to claim, the note counts them itself.
    expect(taskWords(task(2, 1, true, true))).toEqual({ button: ["领取奖励", "Claim"], note: ["已完成 2 次，其中 1 次因退款已收回", "Done 2 times, 1 taken back by a refund"] });
  });

  it("every completion taken back reads 已收回, never 已完成", () => {
    expect(taskWords(task(1, 1, false))).toEqual({ button: ["已收回", "Taken back"], note: null });
    expect(taskWords(task(2, 2)).button[0]).toBe("已收回 2 次");
  });

  it("completions that stand read 已完成, several with their count, and no note", () => {
    expect(taskWords(task(1, 0, false))).toEqual({ button: ["已完成", "Done"], note: null });
    expect(taskWords(task(3, 0))).toEqual({ button: ["已完成 3 次", "Done ×3"], note: null });
  });

  it("a completion to claim is offered, and no completion reads 未完成", () => {
    expect(taskWords(task(1, 0, true, true))).toEqual({ button: ["领取奖励", "Claim"], note: null });
    expect(taskWords(task(0, 0, false))).toEqual({ button: ["未完成", "Not yet"], note: null });
  });
});
