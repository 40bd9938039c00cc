import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Every .astro page under a folder. */
function pages(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? pages(join(dir, e.name)) : e.name.endsWith(".astro") ? [join(dir, e.name)] : [],
  );
}

/** The body of the function whose `{` opens at `open` (braces counted; the pages' scripts hold no brace in a string here). */
function bodyAt(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "{") depth++;
    else if (source[i] === "}" && --depth === 0) return source.slice(open + 1, i);
  }
  return source.slice(open + 1);
}

describe("console pages: a list's refresh function is not hidden by the list it loads", () => {
  it("no `async function plans() { const { plans } = …; … await plans() }`", () => {
    // `const { plans } = await api(…)` inside `plans()` hides the function: a button in the list that refreshes it with
    // `plans()` or `.then(plans)` threw "plans is not a function" (or did nothing), so the change was made on the
    // server and the page kept showing the old state and the old button (stored-value plans, complaints, webhooks).
    const found: string[] = [];
    for (const file of pages("site/src/pages")) {
      const source = readFileSync(file, "utf8");
      for (const m of source.matchAll(/async function (\w+)\s*\(\s*\)\s*\{/g)) {
        const name = m[1]!;
        const body = bodyAt(source, m.index! + m[0].length - 1);
        const hides = new RegExp(`(?:const|let)\\s*\\{[^}]*?(?<![:\\w])${name}\\b(?!\\s*:)[^}]*\\}\\s*=|(?:const|let)\\s+${name}\\s*=`).test(body);
        const refreshes = new RegExp(`(?<![.\\w])${name}\\s*\\(\\s*\\)|\\.then\\(\\s*${name}\\s*\\)`).test(body);
        if (hides && refreshes) found.push(`${file}: ${name}()`);
      }
    }
    expect(found).toEqual([]);
  });
});
