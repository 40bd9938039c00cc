import { describe, expect, it } from "vitest";
import { at, ev, useWarehouse } from "./metric-harness";

/* Two simulated events and one real in September; a simulated one in August is outside the range. */
const fixture = [
  ev("claim_succeeded", "u1", at("09-07"), { campaignId: "c1", simulated: true }),
  ev("page_view", "u2", at("09-08"), { simulated: true }),
  ev("page_view", "u3", at("09-08"), {}),
  ev("page_view", "u4", at("08-08"), { simulated: true }),
];

const wh = useWarehouse(fixture);

describe("data source", () => {
  it("counts the range's events and how many the simulator made (the dashboard's 模拟数据 badge)", async () => {
    expect(await wh.query("data_source")).toEqual([{ events: 3, simulated: 2 }]);
    expect(await wh.query("data_source", { from: "2026-10-01", to: "2026-10-02" })).toEqual([{ events: 0, simulated: 0 }]);
  });
});
