import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Issue 13 #12: the storefront works offline and in mainland China only if nothing in it loads from an outside host.
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
const OUTSIDE = /https?:\/\/(?!127\.0\.0\.1|localhost|www\.w3\.org\/)[A-Za-z0-9.-]+/g;

describe("no outside hosts", () => {
  it("site/ and the demo seed reference no outside URL", () => {
    const found = [...files("site"), "scripts/lib/seed-catalog.ts", "scripts/lib/seed-campaigns.ts"]
      .filter((f) => /\.(astro|ts|mjs|js|svg|css|html|json)$/.test(f))
      .flatMap((f) => [...readFileSync(f, "utf8").matchAll(OUTSIDE)].map((m) => `${f}: ${m[0]}`))
      .filter((hit) => !/\.example\b/.test(hit));
    expect(found).toEqual([]);
  });

  it("every demo image the seed names ships with the site", () => {
    const seed = readFileSync("scripts/lib/seed-catalog.ts", "utf8");
    const keys = [...seed.matchAll(/media\("(\w+)"\)/g)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThanOrEqual(6);
    for (const k of keys) expect(readFileSync(`site/public/demo/${k}.svg`, "utf8")).toContain("<svg");
  });
});
