/**
 * npm run api:client — refreshes the brands' typed client from the API's own OpenAPI document:
 *   1. runs the deployable worker bundle in workerd (Miniflare) and reads /api/v1/openapi.json;
 *   2. writes it to scripts/lib/api/openapi.json (committed; a worker test fails when it no longer matches the API);
 *   3. regenerates scripts/lib/api/openapi.d.ts from it (scripts/api-types.ts), the types behind scripts/lib/api/client.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundle, startWorkerd } from "../bench/lib/workerd-harness";
import { writeApiTypes } from "./api-types";

const dir = mkdtempSync(join(tmpdir(), "kaquan-api-client-"));
try {
  const harness = await startWorkerd(buildBundle(join(dir, "bundle")), join(dir, "state"), { ENVIRONMENT: "development" });
  try {
    const res = await fetch(`${harness.url}/api/v1/openapi.json`);
    if (!res.ok) throw new Error(`openapi.json: HTTP ${res.status}`);
    const doc = await res.json();
    writeFileSync("scripts/lib/api/openapi.json", `${JSON.stringify(doc, null, 2)}\n`);
    await writeApiTypes(doc);
    console.log(`scripts/lib/api/openapi.json: ${Object.keys((doc as { paths: object }).paths).length} paths; scripts/lib/api/openapi.d.ts written`);
  } finally {
    await harness.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
