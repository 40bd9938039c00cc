import { env } from "cloudflare:workers";

/**
 * The real env with its D1 binding counted: every statement's `meta.rows_read` (what D1 bills and what a statement
 * costs on the one database every buyer shares) is added up. `first()` is answered from `all()` to see its meta.
 */
export function countingEnv() {
  const tally = { read: 0, statements: 0 };
  const note = (meta: D1Meta | undefined) => {
    tally.read += meta?.rows_read ?? 0;
    tally.statements += 1;
  };
  const originals = new WeakMap<object, D1PreparedStatement>();
  const wrap = (s: D1PreparedStatement): D1PreparedStatement => {
    const p = new Proxy(s, {
      get(t, k) {
        if (k === "bind") return (...args: unknown[]) => wrap(t.bind(...args));
        if (k === "all" || k === "run") return async () => { const r = await t.all(); note(r.meta); return r; };
        if (k === "first") {
          return async (column?: string) => {
            const r = await t.all<Record<string, unknown>>();
            note(r.meta);
            const row = r.results[0] ?? null;
            return column ? (row?.[column] ?? null) : row;
          };
        }
        const v = Reflect.get(t, k);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    originals.set(p, s);
    return p;
  };
  const DB = new Proxy(env.DB, {
    get(t, k) {
      if (k === "prepare") return (sql: string) => wrap(t.prepare(sql));
      if (k === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          const out = await t.batch(stmts.map((s) => originals.get(s) ?? s));
          for (const r of out) note(r.meta);
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
