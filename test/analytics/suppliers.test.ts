import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/*
 * sp1: 3 deliveries, 1 failure (o2 failed once, then delivered) → 3 / 4 = 0.75.
 * sp2: 2 failures → 0. An sp2 delivery in August is outside the range; a delivery without supplier is ignored.
 */
const fixture = [
  ev("order_delivered", "u", at("09-07"), { orderId: "o1", supplierId: "sp1" }),
  ev("supplier_failed", "u", at("09-07"), { orderId: "o2", supplierId: "sp1" }),
  ev("order_delivered", "u", at("09-07", 11), { orderId: "o2", supplierId: "sp1" }),
  ev("order_delivered", "u", at("09-08"), { orderId: "o3", supplierId: "sp1" }),
  ev("supplier_failed", "u", at("09-08"), { orderId: "o4", supplierId: "sp2" }),
  ev("supplier_failed", "u", at("09-08", 11), { orderId: "o4", supplierId: "sp2" }),
  ev("order_delivered", "u", at("08-08"), { orderId: "o0", supplierId: "sp2" }),
  ev("order_delivered", "u", at("09-08"), { orderId: "o5" }),
];

const wh = useWarehouse(fixture);

describe("supplier success rate", () => {
  it("is deliveries over delivery attempts per supplier", async () => {
    expect(await wh.query("suppliers")).toEqual([
      { supplierId: "sp1", delivered: 3, failed: 1, successRate: 0.75 },
      { supplierId: "sp2", delivered: 0, failed: 2, successRate: 0 },
    ]);
  });
});
