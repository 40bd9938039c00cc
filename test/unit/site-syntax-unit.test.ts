import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * The built storefront's scripts parse and run in the old WebViews Chinese phones browse in (in-app browsers of
 * WeChat and Alipay, Android 8–10 system browsers: Chrome 91, Safari 15, the build target in astro.config.mjs): the
 * syntax needs nothing lowered for them (esbuild's output at that target is the same as without one), and no API they
 * lack is called. Reads dist/site, which `npm test` builds first.
 */
const OLD = ["chrome91", "safari15"];
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
const built = files("dist/site");
const scripts: [string, string][] = [
  ...built.filter((f) => f.endsWith(".js")).map((f): [string, string] => [f, readFileSync(f, "utf8")]),
  // Inline scripts (Astro inlines small ones), not JSON data blocks.
  ...built.filter((f) => f.endsWith(".html")).flatMap((f) =>
    [...readFileSync(f, "utf8").matchAll(/<script(?![^>]*type="application\/(?:ld\+)?json")[^>]*>([\s\S]*?)<\/script>/g)]
      .filter((m) => m[1]!.trim())
      .map((m, i): [string, string] => [`${f} #${i}`, m[1]!])),
];
const lowered = (code: string, target: string[] | string) => {
  try {
    return transformSync(code, { loader: "js", format: "esm", target }).code;
  } catch (e) {
    return `cannot be lowered: ${e instanceof Error ? e.message.split("\n")[1] : String(e)}`;
  }
};

describe("the storefront on old phones", () => {
  it("has built scripts to check", () => {
    expect(scripts.length).toBeGreaterThan(20);
  });

  it("uses no syntax that Chrome 91 or Safari 15 cannot parse", () => {
    const needLowering = scripts.filter(([, code]) => lowered(code, OLD) !== lowered(code, "esnext")).map(([f]) => f);
    expect(needLowering).toEqual([]);
  });

  it("calls no API they lack (crypto.randomUUID, Array#at)", () => {
    const calls = scripts.flatMap(([f, code]) => [...code.matchAll(/randomUUID|\.at\(-?\w/g)].map((m) => `${f}: ${m[0]}`));
    expect(calls).toEqual([]);
  });
});
