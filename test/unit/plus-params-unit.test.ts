import { describe, expect, it } from "vitest";
import { plusParams } from "../../worker/db/plus-params";

describe("plusParams (worker/db/plus-params.ts)", () => {
  it("puts + before every parameter, numbered ones too, and leaves one already there", () => {
    expect(plusParams("SELECT * FROM t WHERE a = ? AND b IN (?, ?) AND c = ?12 AND d = +? LIMIT ?")).toBe(
      "SELECT * FROM t WHERE a = +? AND b IN (+?, +?) AND c = +?12 AND d = +? LIMIT +?",
    );
    expect(plusParams("INSERT INTO t (a, b) VALUES (?,?)")).toBe("INSERT INTO t (a, b) VALUES (+?,+?)");
  });

  it("leaves string literals, quoted names and comments alone (a doubled quote stays inside its literal)", () => {
    const sql = `SELECT 'why?', 'it''s ?', "col?" FROM t -- what?\nWHERE x = ? /* ? */ AND y = json_extract(?, '$.a?')`;
    expect(plusParams(sql)).toBe(`SELECT 'why?', 'it''s ?', "col?" FROM t -- what?\nWHERE x = +? /* ? */ AND y = json_extract(+?, '$.a?')`);
  });

  it("is idempotent and gives the same string object for the same statement (the statement caches key on it)", () => {
    const once = plusParams("SELECT ? AS v");
    expect(plusParams(once)).toBe(once);
    expect(plusParams("SELECT ? AS v")).toBe(once);
    expect(plusParams("SELECT 1")).toBe("SELECT 1");
  });
});
