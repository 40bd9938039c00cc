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
  // Phones in China browse in in-app browsers on old WebViews (WeChat, Alipay, the system browsers of Android 8–10
  // phones): Vite's default syntax target (Chrome 111, Safari 16.4) could leave syntax those cannot parse, and a page
  // whose script does not parse sells nothing. Chrome 91 / Safari 15 (iOS 15): top-level await and optional chaining
  // as engines of 2021 run them. test/unit/site-syntax-unit.test.ts checks the built scripts against this target.
  vite: { build: { target: ["chrome91", "safari15"] } },
});
