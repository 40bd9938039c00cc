/**
 * Applies schema/d1 to the local D1 database that `wrangler dev --persist-to <dir>` uses, through one Miniflare
 * (wrangler's own copy, the binding from wrangler.toml), in wrangler's own bookkeeping: the `d1_migrations` table with
 * the same columns, so `wrangler d1 migrations list|apply --local` agree with it afterwards.
 *
 * Why not `wrangler d1 migrations apply --local`: it starts a Miniflare per migration file (~0.6 s each here, 41 s
 * for 66 files on a quiet machine, minutes under load) and every `npm start` and test stack paid it. Deploys still
 * use wrangler against the real database (`--remote`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";

const req = createRequire(import.meta.url);
// wrangler's own copy (the top-level one belongs to the Workers test pool and may differ): same storage layout.
const { Miniflare, NoOpLog, convertV4MiniflareOptions } = req(req.resolve("miniflare", { paths: [req.resolve("wrangler")] })) as typeof import("miniflare") & {
  convertV4MiniflareOptions: (o: unknown) => ConstructorParameters<typeof import("miniflare").Miniflare>[0];
};

const MIGRATIONS_DIR = "schema/d1";
const TABLE = '"d1_migrations"';

/** Returns the names of the migrations it applied (none when the database is current). */
export async function applyLocalD1Migrations(persistTo: string): Promise<string[]> {
  // As wrangler's own local `d1 execute` opens it: same id, same persistence root, hence the same SQLite file.
  const quiet = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "warn"; // not "Using secrets defined in .dev.vars" in the middle of npm start's output
  let options;
  try {
    options = unstable_getMiniflareWorkerOptions("wrangler.toml");
  } finally {
    if (quiet === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = quiet;
  }
  const entry = Object.values(options.workerOptions.d1Databases ?? {})[0];
  const id = typeof entry === "string" ? entry : entry?.id;
  if (!id) throw new Error("wrangler.toml has no D1 database");
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: "",
      resourcePersistencePath: join(persistTo, "v3"),
      d1Databases: { DATABASE: id },
      log: new NoOpLog(),
    }),
  );
  try {
    const db = await mf.getD1Database("DATABASE");
    await db.prepare(
      `CREATE TABLE IF NOT EXISTS ${TABLE}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`,
    ).run();
    const { results } = await db.prepare(`SELECT name FROM ${TABLE}`).all<{ name: string }>();
    const done = new Set(results.map((r: { name: string }) => r.name));
    const applied: string[] = [];
    for (const name of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).sort()) {
      if (done.has(name)) continue;
      // One batch per file: its statements and its bookkeeping row commit together or not at all.
      const statements = unstable_splitSqlQuery(readFileSync(join(MIGRATIONS_DIR, name), "utf8")).map((sql) => db.prepare(sql));
      try {
        await db.batch([...statements, db.prepare(`INSERT INTO ${TABLE} (name) VALUES (?)`).bind(name)]);
      } catch (e) {
        throw new Error(`D1 migration ${name} failed: ${e instanceof Error ? e.message : e}`);
      }
      applied.push(name);
    }
    return applied;
  } finally {
    await mf.dispose();
  }
}
