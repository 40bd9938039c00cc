import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { withPlusParams } from "../../worker/db/plus-params";

/**
 * The D1 binding every request uses rewrites `?` to `+?` (worker/db/plus-params.ts). Unary plus must change nothing a
 * statement answers: the same values and types back, the same comparisons under column affinity, the same limits.
 */
describe("parameters behind unary plus, on real D1", () => {
  const db = withPlusParams(env).DB;

  it("hands every value back as it was bound (integer, real, text, null, blob)", async () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    const read = (d: D1Database) =>
      d.prepare("SELECT ? AS i, ? AS r, ? AS t, ? AS n, ? AS b, typeof(?) AS tn, typeof(?) AS tt, typeof(?) AS tb")
        .bind(42, 2.5, "0042", null, bytes.buffer, 7, "7", bytes.buffer)
        .first<{ i: number; r: number; t: string; n: null; b: number[]; tn: string; tt: string; tb: string }>();
    const row = await read(db);
    expect(row).toEqual(await read(env.DB));
    // D1 binds a JS number as a REAL; the text and the blob keep their types.
    expect(row).toMatchObject({ i: 42, r: 2.5, t: "0042", n: null, tn: "real", tt: "text", tb: "blob" });
    expect(Array.from(row!.b)).toEqual([0, 1, 254, 255]);
  });

  it("compares under the column's affinity as before, limits and IN lists included", async () => {
    await env.DB.batch([
      env.DB.prepare("CREATE TABLE IF NOT EXISTS plus_probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, s TEXT NOT NULL)"),
      env.DB.prepare("DELETE FROM plus_probe"),
      env.DB.prepare("INSERT INTO plus_probe (id, n, s) VALUES (1, 5, '5'), (2, 6, '06'), (3, 7, 'x')"),
    ]);
    const both = async (sql: string, ...args: unknown[]) => {
      const plain = await env.DB.prepare(sql).bind(...args).all();
      const plus = await db.prepare(sql).bind(...args).all();
      expect(plus.results).toEqual(plain.results);
      return plus.results;
    };
    // The text "5" against an INTEGER column is compared as the number 5 (the column's affinity); a number against a
    // TEXT column as its text (D1 binds 5 as the REAL 5.0, so '5.0': no row either way).
    expect(await both("SELECT id FROM plus_probe WHERE n = ?", "5")).toEqual([{ id: 1 }]);
    expect(await both("SELECT id FROM plus_probe WHERE n = ?", 6)).toEqual([{ id: 2 }]);
    expect(await both("SELECT id FROM plus_probe WHERE s = ?", "5")).toEqual([{ id: 1 }]);
    expect(await both("SELECT id FROM plus_probe WHERE s = ?", 5)).toEqual([]);
    expect(await both("SELECT id FROM plus_probe WHERE n IN (?, ?) ORDER BY id LIMIT ?", 6, 7, 1)).toEqual([{ id: 2 }]);
    expect(await both("SELECT id FROM plus_probe WHERE s IS ?2 OR n = ?1 ORDER BY id", 7, "x")).toEqual([{ id: 3 }]);
    const updated = await db.prepare("UPDATE plus_probe SET s = ? WHERE id = ? RETURNING s").bind("y", 3).first<{ s: string }>();
    expect(updated).toEqual({ s: "y" });
  });

  it("keeps a lookup on its index", async () => {
    const plan = async (d: D1Database) =>
      (await d.prepare("EXPLAIN QUERY PLAN SELECT * FROM orders WHERE tenant_id = ? AND idempotency_key = ?").bind("t", "k").all<{ detail: string }>()).results
        .map((r) => r.detail);
    const plus = await plan(db);
    expect(plus).toEqual(await plan(env.DB));
    expect(plus.join(" ")).toMatch(/SEARCH orders USING (COVERING )?INDEX/);
  });
});
