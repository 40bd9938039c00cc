import { describe, expect, it } from "vitest";
import { verdict } from "../../bench/lib/machine-load";

describe("benchmark load gate", () => {
  it("prints the result line with the load at start and end on a quiet machine", () => {
    const v = verdict([0.06, 0.1, 0.2], [1.9, 0.8, 0.4], 1.0);
    expect(v).toMatchObject({ print: true, exitCode: 0, load: { load_start: [0.06, 0.1, 0.2], load_end: [1.9, 0.8, 0.4] } });
  });

  it("refuses a result line and exits non-zero when the machine was busy at start", () => {
    const v = verdict([1.42, 0.9, 0.5], [0.3, 0.3, 0.3], 1.0);
    expect(v.print).toBe(false);
    expect(v.exitCode).not.toBe(0);
    expect(v.message).toMatch(/load average 1\.42/);
  });

  it("still refuses the result line when a smoke run allows a busy machine", () => {
    const v = verdict([3, 3, 3], [3, 3, 3], 1.0, true);
    expect(v).toMatchObject({ print: false, exitCode: 0 });
  });
});
