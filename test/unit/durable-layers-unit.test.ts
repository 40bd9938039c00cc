import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(__dirname, "../..");
const durable = join(root, "worker/durable");
const specifiers = (file: string) =>
  [...readFileSync(file, "utf8").matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]!);

/** The .ts file a relative specifier names (null for packages and runtime modules). */
function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(from), spec);
  for (const f of [base, `${base}.ts`, join(base, "index.ts")]) if (existsSync(f) && f.endsWith(".ts")) return f;
  return null;
}

describe("Durable Objects do not import services", () => {
  const files = readdirSync(durable).filter((f) => f.endsWith(".ts")).map((f) => join(durable, f));

  it("no worker/durable/*.ts file imports ../services/", () => {
    const offending = files.flatMap((f) => specifiers(f).filter((s) => s.includes("../services/")).map((s) => `${relative(root, f)} → ${s}`));
    expect(offending).toEqual([]);
  });

  it("nor reaches one through the modules it imports (the chain is named)", () => {
    const seen = new Map<string, string[]>(files.map((f) => [f, [relative(root, f)]]));
    const todo = [...files];
    const reached: string[] = [];
    while (todo.length) {
      const file = todo.pop()!;
      for (const spec of specifiers(file)) {
        const next = resolveImport(file, spec);
        if (!next || seen.has(next)) continue;
        const chain = [...seen.get(file)!, relative(root, next)];
        seen.set(next, chain);
        if (next.startsWith(join(root, "worker/services"))) reached.push(chain.join(" → "));
        else todo.push(next);
      }
    }
    expect(reached).toEqual([]);
  });

  it("would notice one (the check reads real import lines)", () => {
    expect(specifiers(join(root, "worker/queue/claims.ts"))).toContain("../services/campaign-fulfilment");
  });
});
