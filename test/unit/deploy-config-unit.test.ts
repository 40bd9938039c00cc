import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureDevVars, SECRET_NAMES } from "../../scripts/lib/dev-vars";
import { isPlaceholderSecret, missingSecrets, REQUIRED_SECRETS } from "../../worker/domain/deploy-config";

describe("deployable configuration", () => {
  it("wrangler.toml deploys as production; only .dev.vars (npm start) makes it development", () => {
    const toml = readFileSync("wrangler.toml", "utf8");
    const vars = toml.slice(toml.indexOf("[vars]"), toml.indexOf("\n[", toml.indexOf("[vars]") + 1));
    expect(vars).toMatch(/^ENVIRONMENT = "production"$/m);
    expect(toml.match(/^ENVIRONMENT\s*=/gm)).toHaveLength(1);

    const file = join(mkdtempSync(join(tmpdir(), "kq-devvars-")), ".dev.vars");
    const first = ensureDevVars(file);
    expect(first.vars.ENVIRONMENT).toBe("development");
    expect(readFileSync(file, "utf8")).toMatch(/^ENVIRONMENT="development"$/m);
    // An existing .dev.vars from before (secrets only) is completed, its secrets kept.
    writeFileSync(file, `API_KEY_PEPPER="kept"\n`);
    const again = ensureDevVars(file);
    expect(again.vars.API_KEY_PEPPER).toBe("kept");
    expect(again.created).toContain("ENVIRONMENT");
    expect(readFileSync(file, "utf8")).toMatch(/^ENVIRONMENT="development"$/m);
  });

  it("names the missing or placeholder secrets in production, none in development", () => {
    const real = Object.fromEntries(REQUIRED_SECRETS.map((n) => [n, crypto.randomUUID()]));
    expect(missingSecrets({ ENVIRONMENT: "production", ...real })).toEqual([]);
    expect(missingSecrets({ ENVIRONMENT: "development" })).toEqual([]);
    expect(missingSecrets({})).toEqual([...REQUIRED_SECRETS]);
    expect(missingSecrets({ ENVIRONMENT: "staging", ...real, API_KEY_PEPPER: "" })).toEqual(["API_KEY_PEPPER"]);
    for (const p of ["test-pepper", "changeme", "change-me-change-me-change-me", "xxxxxxxxxxxxxxxxxxxxxxxxxxxx", "your-secret-placeholder-value", "  short  "]) {
      expect(isPlaceholderSecret(p), p).toBe(true);
    }
    expect(isPlaceholderSecret("Zk3v9rQ0pWm2Lx7TnB4yHc8sDf1gJa6E")).toBe(false);
    // Every secret the local stack generates is one production checks (the sandbox payment secret aside).
    expect(SECRET_NAMES.filter((n) => n !== "PAYMENT_SANDBOX_SECRET")).toEqual([...REQUIRED_SECRETS]);
  });
});
