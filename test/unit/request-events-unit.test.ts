import { afterEach, describe, expect, it, vi } from "vitest";
import { noteRecorded, requestsInFlight, withRequestEvents } from "../../worker/queue/request-events";

afterEach(() => {
  vi.useRealTimers();
});

describe("requests in flight (what a dispatch round yields to)", () => {
  it("counts a request while it is answered, and runs its after-response dispatch only when it recorded events", async () => {
    let release!: () => void;
    const after = vi.fn();
    const quiet = vi.fn();
    const recording = withRequestEvents(async () => {
      noteRecorded();
      await new Promise<void>((r) => (release = r));
    }, after);
    const plain = withRequestEvents(async () => "ok", quiet);
    expect(requestsInFlight()).toBe(2);
    expect(await plain).toBe("ok");
    expect(requestsInFlight()).toBe(1);
    release();
    await recording;
    expect(requestsInFlight()).toBe(0);
    expect(after).toHaveBeenCalledTimes(1);
    expect(quiet).not.toHaveBeenCalled();
  });

  it("a failed request stops counting too; one canceled mid-way (never settles) stops counting after 30 s", async () => {
    await expect(withRequestEvents(async () => Promise.reject(new Error("boom")), () => undefined)).rejects.toThrow("boom");
    expect(requestsInFlight()).toBe(0);
    vi.useFakeTimers({ now: new Date("2026-12-03T00:00:00Z") });
    void withRequestEvents(() => new Promise(() => undefined), () => undefined);
    expect(requestsInFlight()).toBe(1);
    vi.setSystemTime(new Date("2026-12-03T00:00:29Z"));
    expect(requestsInFlight()).toBe(1);
    vi.setSystemTime(new Date("2026-12-03T00:00:31Z"));
    expect(requestsInFlight()).toBe(0);
  });
});
