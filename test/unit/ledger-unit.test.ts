import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LedgerEntry, LedgerExport } from "../../schema/ledger";
import { canonicalJson, compareCheckpoints, GENESIS_HASH, merkleProof, merkleRoot, sealEntry, uncheckpointedMismatch, verifyChain, verifyMerkleProof, verifySegment } from "../../worker/domain/ledger";

async function chain(n: number, tenantId = "t1"): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  let head = { seq: 0, hash: GENESIS_HASH };
  for (let i = 0; i < n; i++) {
    const e = await sealEntry(tenantId, head, {
      kind: i % 3 === 0 ? "issuance" : i % 3 === 1 ? "delivery" : "redemption",
      subjectId: `v${i}`,
      publicCode: `code${i}`,
      batch: "b1",
      channel: "supplier-a",
      occurredAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
      payload: { store: i % 2 ? "s1" : null, amount: i },
      dedupeKey: `k${i}`,
    });
    out.push(e);
    head = { seq: e.seq, hash: e.hash };
  }
  return out;
}

describe("provenance ledger hashing", () => {
  it("encodes canonically whatever the key order", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe('{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
  });

  it("links every entry to the previous one and verifies an intact chain", async () => {
    const entries = await chain(10);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
    const r = await verifyChain("t1", entries, { head: { seq: 10, hash: entries[9]!.hash } });
    expect(r).toMatchObject({ ok: true, entries: 10, headSeq: 10, findings: [] });
  });

  it("locates an edited entry", async () => {
    const entries = await chain(10);
    entries[4] = { ...entries[4]!, payload: { ...entries[4]!.payload, amount: 999 } };
    const r = await verifyChain("t1", entries);
    expect(r.ok).toBe(false);
    expect(r.findings).toEqual([expect.objectContaining({ seq: 5, problem: "edited" })]);
  });

  it("locates an entry rewritten with a recomputed hash", async () => {
    const entries = await chain(10);
    const forged = await sealEntry("t1", { seq: 4, hash: entries[3]!.hash }, {
      kind: "redemption", subjectId: "v4", occurredAt: entries[4]!.occurredAt, dedupeKey: "x",
    });
    entries[4] = forged;
    const r = await verifyChain("t1", entries);
    expect(r.findings).toEqual([expect.objectContaining({ seq: 5, problem: "edited" })]);
  });

  it("locates deleted entries, including a deleted tail against the held head", async () => {
    const entries = await chain(10);
    const head = { seq: 10, hash: entries[9]!.hash };
    const gap = entries.filter((e) => e.seq !== 6 && e.seq !== 7);
    const r = await verifyChain("t1", gap, { head });
    expect(r.findings).toEqual([expect.objectContaining({ seq: 8, problem: "deleted", detail: expect.stringContaining("6..7") })]);
    const tail = await verifyChain("t1", entries.slice(0, 8), { head });
    expect(tail.findings).toEqual([expect.objectContaining({ seq: 10, problem: "truncated" })]);
  });

  it("locates reordered entries, whether the rows or their seq numbers were swapped", async () => {
    const entries = await chain(10);
    const rows = [...entries];
    [rows[3], rows[4]] = [rows[4]!, rows[3]!];
    const r = await verifyChain("t1", rows);
    expect(r.ok).toBe(false);
    expect(r.findings.some((f) => f.problem === "reordered")).toBe(true);
    const renumbered = entries.map((e) => (e.seq === 4 ? { ...e, seq: 5 } : e.seq === 5 ? { ...e, seq: 4 } : e)).sort((a, b) => a.seq - b.seq);
    const r2 = await verifyChain("t1", renumbered);
    expect(r2.findings).toEqual([
      expect.objectContaining({ seq: 4, problem: "reordered", detail: "this is entry 5, moved to seq 4" }),
      expect.objectContaining({ seq: 5, problem: "reordered", detail: "this is entry 4, moved to seq 5" }),
    ]);
  });

  it("catches a consistent rewrite of the chain through checkpoints", async () => {
    const entries = await chain(8);
    const cp = { seqFrom: 1, seqTo: 8, headHash: entries[7]!.hash, merkleRoot: await merkleRoot(entries.map((e) => e.hash)) };
    // Rebuild the chain from seq 3 with other content: internally consistent, but not what was published.
    const forged = entries.slice(0, 2);
    for (let i = 2; i < 8; i++) {
      const prev = forged[i - 1]!;
      forged.push(await sealEntry("t1", prev, { kind: "void", subjectId: `v${i}`, occurredAt: entries[i]!.occurredAt, dedupeKey: `f${i}` }));
    }
    expect((await verifyChain("t1", forged)).ok).toBe(true);
    const r = await verifyChain("t1", forged, { checkpoints: [cp] });
    expect(r.findings).toEqual([expect.objectContaining({ seq: 8, problem: "checkpoint_mismatch" })]);
  });

  it("proves inclusion of each entry in a Merkle root, for odd and even sizes", async () => {
    for (const n of [1, 2, 3, 5, 8, 13]) {
      const hashes = (await chain(n)).map((e) => e.hash);
      const root = await merkleRoot(hashes);
      for (let i = 0; i < n; i++) {
        const proof = await merkleProof(hashes, i);
        expect(await verifyMerkleProof(hashes[i]!, proof, root)).toBe(true);
        expect(await verifyMerkleProof(hashes[(i + 1) % n]!, proof, root)).toBe(n === 1);
      }
    }
  });
});

describe("scripts/verify-ledger", () => {
  const run = (file: string) => {
    try {
      return { code: 0, out: execFileSync("npx", ["tsx", "scripts/verify-ledger.ts", file], { encoding: "utf8" }) };
    } catch (e) {
      const err = e as { status: number; stdout: string };
      return { code: err.status, out: err.stdout };
    }
  };

  it("exits 0 for an intact export and 1, naming the seq, for a tampered one", async () => {
    const entries = await chain(6);
    const dir = mkdtempSync(join(tmpdir(), "ledger-"));
    const x: LedgerExport = {
      format: "kaquan-ledger/1",
      tenantId: "t1",
      exportedAt: new Date().toISOString(),
      head: { seq: 6, hash: entries[5]!.hash },
      entries,
      checkpoints: [],
    };
    writeFileSync(join(dir, "ok.json"), JSON.stringify(x));
    const ok = run(join(dir, "ok.json"));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("OK: the chain is intact");
    x.entries[2] = { ...x.entries[2]!, occurredAt: "2020-01-01T00:00:00.000Z" };
    writeFileSync(join(dir, "bad.json"), JSON.stringify(x));
    const bad = run(join(dir, "bad.json"));
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("TAMPERED seq 3: edited");
  }, 30_000);
});

describe("checking a stretch of the chain against the ledger object's copy", () => {
  it("verifies a segment from its anchor, names an edited entry, and fails a consistent rewrite on the root", async () => {
    const entries = await chain(8);
    const slice = entries.slice(3, 6); // seq 4..6
    const seg = { seqFrom: 4, seqTo: 6, prevHash: entries[2]!.hash, headHash: entries[5]!.hash, merkleRoot: await merkleRoot(slice.map((e) => e.hash)), createdAt: "x" };
    expect((await verifySegment("t1", slice, seg)).ok).toBe(true);
    const edited = slice.map((e) => (e.seq === 5 ? { ...e, kind: "void" as const } : e));
    expect((await verifySegment("t1", edited, seg)).findings).toEqual([expect.objectContaining({ seq: 5, problem: "edited" })]);
    // Re-sealed from seq 5 on: every hash and link is consistent, only the object's root and head disagree.
    const e5 = await sealEntry("t1", { seq: 4, hash: slice[0]!.hash }, { ...slice[1]!, kind: "void", dedupeKey: "k" });
    const e6 = await sealEntry("t1", { seq: 5, hash: e5.hash }, { ...slice[2]!, dedupeKey: "k" });
    const forged = [slice[0]!, e5, e6];
    expect((await verifySegment("t1", forged, seg)).findings).toEqual([expect.objectContaining({ seq: 6, problem: "checkpoint_mismatch" })]);
    expect((await verifySegment("t1", forged, { ...seg, merkleRoot: null })).findings).toEqual([expect.objectContaining({ seq: 6, problem: "head_mismatch" })]);
  });

  it("compares published checkpoints with the object's: replaced, missing and invented ones", () => {
    const cp = (seqFrom: number, seqTo: number, root: string) => ({ seqFrom, seqTo, headHash: "1".repeat(64), merkleRoot: root.repeat(64) });
    const own = [cp(1, 3, "a"), cp(4, 6, "b"), cp(7, 9, "c")];
    expect(compareCheckpoints(own, own)).toEqual([]);
    const f = compareCheckpoints(own, [cp(1, 3, "a"), cp(4, 6, "e"), cp(10, 12, "d")]);
    expect(f.map((x) => [x.seq, x.problem])).toEqual([
      [6, "checkpoint_mismatch"],
      [9, "checkpoint_mismatch"],
      [12, "checkpoint_mismatch"],
    ]);
    expect(f[0]!.detail).toContain("checkpoint 4..6 has Merkle root eeeeeeeeeeee");
    expect(f[1]!.detail).toContain("missing");
    expect(f[2]!.detail).toContain("never made");
  });
});

describe("before sealing a checkpoint (D6)", () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ seq: i + 1, prevHash: i === 0 ? GENESIS_HASH : `h${i}`, hash: `h${i + 1}` }));
  const none = { count: 0, maxSeq: null };
  const after = { seq: 0, hash: GENESIS_HASH };

  it("accepts an intact stretch, and nothing to seal", () => {
    expect(uncheckpointedMismatch(after, { seq: 4, hash: "h4" }, rows(4), none)).toBeNull();
    expect(uncheckpointedMismatch({ seq: 2, hash: "h2" }, { seq: 4, hash: "h4" }, rows(4).slice(2), none)).toBeNull();
    expect(uncheckpointedMismatch({ seq: 4, hash: "h4" }, { seq: 4, hash: "h4" }, [], { count: 3, maxSeq: 7 })).toBeNull();
    // Rows past the head alone (an append whose head was not saved) do not block the stretch under the head.
    expect(uncheckpointedMismatch(after, { seq: 4, hash: "h4" }, rows(4), { count: 1, maxSeq: 5 })).toBeNull();
  });

  it("names missing rows, broken links, a replaced head and rows past the head", () => {
    const r = rows(6);
    expect(uncheckpointedMismatch(after, { seq: 6, hash: "h6" }, r.filter((x) => x.seq !== 3), none)).toBe(
      "ledger rows 1..6 in D1 do not match the ledger object (head seq 6, h6…): D1 is missing seq 3",
    );
    const swapped = r.map((x) => (x.seq === 3 ? { ...r[3]!, seq: 3 } : x.seq === 4 ? { ...r[2]!, seq: 4 } : x));
    expect(uncheckpointedMismatch(after, { seq: 6, hash: "h6" }, swapped, none)).toContain("seq 3 does not continue from seq 2; seq 4 does not continue from seq 3");
    const m = uncheckpointedMismatch(after, { seq: 6, hash: "h6" }, [...r.slice(0, 5), { seq: 6, prevHash: "h5", hash: "x6" }], { count: 2, maxSeq: 8 });
    expect(m).toContain("D1's seq 6 has hash x6… where the ledger object's head is h6…");
    expect(m).toContain("D1 also holds 2 rows past the object's head (up to seq 8)");
  });
});
