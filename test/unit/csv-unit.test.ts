import { describe, expect, it } from "vitest";
import type { ExportColumn } from "../../schema/exports";
import { csvField } from "../../worker/domain/csv";
import { exportEncoder } from "../../worker/domain/export-format";
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

describe("CSV files open right in Excel and WPS", () => {
  const bytes = (u: Uint8Array | null) => [...(u ?? new Uint8Array())];
  const BOM = [0xef, 0xbb, 0xbf];

  it("an export's csv-excel starts with the byte-order mark, and its times are China wall-clock times a spreadsheet reads; csv is for programs", () => {
    const columns: ExportColumn[] = [
      { name: "id", kind: "string" }, { name: "title", kind: "string" }, { name: "paidAt", kind: "time", nullable: true }, { name: "cents", kind: "int" },
    ];
    expect(bytes(exportEncoder("csv", columns).start()!).slice(0, 3)).not.toEqual(BOM);
    const csv = exportEncoder("csv-excel", columns);
    const head = csv.start()!;
    // Without the mark Excel on a Chinese Windows reads the file as GBK: 视频会员月卡 comes out as 瑙嗛浼氬憳鏈堝崱.
    expect(bytes(head).slice(0, 3)).toEqual(BOM);
    const body = new TextDecoder().decode(csv.page([
      { id: "ord_1", title: "视频会员月卡", paidAt: "2026-12-07T01:47:57.577Z", cents: 1990 },
      { id: "ord_2", title: "音乐季卡", paidAt: "2026-12-07T16:30:00.000Z", cents: 990 },
      { id: "ord_3", title: "未付", paidAt: null, cents: 0 },
    ])!);
    // 01:47 UTC is 09:47 in China; 16:30 UTC is already the next China day.
    expect(parseCsv(body)).toEqual([
      ["ord_1", "视频会员月卡", "2026-12-07 09:47:57.577", "1990"],
      ["ord_2", "音乐季卡", "2026-12-08 00:30:00.000", "990"],
      ["ord_3", "未付", "", "0"],
    ]);
    // Machines keep ISO UTC: NDJSON is unchanged.
    const nd = exportEncoder("ndjson", columns).page([{ id: "ord_1", title: "x", paidAt: "2026-12-07T01:47:57.577Z", cents: 1 }])!;
    expect(JSON.parse(new TextDecoder().decode(nd)).paidAt).toBe("2026-12-07T01:47:57.577Z");
  });

  it("every other file for people starts with the mark too; a gateway's own format does not", () => {
    expect(bytes(new TextEncoder().encode(toCsv([["门店", "金额"]]))).slice(0, 3)).toEqual(BOM);
    expect(toCsv([["a"]], "machine")).toBe("a\r\n");
  });
});
