import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { LedgerEntry, LedgerEntryDraft, LedgerExport } from "../../schema/ledger";
import { entryHash, merkleRoot, verifyChain } from "../../worker/domain/ledger";
import { listCheckpoints, listEntries } from "../../worker/db/ledger";
import { appendLedger } from "../../worker/services/ledger";
import { api, createTenant } from "./helpers";

// Tampering is done the way an attacker with D1 access would: straight on the D1 rows, never through the ledger object.

const code = () => `vc_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`;
const issuance = (i: number, publicCode = code()): LedgerEntryDraft => ({
  kind: "issuance",
  subjectId: `vch_${i}`,
  publicCode,
  batch: "batch-1",
  channel: "supplier-a",
  occurredAt: new Date().toISOString(),
  payload: { productId: "p1" },
  dedupeKey: `issuance:vch_${i}`,
});
const redemption = (d: LedgerEntryDraft): LedgerEntryDraft => ({
  kind: "redemption",
  subjectId: d.subjectId,
  publicCode: d.publicCode,
  occurredAt: new Date().toISOString(),
  payload: { storeId: "st_1" },
  dedupeKey: `redemption:${d.subjectId}`,
});

/** Issues a voucher among others, checkpoints, redeems it among others, checkpoints again. */
async function redeemedVoucher() {
  const { tenant, adminKey } = await createTenant("Verify Brand");
  const v = issuance(1);
  await appendLedger(env, tenant.id, [issuance(0), v, issuance(2)]);
  await api("/ledger/checkpoints", { method: "POST", token: adminKey });
  const [red] = await appendLedger(env, tenant.id, [issuance(3), redemption(v), issuance(4), issuance(5)]).then((r) => r.slice(1, 2));
  const cp = await api("/ledger/checkpoints", { method: "POST", token: adminKey });
  expect(cp.body.checkpoint).toMatchObject({ seqFrom: 4, seqTo: 7 });
  return { tenantId: tenant.id as string, adminKey, publicCode: v.publicCode!, redSeq: red!.seq };
}

/** Writes a ledger row straight into D1, as someone with database access would (the object never sees it). */
async function plantRow(tenantId: string, e: LedgerEntry, dedupeKey: string) {
  await env.DB
    .prepare("INSERT INTO ledger_entries (tenant_id, seq, kind, subject_id, public_code, batch, channel, occurred_at, payload, prev_hash, hash, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(tenantId, e.seq, e.kind, e.subjectId, e.publicCode, e.batch, e.channel, e.occurredAt, JSON.stringify(e.payload), e.prevHash, e.hash, dedupeKey)
    .run();
}

// Generous: the machine is shared and these hash whole stretches of the chain.
describe("public provenance checks what it shows against the ledger object", { timeout: 60_000 }, () => {
  it("verifies an untouched voucher against the object's checkpoints and head", async () => {
    const { tenantId, publicCode, adminKey } = await redeemedVoucher();
    // One more entry after the last checkpoint: the tail is checked against the object's head.
    const late = issuance(9);
    await appendLedger(env, tenantId, [late]);
    const p = await api(`/provenance/${publicCode}`);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ status: "redeemed", verification: { ok: true, findings: [], checkpointsChecked: 2, entriesChecked: 7 } });
    expect(p.body.history.map((h: { verified: boolean }) => h.verified)).toEqual([true, true]);
    const tail = await api(`/provenance/${late.publicCode}`);
    expect(tail.body.verification).toMatchObject({ ok: true, checkpointsChecked: 0, entriesChecked: 1 });
    expect(tail.body.history[0]).toMatchObject({ verified: true, proof: null });
    expect((await api("/ledger/verify", { token: adminKey })).body).toMatchObject({ ok: true, findings: [] });
  });

  it("(a) says 'does not verify' and names the entry when a redemption's kind is edited in D1, hash untouched", async () => {
    const { tenantId, publicCode, redSeq } = await redeemedVoucher();
    await env.DB.prepare("UPDATE ledger_entries SET kind = 'delivery' WHERE tenant_id = ? AND seq = ?").bind(tenantId, redSeq).run();
    const p = await api(`/provenance/${publicCode}`);
    expect(p.status).toBe(200);
    // The forged row would show the voucher as never redeemed; the view now says it cannot be trusted, and where.
    expect(p.body.status).toBe("issued");
    expect(p.body.verification.ok).toBe(false);
    expect(p.body.verification.findings).toEqual([expect.objectContaining({ seq: redSeq, problem: "edited" })]);
    expect(p.body.history).toEqual([
      expect.objectContaining({ kind: "issuance", verified: true }),
      expect.objectContaining({ seq: redSeq, kind: "delivery", verified: false }),
    ]);

    // The same edit on an entry no checkpoint covers yet is caught too (hash recomputed, chain up to the object's head).
    const late = issuance(9);
    const [lateEntry] = await appendLedger(env, tenantId, [late]);
    await env.DB.prepare("UPDATE ledger_entries SET batch = 'forged-batch' WHERE tenant_id = ? AND seq = ?").bind(tenantId, lateEntry!.seq).run();
    const tail = await api(`/provenance/${late.publicCode}`);
    expect(tail.body.batch).toBe("forged-batch");
    expect(tail.body.verification.ok).toBe(false);
    expect(tail.body.verification.findings).toEqual([expect.objectContaining({ seq: lateEntry!.seq, problem: "edited" })]);
  });

  it("(d) does not verify a voucher whose latest step was deleted from D1 or moved to another code, in a stretch of its own", async () => {
    // The issuance is in checkpoint 1..3, the redemption alone in 4..7: D1's rows for the code name only the first.
    const { tenantId, publicCode, redSeq } = await redeemedVoucher();
    await env.DB.prepare("DELETE FROM ledger_entries WHERE tenant_id = ? AND seq = ?").bind(tenantId, redSeq).run();
    const p = await api(`/provenance/${publicCode}`);
    expect(p.status).toBe(200);
    expect(p.body.verification.ok).toBe(false);
    expect(p.body.verification.findings).toEqual(expect.arrayContaining([expect.objectContaining({ seq: redSeq, problem: "deleted" })]));

    const other = await redeemedVoucher();
    await env.DB.prepare("UPDATE ledger_entries SET public_code = ? WHERE tenant_id = ? AND seq = ?").bind(code(), other.tenantId, other.redSeq).run();
    const q = await api(`/provenance/${other.publicCode}`);
    expect(q.body.status).toBe("issued");
    expect(q.body.verification.ok).toBe(false);
    expect(q.body.verification.findings).toEqual(expect.arrayContaining([expect.objectContaining({ seq: other.redSeq })]));
  });

  it("(b) catches a consistent forgery (re-hashed, re-chained, D1 checkpoints recomputed) by the object's own checkpoints", async () => {
    const { tenantId, publicCode, redSeq, adminKey } = await redeemedVoucher();
    const db = env.DB;
    // Rewrite the redemption as a delivery and re-seal every later entry so each hash and link checks out.
    const rows = await listEntries(db, tenantId);
    let prevHash = rows[redSeq - 2]!.hash;
    for (const row of rows.slice(redSeq - 1)) {
      const forged = { ...row, kind: row.seq === redSeq ? ("delivery" as const) : row.kind, prevHash };
      forged.hash = await entryHash(forged);
      await db.prepare("UPDATE ledger_entries SET kind = ?, prev_hash = ?, hash = ? WHERE tenant_id = ? AND seq = ?").bind(forged.kind, forged.prevHash, forged.hash, tenantId, row.seq).run();
      prevHash = forged.hash;
    }
    const forgedRows = await listEntries(db, tenantId);
    for (const cp of await listCheckpoints(db, tenantId)) {
      const slice = forgedRows.filter((e) => e.seq >= cp.seqFrom && e.seq <= cp.seqTo);
      await db
        .prepare("UPDATE ledger_checkpoints SET merkle_root = ?, head_hash = ? WHERE tenant_id = ? AND seq_to = ?")
        .bind(await merkleRoot(slice.map((e) => e.hash)), slice[slice.length - 1]!.hash, tenantId, cp.seqTo)
        .run();
    }
    // Against D1 alone the forgery is flawless.
    expect((await verifyChain(tenantId, forgedRows, { checkpoints: await listCheckpoints(db, tenantId) })).ok).toBe(true);

    const p = await api(`/provenance/${publicCode}`);
    expect(p.body.status).toBe("issued");
    expect(p.body.verification.ok).toBe(false);
    expect(p.body.verification.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ seq: 7, problem: "checkpoint_mismatch", detail: expect.stringContaining("4..7") }),
      ]),
    );
    expect(p.body.history.find((h: { seq: number }) => h.seq === redSeq)).toMatchObject({ verified: false });
    // The proof offered is against the object's root, so it fails in the browser too.
    const red = p.body.history.find((h: { seq: number }) => h.seq === redSeq);
    expect(red.proof?.checkpoint.merkleRoot ?? null).not.toBe((await listCheckpoints(db, tenantId))[1]!.merkleRoot);

    const server = await api("/ledger/verify", { token: adminKey });
    expect(server.body.ok).toBe(false);
  });

  it("(c) /ledger/verify names a checkpoint whose root was replaced in D1, and the public view stops verifying", async () => {
    const { tenantId, publicCode, adminKey } = await redeemedVoucher();
    const clean = await api("/ledger/verify", { token: adminKey });
    expect(clean.body).toMatchObject({ ok: true, findings: [] });
    // The rows are untouched; only the published root changes.
    await env.DB.prepare("UPDATE ledger_checkpoints SET merkle_root = ? WHERE tenant_id = ? AND seq_to = 3").bind("ab".repeat(32), tenantId).run();
    const r = await api("/ledger/verify", { token: adminKey });
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(false);
    expect(r.body.findings).toEqual([
      expect.objectContaining({ seq: 3, problem: "checkpoint_mismatch", detail: expect.stringMatching(/checkpoint 1\.\.3 has Merkle root abababababab/) }),
    ]);
    const p = await api(`/provenance/${publicCode}`);
    expect(p.body.verification.ok).toBe(false);
    expect(p.body.verification.findings).toEqual([expect.objectContaining({ seq: 3, problem: "checkpoint_mismatch" })]);
    expect(p.body.history[0]).toMatchObject({ kind: "issuance", verified: false });
    expect(p.body.history[1]).toMatchObject({ kind: "redemption", verified: true });
  });

  it("(e) rows planted in D1 past the object's head, correctly chained, are never adopted: set aside, the chain goes on from the object's head", async () => {
    const { tenantId, adminKey } = await redeemedVoucher();
    const db = env.DB;
    // Three made-up steps of a voucher that never existed, sealed and chained after the real head (seq 7).
    const fake = code();
    const [head] = (await listEntries(db, tenantId)).slice(-1);
    let prev = head!;
    for (const [i, kind] of (["issuance", "delivery", "redemption"] as const).entries()) {
      const e = { ...prev, seq: prev.seq + 1, kind, subjectId: "vch_fake", publicCode: fake, payload: { productId: "p1" }, prevHash: prev.hash, occurredAt: new Date().toISOString() };
      e.hash = await entryHash(e);
      await plantRow(tenantId, e, `fake:${i}`);
      prev = e;
    }
    // Before the next append the planted rows are already not the object's: they do not verify.
    expect((await api(`/provenance/${fake}`)).body.verification.ok).toBe(false);

    // A real append: it takes seq 8 from the object's head, not from the planted row.
    const real = issuance(10);
    const [written] = await appendLedger(env, tenantId, [real]);
    expect(written).toMatchObject({ seq: 8, prevHash: head!.hash });
    expect((await listEntries(db, tenantId)).map((e) => e.subjectId)).not.toContain("vch_fake");
    const set = await db.prepare("SELECT seq, kind, object_head_seq FROM ledger_quarantine WHERE tenant_id = ? ORDER BY seq").bind(tenantId).all();
    expect(set.results).toEqual([8, 9, 10].map((seq, i) => ({ seq, kind: ["issuance", "delivery", "redemption"][i], object_head_seq: 7 })));

    // Nothing of it is served or sealed; the operator's check names what was set aside.
    expect((await api(`/provenance/${fake}`)).status).toBe(404);
    expect((await api(`/provenance/${real.publicCode}`)).body.verification).toMatchObject({ ok: true });
    const cp = await api("/ledger/checkpoints", { method: "POST", token: adminKey });
    expect(cp.body.checkpoint).toMatchObject({ seqFrom: 8, seqTo: 8, headHash: written!.hash });
    const verify = (await api("/ledger/verify", { token: adminKey })).body;
    expect(verify.ok).toBe(false);
    expect(verify.findings.map((f: { seq: number; problem: string }) => [f.seq, f.problem])).toEqual([[8, "quarantined"], [9, "quarantined"], [10, "quarantined"]]);
  });

  it("(f) the head removed from the object's own storage (its checkpoints and code index kept) does not make rows planted in D1 its own", async () => {
    const { tenantId, adminKey } = await redeemedVoucher();
    const db = env.DB;
    // One real entry past the last checkpoint (seq 8), then two made-up steps of a voucher that never existed, chained after it.
    const tail = issuance(8);
    const [tailEntry] = await appendLedger(env, tenantId, [tail]);
    const fake = code();
    let prev = tailEntry!;
    for (const [i, kind] of (["issuance", "delivery"] as const).entries()) {
      const e = { ...prev, seq: prev.seq + 1, kind, subjectId: "vch_fake", publicCode: fake, prevHash: prev.hash, occurredAt: new Date().toISOString() };
      e.hash = await entryHash(e);
      await plantRow(tenantId, e, `fake:${i}`);
      prev = e;
    }
    // The attacker also removes the object's head row (nothing else of its storage).
    await runInDurableObject(env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(tenantId)), async (_o, state) => {
      state.storage.sql.exec("DELETE FROM head");
    });

    // The object resumes from the last entry it knows it wrote (seq 8): the planted voucher does not verify, and the
    // operator's check says D1 runs past the object's head.
    expect((await api(`/provenance/${fake}`)).body.verification.ok).toBe(false);
    const before = (await api("/ledger/verify", { token: adminKey })).body;
    expect(before.ok).toBe(false);
    expect(before.findings).toEqual([expect.objectContaining({ seq: 8, problem: "head_mismatch" })]);
    expect((await api(`/provenance/${tail.publicCode}`)).body.verification).toMatchObject({ ok: true });

    // The next real append goes on from seq 8 and sets the planted rows aside.
    const [next] = await appendLedger(env, tenantId, [issuance(11)]);
    expect(next).toMatchObject({ seq: 9, prevHash: tailEntry!.hash });
    expect((await api(`/provenance/${fake}`)).status).toBe(404);
    const after = (await api("/ledger/verify", { token: adminKey })).body;
    expect(after.findings.map((f: { seq: number; problem: string }) => [f.seq, f.problem])).toEqual([[9, "quarantined"], [10, "quarantined"]]);
  });

  it("the head removed from the object's storage with D1 untouched: the real tail is taken up again and everything verifies", async () => {
    const { tenantId, adminKey } = await redeemedVoucher();
    const [a, b] = await appendLedger(env, tenantId, [issuance(8), issuance(9)]);
    await runInDurableObject(env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(tenantId)), async (_o, state) => {
      state.storage.sql.exec("DELETE FROM head");
    });
    expect((await api(`/provenance/${a!.publicCode}`)).body.verification).toMatchObject({ ok: true });
    expect((await api("/ledger/verify", { token: adminKey })).body).toMatchObject({ ok: true, headSeq: 9, findings: [] });
    const [c] = await appendLedger(env, tenantId, [issuance(10)]);
    expect(c).toMatchObject({ seq: 10, prevHash: b!.hash });
    expect((await api("/ledger/verify", { token: adminKey })).body).toMatchObject({ ok: true, findings: [] });
  });

  it("(g) the head set back in the object's storage (to its last checkpoint): the real rows past it are taken up again, never set aside", async () => {
    const { tenantId, adminKey } = await redeemedVoucher();
    // Two real entries past the last checkpoint (seq 7), then the head is set back to that checkpoint.
    const later = [issuance(8), issuance(9)];
    const [a, b] = await appendLedger(env, tenantId, later);
    await runInDurableObject(env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(tenantId)), async (_o, state) => {
      const cp = state.storage.sql.exec<{ head_hash: string }>("SELECT head_hash FROM checkpoints WHERE seq_to = 7").toArray()[0]!;
      state.storage.sql.exec("UPDATE head SET seq = 7, hash = ?", cp.head_hash);
    });
    // Until the next append the operator's check says the object's head and D1 disagree.
    expect((await api("/ledger/verify", { token: adminKey })).body.findings).toEqual([expect.objectContaining({ seq: 7, problem: "head_mismatch" })]);

    // The next append: the rows the object's own code index says it wrote (8, 9) are its own again; it goes on after them.
    const [c] = await appendLedger(env, tenantId, [issuance(10)]);
    expect(c).toMatchObject({ seq: 10, prevHash: b!.hash });
    expect((await env.DB.prepare("SELECT count(*) AS n FROM ledger_quarantine WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>())!.n).toBe(0);
    expect((await api(`/provenance/${a!.publicCode}`)).body.verification).toMatchObject({ ok: true });
    expect((await api("/ledger/verify", { token: adminKey })).body).toMatchObject({ ok: true, findings: [] });
  });

  it("(i) the object's whole storage wiped and rows planted in D1: the published checkpoints it never made keep the proofs unverified", async () => {
    const { tenantId, publicCode } = await redeemedVoucher();
    const db = env.DB;
    const [head] = (await listEntries(db, tenantId)).slice(-1);
    const fake = code();
    const e = { ...head!, seq: head!.seq + 1, kind: "issuance" as const, subjectId: "vch_fake", publicCode: fake, payload: { productId: "p1" }, prevHash: head!.hash, occurredAt: new Date().toISOString() };
    e.hash = await entryHash(e);
    await plantRow(tenantId, e, "fake:wiped");
    await runInDurableObject(env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(tenantId)), async (_o, state) => {
      for (const t of ["head", "checkpoints", "code_seqs", "code_index", "pending"]) state.storage.sql.exec(`DELETE FROM ${t}`);
    });
    const planted = (await api(`/provenance/${fake}`)).body;
    expect(planted.verification.ok).toBe(false);
    expect(planted.verification.findings).toEqual(expect.arrayContaining([expect.objectContaining({ problem: "checkpoint_mismatch" })]));
    expect(planted.history.every((h: { verified: boolean }) => !h.verified)).toBe(true);
    expect((await api(`/provenance/${publicCode}`)).body.verification.ok).toBe(false);
  });

  it("(h) a voucher whose every step was deleted from D1 is shown as deleted on its public proof, not as 'no record'", async () => {
    const { tenantId } = await redeemedVoucher();
    const voucherRow = (publicCode: string) =>
      env.DB.prepare("INSERT INTO vouchers (id, tenant_id, holder_id, product_id, kind, source_key, code, title, valid_from) VALUES (?, ?, 'byr_h', 'p1', 'coupon', ?, ?, '券', '2026-01-01')")
        .bind(`vch_${crypto.randomUUID()}`, tenantId, `src-${publicCode}`, publicCode)
        .run();
    const v = issuance(8);
    await voucherRow(v.publicCode!);
    const [e] = await appendLedger(env, tenantId, [v, redemption(v)]);
    await env.DB.prepare("DELETE FROM ledger_entries WHERE tenant_id = ? AND public_code = ?").bind(tenantId, v.publicCode).run();
    const p = await api(`/provenance/${v.publicCode}`);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ brand: { name: "Verify Brand" }, status: "unknown", history: [], verification: { ok: false } });
    expect(p.body.verification.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ seq: e!.seq, problem: "deleted" }), expect.objectContaining({ seq: e!.seq + 1, problem: "deleted" })]),
    );
    // A voucher the ledger has no entry for yet (its issuance not appended) is still "no record", not a finding.
    const fresh = code();
    await voucherRow(fresh);
    expect((await api(`/provenance/${fresh}`)).status).toBe(404);
  });

  it("a write that reached D1 while the object never saw its answer (a crash) is adopted as its own, and only that", async () => {
    const { tenantId, adminKey } = await redeemedVoucher();
    const db = env.DB;
    const [head] = (await listEntries(db, tenantId)).slice(-1);
    const lost = code();
    const e = { ...head!, seq: 8, kind: "issuance" as const, subjectId: "vch_lost", publicCode: lost, payload: { productId: "p1" }, prevHash: head!.hash, occurredAt: new Date().toISOString() };
    e.hash = await entryHash(e);
    // What the object records before it writes, then the row D1 committed; the object stopped before saving its head.
    await runInDurableObject(env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(tenantId)), async (_o, state) => {
      state.storage.sql.exec("INSERT OR REPLACE INTO pending (id, entries) VALUES (1, ?)", JSON.stringify([{ seq: 8, hash: e.hash, publicCode: lost }]));
    });
    await plantRow(tenantId, e, "issuance:vch_lost");
    const [next] = await appendLedger(env, tenantId, [issuance(11)]);
    expect(next).toMatchObject({ seq: 9, prevHash: e.hash });
    expect((await db.prepare("SELECT count(*) AS n FROM ledger_quarantine WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>())!.n).toBe(0);
    expect((await api(`/provenance/${lost}`)).body.verification).toMatchObject({ ok: true });
    expect((await api("/ledger/verify", { token: adminKey })).body).toMatchObject({ ok: true, findings: [] });
  });

  it("/ledger/verify flags a published checkpoint deleted from D1; the next checkpoint call publishes it again", async () => {
    const { tenantId, adminKey } = await redeemedVoucher();
    await env.DB.prepare("DELETE FROM ledger_checkpoints WHERE tenant_id = ? AND seq_to = 7").bind(tenantId).run();
    const r = await api("/ledger/verify", { token: adminKey });
    expect(r.body.findings).toEqual([expect.objectContaining({ seq: 7, problem: "checkpoint_mismatch", detail: expect.stringContaining("missing") })]);
    expect((await api("/ledger/checkpoints", { method: "POST", token: adminKey })).body.checkpoint).toBeNull();
    expect((await api("/ledger/verify", { token: adminKey })).body).toMatchObject({ ok: true });
    const x = (await api("/ledger/export", { token: adminKey })).body as LedgerExport;
    expect((await listCheckpoints(env.DB, tenantId)).map((c) => c.merkleRoot)).toEqual(x.checkpoints.map((c) => c.merkleRoot));
  });
});
