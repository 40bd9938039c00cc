/**
 * Every bound parameter of a statement written as `+?` (unary plus: the same value, type and affinity; an index still
 * serves `col = +?`). Why: workerd's SQLite (3.54, under D1 and Durable Object storage) marks a statement to be
 * prepared again whenever a parameter that the query planner looked at — the right side of `=` or `IS`, a `LIMIT` —
 * gets a new value, and workerd clears a statement's bindings after every run. So nearly every statement was parsed
 * and planned again on every run: 6 % of workerd's CPU samples on the order path went to re-preparing, and workerd's
 * CPU per order fell ~10 % without it (bench/README.md, session 48). The planner does not look into `+?`. The D1
 * binding and the objects' SQL storage are wrapped once (`withPlusParams`, `plusParamsSql`), so statements are
 * written as usual.
 */

const MEMO_MAX = 4096;
const memo = new Map<string, string>();

/** `sql` with each `?` / `?NNN` outside string literals, quoted names and comments preceded by `+` (memoized). */
export function plusParams(sql: string): string {
  const known = memo.get(sql);
  if (known !== undefined) return known;
  let out = "";
  let from = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === "`") {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end; // a doubled quote ('') re-enters here and closes at once: the same literal
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "?" && sql[i - 1] !== "+") {
      out += `${sql.slice(from, i)}+`;
      from = i;
    }
  }
  out += sql.slice(from);
  if (memo.size >= MEMO_MAX) memo.clear(); // statements are few; only id lists of many lengths would grow it
  memo.set(sql, out);
  return out;
}

/** The D1 binding with every statement it prepares rewritten by plusParams (sessions are passed through as they are). */
class PlusParamsD1 implements D1Database {
  constructor(private readonly db: D1Database) {}
  prepare(query: string): D1PreparedStatement {
    return this.db.prepare(plusParams(query));
  }
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    return this.db.batch<T>(statements);
  }
  exec(query: string): Promise<D1ExecResult> {
    return this.db.exec(query);
  }
  withSession(constraintOrBookmark?: D1SessionBookmark | D1SessionConstraint): D1DatabaseSession {
    return this.db.withSession(constraintOrBookmark);
  }
  dump(): Promise<ArrayBuffer> {
    return this.db.dump();
  }
}

const envs = new WeakMap<object, object>();

/** The env with its D1 binding wrapped (one wrapper per env object; every other binding is the env's own). */
export function withPlusParams<E extends { DB: D1Database }>(env: E): E {
  let wrapped = envs.get(env) as E | undefined;
  if (!wrapped) {
    wrapped = Object.create(env, { DB: { value: new PlusParamsD1(env.DB), enumerable: true } }) as E;
    envs.set(env, wrapped);
  }
  return wrapped;
}

const storages = new WeakMap<SqlStorage, SqlStorage>();

/** A Durable Object's SQL storage whose `exec` rewrites its statement by plusParams (everything else as it is). */
export function plusParamsSql(sql: SqlStorage): SqlStorage {
  let wrapped = storages.get(sql);
  if (!wrapped) {
    const exec = ((query: string, ...bindings: SqlStorageValue[]) => sql.exec(plusParams(query), ...bindings)) as SqlStorage["exec"];
    wrapped = new Proxy(sql, { get: (target, key) => (key === "exec" ? exec : Reflect.get(target, key)) });
    storages.set(sql, wrapped);
  }
  return wrapped;
}
