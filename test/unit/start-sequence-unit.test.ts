import { describe, expect, it } from "vitest";
import { cronThenSeed } from "../../scripts/lib/start-sequence";

describe("npm start after a crash: the cron before the seed", () => {
  it("events a crash left to the cron are sent while the seed waits for them (it stalled 60 s when the cron came after)", async () => {
    // One event row only the cron sends; the seed (like seedRecommendations' eventsStored) waits for it, here 1 s.
    let pending = 1;
    const tick = async () => void (pending = 0);
    const seed = async () => {
      const until = Date.now() + 1_000;
      while (pending > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      return pending === 0 ? "drained" : "timed out";
    };
    const started = Date.now();
    expect(await cronThenSeed(tick, 60_000, seed)).toBe("drained");
    expect(Date.now() - started).toBeLessThan(500);
  });
});
