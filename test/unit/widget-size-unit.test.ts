import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module without types (the Astro integration that builds widget.js)
import { buildWidget } from "../../site/widget/build.mjs";

describe("widget.js", () => {
  it("stays within its 10 KB gzipped budget (README: it loads on brands' own pages)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kaquan-widget-"));
    try {
      await buildWidget(dir);
      const gz = gzipSync(readFileSync(join(dir, "widget.js"))).length;
      expect(gz).toBeLessThanOrEqual(10 * 1024);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
