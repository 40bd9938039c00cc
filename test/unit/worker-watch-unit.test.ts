import { describe, expect, it } from "vitest";
import { WorkerWatch } from "../../scripts/lib/worker-watch";

// What wrangler 4 (Miniflare) prints when a workerd it runs was killed; the same line for its ProxyWorker and ours.
const CRASH_LINE = "[wrangler:warn] The Workers runtime crashed unexpectedly and is being restarted (crash #1). Any additional runtime output above may indicate the cause.";

/** Probes every 5 s (as start.ts does) from `from` on; the time of the first probe that ends the worker, or null. */
function endsAt(watch: WorkerWatch, from: number, until: number, answers: (t: number) => boolean): number | null {
  for (let t = from; t <= until; t += 5_000) if (watch.probe(answers(t), t)) return t;
  return null;
}

describe("npm start's watch of the worker", () => {
  const opts = { silentLimitMs: 90_000, afterRuntimeCrashMs: 20_000 };

  it("a kill -9 of wrangler's proxy workerd (restarted, never answers again) ends the worker within 25 s, not 90 s", () => {
    const watch = new WorkerWatch(opts);
    expect(watch.probe(true, 0)).toBeNull();
    watch.output(`[worker] ${CRASH_LINE}\n`, 1_000);
    const t = endsAt(watch, 5_000, 120_000, () => false);
    expect(t).not.toBeNull();
    expect(t!).toBeLessThanOrEqual(25_000);
  });

  it("says what it ended the worker for (start.ts prints it: 'answered nothing for N s')", () => {
    const watch = new WorkerWatch(opts);
    watch.output(CRASH_LINE, 0);
    expect(watch.probe(false, 5_000)).toBeNull();
    expect(watch.probe(false, 20_000)).toEqual({ silentMs: 20_000, afterRuntimeCrash: true });
  });

  it("a kill -9 of our own workerd, back within seconds, is left alone", () => {
    const watch = new WorkerWatch(opts);
    watch.output(CRASH_LINE, 0);
    // Silent for 10 s while wrangler restarts it, then answering (even a 503 counts) for good.
    expect(endsAt(watch, 5_000, 300_000, (t) => t > 10_000)).toBeNull();
  });

  it("a crash long forgotten does not shorten a later silence: that one gets the full 90 s", () => {
    const watch = new WorkerWatch(opts);
    watch.output(CRASH_LINE, 0);
    expect(watch.probe(true, 5_000)).toBeNull();
    expect(endsAt(watch, 200_000, 400_000, () => false)).toBe(290_000);
  });

  it("silence without any crash line still ends the worker after 90 s, and a start-up (reset) is not silence", () => {
    const watch = new WorkerWatch(opts);
    expect(endsAt(watch, 0, 85_000, () => false)).toBeNull();
    watch.reset();
    expect(endsAt(watch, 90_000, 175_000, () => false)).toBeNull();
    expect(watch.probe(false, 180_000)).toEqual({ silentMs: 90_000, afterRuntimeCrash: false });
  });
});
