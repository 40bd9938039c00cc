import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { ApiClient } from "../../scripts/lib/http";
import { buyAsGuest } from "../../scripts/lib/seed-redemption";
import { demoKeys, startStack, type Stack } from "../../scripts/lib/stack";

const state = mkdtempSync(join(tmpdir(), "kaquan-ledger-e2e-"));
let stack: Stack | null = null;

afterAll(async () => {
  await stack?.stop();
  rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

function verifyFile(file: string): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync("node_modules/.bin/tsx", ["scripts/verify-ledger.ts", file], { encoding: "utf8" }) };
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return { code: err.status, out: err.stdout };
  }
}

/** The local D1 database file the running worker uses. */
function d1File(): string {
  const dir = join(state, ".wrangler/state/v3/d1/miniflare-D1DatabaseObject");
  const name = readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  return join(dir, name!);
}

describe("provenance ledger on the real stack", () => {
  it("verifies an export offline, then finds rows edited and deleted directly in the D1 file", async () => {
    stack ??= await startStack(state);
    const { tenantId, keys } = demoKeys(state);
    const admin = new ApiClient(stack.baseUrl, keys.admin);
    const { code } = JSON.parse(readFileSync(join(state, ".kaquan/demo-voucher.json"), "utf8")) as { code: string };
    const redeemed = await new ApiClient(stack.baseUrl, keys.redeemer).request("POST", "/redemptions", { code, orderAmountCents: 12000 }, { "idempotency-key": `e2e-${code}` });
    expect(redeemed.status).toBe(200);
    await admin.ok("POST", "/ledger/checkpoints");

    const exportTo = async (name: string) => {
      const file = join(state, name);
      writeFileSync(file, JSON.stringify(await admin.ok("GET", "/ledger/export")));
      return file;
    };
    const clean = verifyFile(await exportTo("clean.json"));
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toContain("OK: the chain is intact");

    const db = new DatabaseSync(d1File(), { timeout: 5_000 });
    const seqs = db.prepare("SELECT seq FROM ledger_entries WHERE tenant_id = ? ORDER BY seq").all(tenantId).map((r) => Number(r.seq));
    expect(seqs.length).toBeGreaterThanOrEqual(3);
    db.prepare("UPDATE ledger_entries SET occurred_at = '2020-01-01T00:00:00.000Z' WHERE tenant_id = ? AND seq = ?").run(tenantId, seqs[0]!);
    db.close();
    const edited = verifyFile(await exportTo("edited.json"));
    expect(edited.code).toBe(1);
    expect(edited.out).toContain(`TAMPERED seq ${seqs[0]}: edited`);

    const db2 = new DatabaseSync(d1File(), { timeout: 5_000 });
    db2.prepare("DELETE FROM ledger_entries WHERE tenant_id = ? AND seq = ?").run(tenantId, seqs[1]!);
    db2.close();
    const deleted = verifyFile(await exportTo("deleted.json"));
    expect(deleted.code).toBe(1);
    expect(deleted.out).toContain(`TAMPERED seq ${seqs[2]}: deleted`);
    expect((await admin.ok<{ ok: boolean }>("GET", "/ledger/verify")).ok).toBe(false);
  });

  it("public provenance says 'does not verify' for a redemption edited in the D1 file; /ledger/verify names a replaced checkpoint", async () => {
    stack ??= await startStack(state);
    const { tenantId, keys } = demoKeys(state);
    const admin = new ApiClient(stack.baseUrl, keys.admin);
    const { products } = await admin.ok<{ products: { id: string; kind: string; status: string }[] }>("GET", "/products");
    const coupon = products.find((p) => p.kind === "coupon" && p.status === "published")!;
    const code = (await buyAsGuest(stack.baseUrl, "demo", coupon.id))!;
    const redeemed = await new ApiClient(stack.baseUrl, keys.redeemer).request("POST", "/redemptions", { code, orderAmountCents: 12000 }, { "idempotency-key": `e2e-2-${code}` });
    expect(redeemed.status).toBe(200);
    const { checkpoint } = await admin.ok<{ checkpoint: { seqFrom: number; seqTo: number } }>("POST", "/ledger/checkpoints");
    const provenance = () => new ApiClient(stack!.baseUrl).ok<{ status: string; verification: { ok: boolean; findings: { seq: number; problem: string }[] } }>("GET", `/provenance/${code}`);
    expect(await provenance()).toMatchObject({ status: "redeemed", verification: { ok: true, findings: [] } });

    const db = new DatabaseSync(d1File(), { timeout: 5_000 });
    const { seq } = db.prepare("SELECT seq FROM ledger_entries WHERE tenant_id = ? AND public_code = ? AND kind = 'redemption'").get(tenantId, code) as { seq: number };
    db.prepare("UPDATE ledger_entries SET kind = 'delivery' WHERE tenant_id = ? AND seq = ?").run(tenantId, seq);
    db.prepare("UPDATE ledger_checkpoints SET merkle_root = ? WHERE tenant_id = ? AND seq_to = ?").run("cd".repeat(32), tenantId, checkpoint.seqTo);
    db.close();

    const p = await provenance();
    expect(p.status).toBe("issued");
    expect(p.verification.ok).toBe(false);
    expect(p.verification.findings).toEqual(
      expect.arrayContaining([{ seq, problem: "edited", detail: expect.any(String) }, expect.objectContaining({ seq: checkpoint.seqTo, problem: "checkpoint_mismatch" })]),
    );
    const v = await admin.ok<{ ok: boolean; findings: { seq: number; problem: string; detail: string }[] }>("GET", "/ledger/verify");
    expect(v.ok).toBe(false);
    expect(v.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ seq, problem: "edited" }),
        expect.objectContaining({ seq: checkpoint.seqTo, problem: "checkpoint_mismatch", detail: expect.stringContaining(`checkpoint ${checkpoint.seqFrom}..${checkpoint.seqTo} has Merkle root cdcdcdcdcdcd`) }),
      ]),
    );
  });
});
