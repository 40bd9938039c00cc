import { describe, expect, it } from "vitest";
import { COMPENSATION, repeatReporter, reportPolicy } from "../../worker/domain/compensation";

describe("automatic compensation limits", () => {
  it("replace applies while the chain from the original is shorter than the limit, then a person decides", () => {
    expect(COMPENSATION.maxReplacements).toBe(1);
    expect(reportPolicy("replace", 0, 1)).toEqual({ policy: "replace", escalation: null });
    expect(reportPolicy("replace", 1, 1)).toEqual({ policy: "manual", escalation: "replacement_limit" });
    expect(reportPolicy("replace", 1, 2)).toEqual({ policy: "replace", escalation: null });
    expect(reportPolicy("replace", 0, 0)).toEqual({ policy: "manual", escalation: "replacement_limit" });
    expect(reportPolicy("refund", 5, 1)).toEqual({ policy: "refund", escalation: null });
    expect(reportPolicy("manual", 0, 1)).toEqual({ policy: "manual", escalation: null });
  });

  it("flags a holder at the distinct-order threshold", () => {
    expect(repeatReporter(COMPENSATION.reportOrders - 1)).toBe(false);
    expect(repeatReporter(COMPENSATION.reportOrders)).toBe(true);
  });
});
