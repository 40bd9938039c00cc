import { describe, expect, it } from "vitest";
import { csvField } from "../../worker/domain/csv";
import { parseCsv, toCsv } from "../../worker/domain/statement-csv";

describe("one CSV cell for every file kaquan writes", () => {
  it("quotes per RFC 4180 and writes typed formulas as text, leaving numbers alone", () => {
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('说"好"')).toBe('"说""好"""');
    expect(csvField(null)).toBe("");
    expect(csvField(-500)).toBe("-500");
    expect(csvField("-500")).toBe("-500");
    expect(csvField("+12.5")).toBe("+12.5");
    for (const f of ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "=HYPERLINK(\"http://x\")"]) expect(parseCsv(csvField(f))[0]![0]).toBe(`'${f}`);
    expect(csvField("普通文字")).toBe("普通文字");
  });

  it("a statement round-trips except for the neutralised cells", () => {
    const rows = [["ref", "cents", "note"], ["p_1", "-300", "=cmd|' /C calc'!A0"]];
    expect(parseCsv(toCsv(rows))).toEqual([["ref", "cents", "note"], ["p_1", "-300", "'=cmd|' /C calc'!A0"]]);
  });
});
