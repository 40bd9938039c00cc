import { describe, expect, it } from "vitest";
import { em, labelTurn, wheelLabel } from "../../site/src/lib/wheel-label";

const LONG = "100元代金券（满200元可用）";
const LONGER = "视频会员月卡 VIP 年度会员 + 音乐会员季卡 超值组合装";
const whole = (lines: string[]) => lines.join("").replace(/\s+/g, "");

describe("a prize's name on the wheel", () => {
  it("shows the demo wheel's 100元代金券 whole, on one line at full size (it read 100元代…)", () => {
    expect(wheelLabel("100元代金券", 4, true)).toMatchObject({ lines: ["100元代金券"], size: 11 });
  });

  it("wraps a long name between phrases while the font stays readable, never inside 100元", () => {
    expect(wheelLabel(LONG, 4, true).lines).toEqual(["100元代金券", "（满200元可用）"]);
    for (let slices = 2; slices <= 12; slices++) for (const line of wheelLabel(LONG, slices, true).lines) expect(line).not.toMatch(/^元|^[0-9]+$/);
  });

  it("keeps every character of a long name (24 characters on up to 6 slices, 15 on up to 8), in at most four lines, at 7 or more", () => {
    for (let slices = 2; slices <= 8; slices++) {
      for (const name of [LONG, "20元无门槛代金券", "音乐会员月卡兑换码", "Ten yuan voucher", ...(slices <= 6 ? [LONGER] : [])]) {
        const { lines, size, radius } = wheelLabel(name, slices, true);
        expect(whole(lines), `${name} on ${slices} slices`).toBe(name.replace(/\s+/g, ""));
        expect(lines.length).toBeLessThanOrEqual(4);
        expect(size).toBeGreaterThanOrEqual(7);
        // Between the hub (radius 14) and the rim (96).
        expect(radius).toBeGreaterThan(22);
        expect(radius).toBeLessThan(90);
      }
    }
  });

  it("gives the larger size to the shorter name, and shrinks a name rather than cutting it", () => {
    expect(wheelLabel("五元券", 6, true).size).toBeGreaterThan(wheelLabel(LONGER, 6, true).size);
    expect(wheelLabel(LONGER, 6, true).lines.join("")).not.toContain("…");
  });

  it("cuts only a name too long for four lines at the smallest size (the odds table names it in full)", () => {
    const { lines, size } = wheelLabel(LONGER.repeat(2), 12, true);
    expect(size).toBe(7);
    expect(lines.length).toBe(4);
    expect(lines[3]).toMatch(/…$/);
  });

  it("turns a label along its radius at 3 and 9 o'clock (it read sideways there), across near the top and bottom", () => {
    expect([0, 90, 180, 270].map(labelTurn)).toEqual([0, -90, 180, 90]);
    expect([45, 135, 225, 315, 360 + 60, -60].map(labelTurn)).toEqual([0, 180, 180, 0, -90, 90]);
    // Where the label ends up on the screen: never more than 45° from upright, for any resting angle.
    for (let deg = -720; deg <= 720; deg += 7.5) {
      const tilt = ((((deg + labelTurn(deg)) % 360) + 540) % 360) - 180;
      expect(Math.abs(tilt), `at ${deg}°`).toBeLessThanOrEqual(45);
    }
  });

  it("lays a name along the radius inside its slice: whole, in up to four lines, the block's thickness within the slice at its inner end", () => {
    for (const slices of [3, 4, 6, 8]) {
      for (const name of [LONG, "20元无门槛代金券", "五元券", ...(slices <= 6 ? [LONGER] : [])]) {
        const { lines, size, radius } = wheelLabel(name, slices, true, "along");
        expect(whole(lines), `${name} on ${slices} slices`).toBe(name.replace(/\s+/g, ""));
        expect(lines.length).toBeLessThanOrEqual(4);
        expect(size).toBeGreaterThanOrEqual(7);
        const length = Math.max(...lines.map(em)) * size;
        const thickness = lines.length * size * 1.2 + Math.max(6.5, size - 2) * 1.2;
        // From past the hub (14) to inside the rim (96), and as wide as the slice where the block starts.
        expect(radius - length / 2).toBeGreaterThanOrEqual(22);
        expect(Math.hypot(radius + length / 2, thickness / 2)).toBeLessThanOrEqual(96);
        expect(thickness / 2).toBeLessThanOrEqual((radius - length / 2) * Math.tan(Math.PI / slices));
      }
    }
    // A long name that cannot fit is cut with …, the block still inside the slice.
    const cut = wheelLabel(LONGER.repeat(2), 8, true, "along");
    expect(cut.lines.at(-1)).toMatch(/…$/);
    expect(cut.radius - (Math.max(...cut.lines.map(em)) * cut.size) / 2).toBeGreaterThanOrEqual(22);
  });
});
