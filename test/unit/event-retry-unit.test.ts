import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { eventRetrySettings, minRetryWindowSeconds, retryDelaySeconds } from "../../worker/domain/backoff";

/** The production settings as deployed: wrangler.toml's vars and the main queue consumer's max_retries. */
function productionSettings() {
  const toml = readFileSync("wrangler.toml", "utf8");
  const vars = Object.fromEntries([...toml.matchAll(/^(EVENT_RETRY_\w+)\s*=\s*"(\d+)"/gm)].map((m) => [m[1], m[2]]));
  const consumer = /\[\[queues\.consumers\]\]\s*\nqueue = "kaquan-events"\n([\s\S]*?)(?:\n\[|$)/.exec(toml)![1]!;
  const maxRetries = Number(/^max_retries\s*=\s*(\d+)/m.exec(consumer)![1]);
  return { settings: eventRetrySettings(vars), maxRetries };
}

describe("event delivery back-off", () => {
  it("with the production settings the queue keeps retrying for more than 10 minutes before it dead-letters", () => {
    const { settings, maxRetries } = productionSettings();
    expect(settings).toEqual({ baseS: 5, capS: 300 });
    expect(maxRetries).toBe(10);
    // 3 + 5 + 10 + 20 + 40 + 80 + 150 × 4 = 758 s at the low end of every jitter (README.md "Events").
    expect(minRetryWindowSeconds(maxRetries, settings)).toBe(758);
    expect(minRetryWindowSeconds(maxRetries, settings)).toBeGreaterThanOrEqual(600);
    let longest = 0;
    for (let a = 1; a <= maxRetries; a++) longest += retryDelaySeconds(a, settings.baseS, settings.capS, () => 1);
    expect(longest).toBe(1515);
  });

  it("the old settings (5 retries, base 2 s) gave up after 31–62 s", () => {
    expect(minRetryWindowSeconds(5, { baseS: 2, capS: 300 })).toBe(31);
  });

  it("reads overrides and ignores nonsense", () => {
    expect(eventRetrySettings({ EVENT_RETRY_BASE_SECONDS: "1", EVENT_RETRY_CAP_SECONDS: "2" })).toEqual({ baseS: 1, capS: 2 });
    expect(eventRetrySettings({ EVENT_RETRY_BASE_SECONDS: "x", EVENT_RETRY_CAP_SECONDS: "0" })).toEqual({ baseS: 5, capS: 300 });
    expect(eventRetrySettings({})).toEqual({ baseS: 5, capS: 300 });
  });
});
