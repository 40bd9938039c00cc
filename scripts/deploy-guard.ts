/**
 * npx tsx scripts/deploy-guard.ts [--warn] [--config wrangler.toml]
 *
 * Refuses a deploy (exit 1) while wrangler.toml still holds a development setting: the local warehouse address,
 * local CORS origins, the placeholder D1 id, a non-production ENVIRONMENT (worker/domain/deploy-config.ts).
 * `npm run deploy` runs it first; `npm run deploy:check` runs it with --warn (lists them, exits 0).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse } from "smol-toml";
import { type DeployConfig, deployConfigProblems } from "../worker/domain/deploy-config";

const { values } = parseArgs({ options: { warn: { type: "boolean", default: false }, config: { type: "string", default: "wrangler.toml" } } });
const problems = deployConfigProblems(parse(readFileSync(values.config!, "utf8")) as DeployConfig);
if (problems.length === 0) {
  console.log(`deploy guard: ${values.config} is a production configuration`);
} else {
  const head = values.warn ? `deploy guard: \`npm run deploy\` would refuse ${values.config}:` : `deploy guard: refusing to deploy ${values.config}:`;
  console.error([head, ...problems.map((p) => `  - ${p}`), "  (README → Deploy)"].join("\n"));
  if (!values.warn) process.exit(1);
}
