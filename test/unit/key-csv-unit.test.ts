import { describe, expect, it } from "vitest";
import { errorsCsv, isPrintableKey, isRowError, KeyCsvReader, keyRowText } from "../../worker/domain/key-csv";

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

describe("key CSV: a broken or foreign file", () => {
  it("refuses a line whose quoted field is never closed instead of importing it with the comma", () => {
    // `"ABCD-1234,1` used to become the key `ABCD-1234,1` (reusable column empty): a key nobody meant.
    expect(readAll('key,reusable\n"ABCD-1234,1\n"AB""CD-5678",1\nEFGH-0000"')).toEqual([
      { line: 2, code: "invalid", message: 'a quoted field is not closed (a " without its closing ")' },
      { line: 3, secret: 'AB"CD-5678', reusable: true },
      { line: 4, code: "invalid", message: 'a quoted field is not closed (a " without its closing ")' },
    ]);
  });

  it("says a first line with unknown column names is not a header, besides the row rule it broke", () => {
    const [first, second] = readAll("name,price\nfoo,1");
    expect(first).toMatchObject({ line: 1, code: "invalid" });
    expect((first as { message: string }).message).toContain("the reusable column must be");
    expect((first as { message: string }).message).toContain("line 1 is no header either: name the key column key, card_key");
    // Later lines are plain rows: no header hint on them.
    expect(second).toEqual({ line: 2, code: "invalid", message: "a key must be 4-512 characters" });
  });

  it("words each invalid reason for the operator page in Chinese, the first-line hint included", () => {
    const rows = readAll('name,price\n"x\nab\nKEY-1,maybe').filter(isRowError);
    expect(rows.map((r) => keyRowText(r.message, "zh"))).toEqual([
      "可重复列只能填 1/0、true/false、yes/no 或 是/否（第 1 行也不是表头：键列须命名为 key、card_key、cardkey、secret、卡密、code）",
      "引号未闭合（有 \" 却没有配对的 \"）",
      "卡密须为 4–512 个字符",
      "可重复列只能填 1/0、true/false、yes/no 或 是/否",
    ]);
    expect(keyRowText("a key must be 4-512 printable characters", "zh")).toContain("可见字符");
    expect(keyRowText("something new", "zh")).toBe("something new");
    expect(keyRowText(rows[0]!.message, "en")).toBe(rows[0]!.message);
  });
});

describe("isPrintableKey", () => {
  it("refuses invisible, control, unpaired-surrogate and full-width characters; takes ordinary keys in any script", () => {
    for (const k of ["AB\u200bCD", "\ufeffABCD", "ABCD\u00ad", "AB\u202eCD", "ABCD\u007f", "ABCD\u0085", "AB\u0000CD", "ABCD\udc00", "ＡＢＣＤ", "ABCD\u00a0EF"]) expect(isPrintableKey(k), JSON.stringify(k)).toBe(false);
    for (const k of ["ABCD-1234", "ab cd+ef/gh=", "兑换码七七八八", "카드-1234", "key_with.dots~"]) expect(isPrintableKey(k), k).toBe(true);
  });
});
