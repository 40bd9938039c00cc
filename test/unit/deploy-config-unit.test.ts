import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureDevVars, SECRET_NAMES } from "../../scripts/lib/dev-vars";
import { parse } from "smol-toml";
import { type DeployConfig, deployConfigProblems, isPlaceholderSecret, missingSecrets, REQUIRED_SECRETS } from "../../worker/domain/deploy-config";

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

  it("npm run deploy refuses the committed wrangler.toml's development settings, and takes them once replaced", () => {
    const committed = parse(readFileSync("wrangler.toml", "utf8")) as DeployConfig;
    const problems = deployConfigProblems(committed);
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/WAREHOUSE_URL points at this machine.*127\.0\.0\.1/);
    expect(problems.join("\n")).toMatch(/CORS_ORIGINS allows local development origins \(http:\/\/127\.0\.0\.1:8787, http:\/\/localhost:8787\)/);
    expect(problems.join("\n")).toMatch(/placeholder database_id/);

    const deployable = {
      ...committed,
      vars: { ...committed.vars, WAREHOUSE_URL: "https://warehouse.brand.example", CORS_ORIGINS: "https://shop.brand.example" },
      d1_databases: [{ binding: "DB", database_id: "6f1c2d3e-4b5a-4c7d-9e8f-0a1b2c3d4e5f" }],
    };
    expect(deployConfigProblems(deployable)).toEqual([]);
    expect(deployConfigProblems({ ...deployable, vars: { ...deployable.vars, CORS_ORIGINS: " " } }).join()).toMatch(/CORS_ORIGINS is empty/);
    for (const [url, why] of [
      ["http://warehouse.brand.example", /not https/],
      ["https://10.0.0.5:8788", /private network/],
      ["https://192.168.1.20", /private network/],
      ["https://[::1]:8788", /this machine/],
      ["https://localhost", /this machine/],
      ["warehouse", /not a URL/],
      [undefined, /not a URL/],
    ] as const) {
      expect(deployConfigProblems({ ...deployable, vars: { ...deployable.vars, WAREHOUSE_URL: url } }).join(), String(url)).toMatch(why);
    }
    expect(deployConfigProblems({ ...deployable, vars: { ...deployable.vars, ENVIRONMENT: "development" } }).join()).toMatch(/only "production" deploys/);
  });

  it("the deploy guard exits 1 on the committed config and 0 with --warn (npm run deploy / deploy:check)", () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/deploy-guard.ts", ...args], { encoding: "utf8" });
    const refused = run();
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refusing to deploy wrangler\.toml/);
    const warned = run("--warn");
    expect(warned.status).toBe(0);
    expect(warned.stderr).toMatch(/would refuse/);
  });
});
