// Bundles site/widget/widget.ts into <outDir>/widget.js: one IIFE for the phones' old in-app browsers (Chrome 91,
// Safari 15: the site's target, astro.config.mjs), where private fields need no down-levelling.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export async function buildWidget(outDir) {
  await build({
    entryPoints: [fileURLToPath(new URL("./widget.ts", import.meta.url))],
    outfile: `${outDir.replace(/\/$/, "")}/widget.js`,
    bundle: true,
    minify: true,
    format: "iife",
    target: ["chrome91", "safari15"],
    legalComments: "none",
  });
}

/** Astro integration: the widget is built with the site, so `astro build` (and `npm start`) ship it. */
export function kaquanWidget() {
  return {
    name: "kaquan-widget",
    hooks: {
      "astro:build:done": async ({ dir }) => buildWidget(fileURLToPath(dir)),
    },
  };
}
