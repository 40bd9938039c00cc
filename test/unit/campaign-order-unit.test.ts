import { describe, expect, it } from "vitest";
import { storefrontOrder } from "../../worker/domain/campaign-order";

const at = (d: number) => new Date(Date.UTC(2026, 11, d, 12)).toISOString();
const c = (id: string, phase: string, starts: number, ends: number, more: { paused?: boolean; soldOut?: boolean } = {}) =>
  ({ id, phase, startsAt: at(starts), endsAt: at(ends), ...more });

describe("the storefront's campaign order", () => {
  it("lists what a visitor can join now first, then paused or sold out, then upcoming, then ended", () => {
    // The console's order (newest start first), which put an ended campaign above running ones.
    const console = [
      c("next-week", "scheduled", 13, 14),
      c("ended-yesterday", "ended", 4, 5),
      c("tomorrow", "scheduled", 7, 8),
      c("sold-out", "live", 3, 9, { soldOut: true }),
      c("ends-late", "live", 2, 20),
      c("paused", "live", 2, 8, { paused: true }),
      c("ends-soon", "live", 1, 7),
      c("ended-long-ago", "ended", 1, 2),
    ];
    expect(storefrontOrder(console).map((x) => x.id)).toEqual([
      "ends-soon", "ends-late", "paused", "sold-out", "tomorrow", "next-week", "ended-yesterday", "ended-long-ago",
    ]);
    expect(console[0]!.id).toBe("next-week"); // the input is not reordered in place
  });
});
