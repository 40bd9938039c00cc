import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The worker's layers (worker/README.md): routes parse → call a service → answer; all SQL lives in worker/db/;
 * services do not import middleware; Durable Objects do not import services. Read from the source files, so a new
 * file that breaks a layer fails here.
 */
const ROOT = join(__dirname, "../../worker");
const files = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
const source = (f: string) => readFileSync(join(ROOT, f), "utf8");
const importsFrom = (f: string, target: RegExp) =>
  [...source(f).matchAll(/\bfrom\s+["']([^"']+)["']/g)].map((m) => m[1]!).filter((spec) => target.test(spec));
const offenders = (dir: string, target: RegExp) => files(dir).filter((f) => importsFrom(f, target).length > 0).sort();

describe("worker layers", () => {
  it("SQL statements (prepare) live only in worker/db/ (Durable Objects use their own storage's sql.exec)", () => {
    const outside = files(".").filter((f) => !f.startsWith("db/") && !f.startsWith("durable/") && /\.prepare\(/.test(source(f)));
    expect(outside).toEqual([]);
  });

  it("routes do not import worker/db/ (they call services)", () => {
    expect(offenders("routes", /^\.\.\/db\//)).toEqual([]);
  });

  it("services import no routes (routes call services, never the other way round)", () => {
    expect(offenders("services", /^\.\.\/routes\//)).toEqual([]);
  });

  it("routes/analytics.ts reads names through a service", () => {
    expect(importsFrom("routes/analytics.ts", /\/db\//)).toEqual([]);
  });

  it("services do not import middleware", () => {
    expect(offenders("services", /^\.\.\/middleware\//)).toEqual([]);
  });

  it("Durable Objects do not import services (durable-layers-unit also follows the chain of imports)", () => {
    expect(offenders("durable", /^\.\.\/services\//)).toEqual([]);
  });

  it("one module builds the error body (schema/errors.ts errorBody): no other file writes `error: { code`", () => {
    // A literal `{ error: { code: …` with a value (a type annotation `code: string` is not a body).
    const builders = files(".").filter((f) => /\berror:\s*\{\s*code(\s*,|:\s*(?!\s)(?!string\b))/.test(source(f)));
    expect(builders.map((f) => relative(".", f))).toEqual([]);
  });
});
