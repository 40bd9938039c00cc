import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureDevVars, loadDevVars, stateSecretsFile } from "../../scripts/lib/dev-vars";

/**
 * `KAQUAN_STATE_DIR` keeps the data away from the checkout, but the secrets that sealed it lived only in the checkout's
 * .dev.vars: a second checkout (a worktree, a fresh clone) or a `git clean -X` started on the same state made new ones,
 * and every card key the state held answered 500 (AES-GCM "Decryption failed") on the buyer's order and 我的卡券 pages.
 */
describe("npm start's secrets and the state they sealed", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "kq-devvars-state-"));

  it("a fresh checkout on an existing state takes the state's secrets instead of making new ones", () => {
    const state = dir();
    const first = ensureDevVars(join(dir(), ".dev.vars"), stateSecretsFile(state));
    expect(existsSync(stateSecretsFile(state))).toBe(true);
    // Another checkout, no .dev.vars yet, same KAQUAN_STATE_DIR.
    const other = join(dir(), ".dev.vars");
    const second = ensureDevVars(other, stateSecretsFile(state));
    expect(second.vars.CARD_KEY_ENCRYPTION_KEY).toBe(first.vars.CARD_KEY_ENCRYPTION_KEY);
    expect(second.vars.API_KEY_PEPPER).toBe(first.vars.API_KEY_PEPPER);
    expect(second.vars.SETTLEMENT_SIGNING_KEY).toBe(first.vars.SETTLEMENT_SIGNING_KEY);
    expect(second.restored).toContain("CARD_KEY_ENCRYPTION_KEY");
    expect(loadDevVars(other).CARD_KEY_ENCRYPTION_KEY).toBe(first.vars.CARD_KEY_ENCRYPTION_KEY);
  });

  it("a .dev.vars whose card-key secret differs from the state's is refused before anything starts", () => {
    const state = dir();
    const file = join(dir(), ".dev.vars");
    ensureDevVars(file, stateSecretsFile(state));
    writeFileSync(file, readFileSync(file, "utf8").replace(/^CARD_KEY_ENCRYPTION_KEY=.*$/m, 'CARD_KEY_ENCRYPTION_KEY="another"'));
    expect(() => ensureDevVars(file, stateSecretsFile(state))).toThrow(/CARD_KEY_ENCRYPTION_KEY/);
  });

  it("a state from before the copy adopts the checkout's secrets; a secret not bound to data may change", () => {
    const state = dir();
    const file = join(dir(), ".dev.vars");
    const made = ensureDevVars(file);
    rmSync(join(state, ".kaquan"), { recursive: true, force: true });
    const again = ensureDevVars(file, stateSecretsFile(state));
    expect(again.vars.CARD_KEY_ENCRYPTION_KEY).toBe(made.vars.CARD_KEY_ENCRYPTION_KEY);
    expect(JSON.parse(readFileSync(stateSecretsFile(state), "utf8")).CARD_KEY_ENCRYPTION_KEY).toBe(made.vars.CARD_KEY_ENCRYPTION_KEY);
    writeFileSync(file, readFileSync(file, "utf8").replace(/^PLATFORM_ADMIN_TOKEN=.*$/m, 'PLATFORM_ADMIN_TOKEN="rotated-token-value-0123456789"'));
    expect(ensureDevVars(file, stateSecretsFile(state)).vars.PLATFORM_ADMIN_TOKEN).toBe("rotated-token-value-0123456789");
    expect(JSON.parse(readFileSync(stateSecretsFile(state), "utf8")).PLATFORM_ADMIN_TOKEN).toBe("rotated-token-value-0123456789");
  });
});
