// @ts-check
import { defineConfig } from "astro/config";
import { kaquanWidget } from "./site/widget/build.mjs";

// The storefront is static: built into dist/site, served by Workers Static Assets; data comes from /api/v1.
export default defineConfig({
  srcDir: "./site/src",
  publicDir: "./site/public",
  outDir: "./dist/site",
  output: "static",
  trailingSlash: "ignore",
  build: { format: "directory", inlineStylesheets: "always" },
  devToolbar: { enabled: false },
  telemetry: false,
  integrations: [kaquanWidget()],
});
