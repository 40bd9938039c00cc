import { describe, expect, it } from "vitest";
import { everyOneAtATime } from "../../analytics/one-at-a-time";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/*
 * The warehouse's schedules (funnel compaction, person merges) look every few minutes; a look can take longer than
 * that. Ticks must not pile up behind a slow look and run after it, nor after the schedule is stopped: a stopped
 * compaction schedule that still built and pruned raced the funnel's reads (a CI failure of funnel-compact.test.ts).
 */
describe("a warehouse schedule", () => {
  it("skips the ticks that come while its job runs, and runs nothing once stopped", async () => {
    let runs = 0;
    let inFlight = 0;
    let most = 0;
    const s = everyOneAtATime(async () => {
      runs++;
      most = Math.max(most, ++inFlight);
      await sleep(120);
      inFlight--;
    }, 10);
    await sleep(400);
    s.stop();
    const atStop = runs;
    // About 400 / 120 runs; a queue of every tick would have been ~40 behind.
    expect(atStop).toBeGreaterThanOrEqual(2);
    expect(atStop).toBeLessThanOrEqual(5);
    expect(most).toBe(1);
    await sleep(400);
    expect(runs).toBe(atStop); // the run in progress at stop() finished; none started after
  });

  it("two schedules take turns: one's job never overlaps the other's", async () => {
    let inFlight = 0;
    let most = 0;
    const job = async () => {
      most = Math.max(most, ++inFlight);
      await sleep(30);
      inFlight--;
    };
    const a = everyOneAtATime(job, 5);
    const b = everyOneAtATime(job, 5);
    await sleep(300);
    a.stop();
    b.stop();
    await sleep(100);
    expect(most).toBe(1);
  });

  it("a job that throws is run again at the next tick, and does not reject unhandled", async () => {
    let runs = 0;
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    const s = everyOneAtATime(async () => {
      runs++;
      throw new Error("boom");
    }, 20);
    await sleep(150);
    s.stop();
    await sleep(20);
    process.off("unhandledRejection", onUnhandled);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(unhandled).toEqual([]);
  });
});
