import { describe, expect, it } from "vitest";
import { describeMove } from "../../site/src/lib/points-moves";

describe("points statement lines (积分明细)", () => {
  it("a reversal that moved nothing reads 无变动 with its reason, never a bare 0", () => {
    const spentThenRefunded = describeMove({ kind: "reverse", sourceKind: "order", points: 0, shortfall: 19 }, "zh");
    expect(spentThenRefunded.amount).not.toBe("0");
    expect(spentThenRefunded).toEqual({ title: "订单退款 · 收回积分", note: "该订单所得积分中有 19 分已使用，不再扣回", amount: "无变动", tone: "none" });
    const withheld = describeMove({ kind: "reverse", sourceKind: "mall", points: 0, shortfall: 40 }, "en");
    expect(withheld).toMatchObject({ title: "Exchange returned · points given back", amount: "No change", tone: "none" });
    expect(withheld.note).toContain("40");
  });

  it("ordinary movements keep their signed amount", () => {
    expect(describeMove({ kind: "earn", sourceKind: "order", points: 19, shortfall: 0 }, "zh")).toEqual({ title: "获得 · 购物", note: null, amount: "+19", tone: "plus" });
    expect(describeMove({ kind: "reverse", sourceKind: "order", points: -9, shortfall: 10 }, "zh")).toMatchObject({ amount: "-9", tone: "minus", note: "该订单所得积分中有 10 分已使用，不再扣回" });
    expect(describeMove({ kind: "reverse", sourceKind: "task", points: -9, shortfall: 11 }, "zh")).toEqual({
      title: "首单退款 · 收回任务积分", note: "该任务所得积分中有 11 分已使用，不再扣回", amount: "-9", tone: "minus",
    });
    expect(describeMove({ kind: "expire", sourceKind: "lot", points: -5, shortfall: 0 }, "en")).toEqual({ title: "Expired · Expiry", note: null, amount: "-5", tone: "minus" });
  });
});
