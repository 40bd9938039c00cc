import { describe, expect, it } from "vitest";
import { errorsCsv, isRowError, KeyCsvReader } from "../../worker/domain/key-csv";

// One parser for `npm run import:keys` and the operator page: same rows, same line numbers, same error file.
const readAll = (text: string, reusable = false) => {
  const reader = new KeyCsvReader(reusable);
  return text.split(/\r?\n/).map((raw, i) => reader.read(raw, i + 1)).filter((r) => r !== null);
};

describe("key CSV", () => {
  it("numbers rows by their line in the file, header included, and refuses a short key on its own line", () => {
    const rows = readAll("\uFEFF卡密,reusable\nKEY-0001,0\nabc\n\n\"KEY,0004\",yes\r\nKEY-0005");
    expect(rows).toEqual([
      { line: 2, secret: "KEY-0001", reusable: false },
      { line: 3, code: "invalid", message: "a key must be 4-512 characters" },
      { line: 5, secret: "KEY,0004", reusable: true },
      { line: 6, secret: "KEY-0005", reusable: false },
    ]);
    expect(errorsCsv(rows.filter(isRowError))).toBe("line,code,message\n3,invalid,a key must be 4-512 characters\n");
  });

  it("reads a file without a header: first column the key, second the reusable flag", () => {
    expect(readAll("KEY-0001,loop\nKEY-0002")).toEqual([
      { line: 1, secret: "KEY-0001", reusable: true },
      { line: 2, secret: "KEY-0002", reusable: false },
    ]);
    expect(readAll("KEY-0001", true)).toEqual([{ line: 1, secret: "KEY-0001", reusable: true }]);
    // The flag counts on any line, not only when the first has one; a value that is neither yes nor no is that
    // line's error rather than a silent "no".
    expect(readAll("KEY-0001\nKEY-0100,reusable\nKEY-0101,maybe\nKEY-0102,否")).toEqual([
      { line: 1, secret: "KEY-0001", reusable: false },
      { line: 2, secret: "KEY-0100", reusable: true },
      { line: 3, code: "invalid", message: expect.stringContaining("reusable") },
      { line: 4, secret: "KEY-0102", reusable: false },
    ]);
  });
});
