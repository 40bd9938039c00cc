import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SettlementEntry, SettlementStatement, SettlementStatementBody, SettlementTerms } from "../../schema/settlements";
import { checkStatement, computeLines, issuerShare, periodOf, previousPeriod, settlementSigner, statementCsvRows, statementPreimage } from "../../worker/domain/settlement";

const H = (n: number) => n.toString(16).padStart(64, "0");
const terms: SettlementTerms[] = [
  { agreementId: "sag_a", productId: "p_a", productName: "视频月卡", share: { kind: "bps", bps: 3000 }, effectiveFrom: "2026-01-01", effectiveTo: null },
  { agreementId: "sag_b", productId: "p_b", productName: "音乐季卡", share: { kind: "per_unit", unitCostCents: 700 }, effectiveFrom: "2026-01-01", effectiveTo: null },
];
const entry = (seq: number, kind: SettlementEntry["kind"], agreementId: string, units: number, amountCents: number): SettlementEntry => ({
  seq, hash: H(seq), kind, agreementId, productId: agreementId === "sag_a" ? "p_a" : "p_b", orderId: `o${seq}`, voucherId: `v${seq}`, occurredAt: "2026-03-02T01:00:00.000Z", units, amountCents,
});
const entries = [entry(3, "sale", "sag_a", 2, 3980), entry(5, "sale", "sag_b", 1, 1200), entry(8, "refund", "sag_a", 1, 1990), entry(9, "compensation", "sag_b", 0, 101), entry(11, "sale", "sag_a", 1, 1999)];

async function signed(): Promise<SettlementStatement> {
  const { lines, totals } = computeLines(terms, entries);
  const body: SettlementStatementBody = {
    format: "kaquan-settlement/1", statementId: "stl_1", currency: "CNY",
    seller: { tenantId: "t_seller", name: "卡盟" }, issuer: { kind: "tenant", id: "t_brand", name: "品牌" },
    period: periodOf("month", "2026-03-15"),
    ledger: { tenantId: "t_seller", afterSeq: 2, toSeq: 12, headHash: H(12) },
    agreements: terms, entries, lines, totals, closedAt: "2026-04-01T00:05:00.000Z",
  };
  const signer = await settlementSigner("unit-secret");
  return { ...body, signature: await signer.sign(body) };
}

describe("settlement periods (China time)", () => {
  it("months and Monday weeks start at 00:00 +08:00", () => {
    expect(periodOf("month", "2026-03-31")).toEqual({ kind: "month", start: "2026-03-01", end: "2026-04-01", fromUtc: "2026-02-28T16:00:00.000Z", toUtc: "2026-03-31T16:00:00.000Z" });
    expect(periodOf("week", "2026-12-02")).toMatchObject({ start: "2026-11-30", end: "2026-12-07" });
    expect(periodOf("week", "2026-11-30").start).toBe("2026-11-30");
    expect(periodOf("month", "2026-12-10").end).toBe("2027-01-01");
    // 2026-04-30T17:00Z is already 1 May in China: the month before it is April.
    expect(previousPeriod("month", new Date("2026-04-30T17:00:00Z")).start).toBe("2026-04-01");
    expect(previousPeriod("month", new Date("2026-04-30T15:00:00Z")).start).toBe("2026-03-01");
  });
});

describe("statement lines and totals", () => {
  it("per product: units, gross, refunds, compensations, net, issuer share and the seller's part, exact", () => {
    const { lines, totals } = computeLines(terms, entries);
    expect(lines[0]).toMatchObject({ units: 3, refundedUnits: 1, grossCents: 5979, refundCents: 1990, compensationCents: 0, netCents: 3989, issuerShareCents: 1197, sellerCents: 2792 });
    expect(lines[1]).toMatchObject({ units: 1, refundedUnits: 0, grossCents: 1200, compensationCents: 101, netCents: 1099, issuerShareCents: 700, sellerCents: 399 });
    expect(totals).toEqual({ units: 4, refundedUnits: 1, grossCents: 7179, refundCents: 1990, compensationCents: 101, netCents: 5088, issuerShareCents: 1897, sellerCents: 3191 });
  });

  it("a clawback (refunds of an earlier period's sale) rounds like the share it reverses", () => {
    expect(issuerShare({ kind: "bps", bps: 3000 }, { netCents: 5, units: 0, refundedUnits: 0 })).toBe(2);
    expect(issuerShare({ kind: "bps", bps: 3000 }, { netCents: -5, units: 0, refundedUnits: 0 })).toBe(-2);
    expect(issuerShare({ kind: "per_unit", unitCostCents: 700 }, { netCents: -1990, units: 0, refundedUnits: 1 })).toBe(-700);
  });
});

describe("signed canonical form", () => {
  it("the preimage sorts keys, so key order in the file does not matter; the signature verifies", async () => {
    const s = await signed();
    const { signature, ...body } = s;
    const shuffled = Object.fromEntries(Object.entries(body).reverse()) as SettlementStatementBody;
    expect(statementPreimage(shuffled)).toBe(statementPreimage(body));
    expect(signature.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(await checkStatement(s)).toEqual({ ok: true, problems: [] });
    expect((await checkStatement(s, { publicKey: signature.publicKey })).ok).toBe(true);
  });

  it("a changed line, entry or total fails with a message naming it; another key is refused", async () => {
    const s = await signed();
    const line = structuredClone(s);
    line.lines[0]!.issuerShareCents -= 100;
    const r1 = await checkStatement(line);
    expect(r1.ok).toBe(false);
    expect(r1.problems).toContain("signature does not match the statement: it was changed after kaquan signed it");
    expect(r1.problems).toContain("line 1 (视频月卡): issuerShareCents is 1097, the entries and the agreed share make 1197");
    const ent = structuredClone(s);
    ent.entries[0]!.amountCents = 1;
    expect((await checkStatement(ent)).problems.some((p) => p.startsWith("line 1 (视频月卡): grossCents is 5979"))).toBe(true);
    const tot = structuredClone(s);
    tot.totals.sellerCents += 1;
    expect((await checkStatement(tot)).problems).toContain("totals.sellerCents is 3192, the lines add up to 3191");
    const other = await settlementSigner("another-secret");
    expect((await checkStatement(s, { publicKey: other.publicKey })).problems[0]).toMatch(/^signed with key [0-9a-f]{16}, not the published key/);
  });

  it("CSV: header with period and ledger range, one row per line, totals", async () => {
    const rows = statementCsvRows(await signed());
    expect(rows[0]).toEqual(["statement", "stl_1", "period", "2026-03-01..2026-04-01", "ledger", "3..12", "head_hash", H(12)]);
    expect(rows[2]).toEqual(["sag_a", "p_a", "视频月卡", "3", "1", "5979", "1990", "0", "3989", "1197", "2792"]);
    expect(rows.at(-1)).toEqual(["TOTAL", "", "", "4", "1", "7179", "1990", "101", "5088", "1897", "3191"]);
  });
});

describe("scripts/verify-settlement", { timeout: 60_000 }, () => {
  const run = (...args: string[]) => {
    try {
      return { code: 0, out: execFileSync("node_modules/.bin/tsx", ["scripts/verify-settlement.ts", ...args], { encoding: "utf8" }) };
    } catch (e) {
      const err = e as { status: number; stdout: string; stderr: string };
      return { code: err.status, out: err.stdout, err: err.stderr };
    }
  };

  it("says in one line, with exit code 2, that a file cannot be read or is not JSON (no stack trace)", () => {
    const dir = mkdtempSync(join(tmpdir(), "settlement-"));
    writeFileSync(join(dir, "broken.json"), "{not json");
    const missing = run(join(dir, "missing.json"));
    expect([missing.code, missing.err?.trim()]).toEqual([2, `cannot read the statement ${join(dir, "missing.json")}: ENOENT`]);
    const broken = run(join(dir, "broken.json"));
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/^the statement \S+broken\.json is not JSON: /);
    expect(broken.err).not.toMatch(/\n\s+at /);
  });

  it("exits 0 for the signed file and 1, naming the line, for a tampered one", async () => {
    const s = await signed();
    const dir = mkdtempSync(join(tmpdir(), "settlement-"));
    writeFileSync(join(dir, "ok.json"), JSON.stringify(s));
    const ok = run(join(dir, "ok.json"), "--public-key", s.signature.publicKey);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("OK: signature valid, every line and total recomputed");
    s.lines[1]!.netCents = 2000;
    writeFileSync(join(dir, "bad.json"), JSON.stringify(s));
    const bad = run(join(dir, "bad.json"));
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("INVALID: signature does not match the statement");
    expect(bad.out).toContain("INVALID: line 2 (音乐季卡): netCents is 2000, the entries and the agreed share make 1099");
  });
});
