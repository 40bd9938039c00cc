import { describe, expect, it } from "vitest";
import { icsFold, icsText, icsTime, reminderIcs } from "../../site/src/lib/ics";

describe("campaign reminder .ics", () => {
  const ics = reminderIcs({
    uid: "cmp_1@kaquan",
    title: "开抢：满50减10, 限量; 秒杀",
    description: "第一行\n第二行 \\ 反斜杠",
    url: "https://shop.example/campaigns/flash/?t=demo&id=cmp_1",
    start: new Date("2026-12-01T02:00:00.000Z"),
    end: new Date("2026-12-01T02:30:00.000Z"),
    now: new Date("2026-11-30T10:11:12.345Z"),
  });

  it("has CRLF lines only, one VEVENT with UTC times and a VALARM 5 minutes before", () => {
    expect(ics.endsWith("\r\n")).toBe(true);
    expect(ics.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    const unfolded = ics.replace(/\r\n /g, "");
    expect(unfolded).toContain("\r\nDTSTART:20261201T020000Z\r\n");
    expect(unfolded).toContain("\r\nDTEND:20261201T023000Z\r\n");
    expect(unfolded).toContain("\r\nDTSTAMP:20261130T101112Z\r\n");
    expect(unfolded).toMatch(/BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\n/);
    expect(unfolded).toContain("\r\nURL:https://shop.example/campaigns/flash/?t=demo&id=cmp_1\r\n");
    expect(unfolded.match(/BEGIN:VEVENT/g)).toHaveLength(1);
  });

  it("escapes text values and folds long lines at 75 octets without splitting a character", () => {
    const unfolded = ics.replace(/\r\n /g, "");
    expect(unfolded).toContain("SUMMARY:开抢：满50减10\\, 限量\\; 秒杀\r\n");
    expect(unfolded).toContain("DESCRIPTION:第一行\\n第二行 \\\\ 反斜杠\\nhttps://");
    for (const line of ics.split("\r\n")) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    const long = icsFold(`DESCRIPTION:${"秒".repeat(60)}`);
    expect(long.split("\r\n").length).toBeGreaterThan(2);
    expect(long.replace(/\r\n /g, "")).toBe(`DESCRIPTION:${"秒".repeat(60)}`);
    expect(icsText("a,b;c\\d\ne")).toBe("a\\,b\\;c\\\\d\\ne");
    expect(icsTime(new Date("2026-01-02T03:04:05.678Z"))).toBe("20260102T030405Z");
  });
});
