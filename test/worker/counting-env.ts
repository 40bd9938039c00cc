import { env } from "cloudflare:workers";

/**
 * The real env with its D1 binding counted: every statement's `meta.rows_read` (what D1 bills and what a statement
 * costs on the one database every buyer shares) is added up. `first()` is answered from `all()` to see its meta.
 */
export function countingEnv() {
  /** `bySql`: rows read and runs per statement text, to find the statement that reads too much. */
  const tally = { read: 0, statements: 0, bySql: new Map<string, { read: number; runs: number }>() };
  const note = (meta: D1Meta | undefined, sql: string) => {
    tally.read += meta?.rows_read ?? 0;
    tally.statements += 1;
    const one = tally.bySql.get(sql) ?? { read: 0, runs: 0 };
    one.read += meta?.rows_read ?? 0;
    one.runs += 1;
    tally.bySql.set(sql, one);
  };
  const originals = new WeakMap<object, { stmt: D1PreparedStatement; sql: string }>();
  const wrap = (s: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const p = new Proxy(s, {
      get(t, k) {
        if (k === "bind") return (...args: unknown[]) => wrap(t.bind(...args), sql);
        if (k === "all" || k === "run") return async () => { const r = await t.all(); note(r.meta, sql); return r; };
        if (k === "first") {
          return async (column?: string) => {
            const r = await t.all<Record<string, unknown>>();
            note(r.meta, sql);
            const row = r.results[0] ?? null;
            return column ? (row?.[column] ?? null) : row;
          };
        }
        const v = Reflect.get(t, k);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    originals.set(p, { stmt: s, sql });
    return p;
  };
  const DB = new Proxy(env.DB, {
    get(t, k) {
      if (k === "prepare") return (sql: string) => wrap(t.prepare(sql), sql);
      if (k === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          const out = await t.batch(stmts.map((s) => originals.get(s)?.stmt ?? s));
          out.forEach((r, i) => note(r.meta, originals.get(stmts[i]!)?.sql ?? "?"));
          return out;
        };
      }
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
  const counted = new Proxy(env, { get: (t, k) => (k === "DB" ? DB : Reflect.get(t, k)) }) as Env;
  return { env: counted, tally };
}
