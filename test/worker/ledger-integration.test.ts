import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { LedgerEntryDraft, LedgerExport } from "../../schema/ledger";
import { entryHash, verifyChain } from "../../worker/domain/ledger";
import { listCheckpoints, toEntry, type EntryRow } from "../../worker/db/ledger";
import { appendLedger } from "../../worker/services/ledger";
import { api, createTenant } from "./helpers";

const draft = (i: number, extra: Partial<LedgerEntryDraft> = {}): LedgerEntryDraft => ({
  kind: "issuance",
  subjectId: `vch_${i}`,
  publicCode: `PUB${i}${Math.random().toString(36).slice(2, 10)}`,
  batch: "batch-1",
  channel: "supplier-a",
  occurredAt: new Date().toISOString(),
  payload: { productId: "p1", faceValueCents: 1000 },
  dedupeKey: `issuance:vch_${i}`,
  ...extra,
});

async function exported(adminKey: string): Promise<LedgerExport> {
  const res = await api("/ledger/export", { token: adminKey });
  expect(res.status).toBe(200);
  return res.body as LedgerExport;
}

async function verify(x: LedgerExport) {
  return verifyChain(x.tenantId, x.entries, { checkpoints: x.checkpoints, head: x.head });
}

describe("provenance ledger (D1 + per-tenant Durable Object)", () => {
  it("serialises concurrent appends into one unforked chain and never appends a fact twice", async () => {
    const { tenant, adminKey } = await createTenant();
    const drafts = Array.from({ length: 60 }, (_, i) => draft(i));
    // 60 single appends at once, plus a retry of each of the first 10.
    await Promise.all([...drafts, ...drafts.slice(0, 10)].map((d) => appendLedger(env, tenant.id, [d])));
    const x = await exported(adminKey);
    expect(x.entries.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(new Set(x.entries.map((e) => e.subjectId)).size).toBe(60);
    expect(x.head).toEqual({ seq: 60, hash: x.entries[59]!.hash });
    expect((await verify(x)).ok).toBe(true);
    const server = await api("/ledger/verify", { token: adminKey });
    expect(server.body).toMatchObject({ ok: true, entries: 60 });
  });

  it("publishes checkpoints and shows public provenance with a Merkle proof, without secrets", async () => {
    const { tenant, adminKey } = await createTenant("Provenance Brand");
    const d = draft(1, { payload: { productId: "p1" } });
    await appendLedger(env, tenant.id, [d, draft(2)]);
    const cp = await api("/ledger/checkpoints", { method: "POST", token: adminKey });
    expect(cp.body.checkpoint).toMatchObject({ seqFrom: 1, seqTo: 2 });
    expect((await api("/ledger/checkpoints", { method: "POST", token: adminKey })).body.checkpoint).toBeNull();
    await appendLedger(env, tenant.id, [
      { kind: "redemption", subjectId: d.subjectId, publicCode: d.publicCode, occurredAt: new Date().toISOString(), payload: { storeId: "st_1" }, dedupeKey: `redemption:${d.subjectId}` },
    ]);
    const p = await api(`/provenance/${d.publicCode}`);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({
      publicCode: d.publicCode,
      brand: { slug: tenant.slug, name: "Provenance Brand" },
      status: "redeemed",
      batch: "batch-1",
      channel: "supplier-a",
      issuedAt: d.occurredAt,
    });
    expect(p.body.history).toHaveLength(2);
    expect(p.body.history[0].proof.checkpoint.merkleRoot).toBe(cp.body.checkpoint.merkleRoot);
    expect(p.body.history[1].proof).toBeNull();
    const pub = await api(`/brands/${tenant.slug}/ledger/checkpoints`);
    expect(pub.body.checkpoints).toHaveLength(1);
    expect((await api("/provenance/NOPE-unknown-code")).status).toBe(404);
    expect((await api("/provenance/bad code!")).status).toBe(400);
  });

  it("detects and locates rows edited, deleted or reordered directly in D1", async () => {
    const { tenant, adminKey } = await createTenant();
    await appendLedger(env, tenant.id, Array.from({ length: 12 }, (_, i) => draft(i)));
    await api("/ledger/checkpoints", { method: "POST", token: adminKey });
    await appendLedger(env, tenant.id, [draft(12), draft(13)]);
    expect((await verify(await exported(adminKey))).ok).toBe(true);
    const db = env.DB;
    const t = tenant.id;

    await db.prepare("UPDATE ledger_entries SET payload = '{\"faceValueCents\":99999,\"productId\":\"p1\"}' WHERE tenant_id = ? AND seq = 3").bind(t).run();
    let r = await verify(await exported(adminKey));
    expect(r.findings).toEqual([expect.objectContaining({ seq: 3, problem: "edited" })]);

    await db.prepare("DELETE FROM ledger_entries WHERE tenant_id = ? AND seq = 7").bind(t).run();
    r = await verify(await exported(adminKey));
    expect(r.findings).toEqual(expect.arrayContaining([expect.objectContaining({ seq: 8, problem: "deleted", detail: expect.stringContaining("7..7") })]));

    await db.batch([
      db.prepare("UPDATE ledger_entries SET seq = -10 WHERE tenant_id = ? AND seq = 10").bind(t),
      db.prepare("UPDATE ledger_entries SET seq = 10 WHERE tenant_id = ? AND seq = 11").bind(t),
      db.prepare("UPDATE ledger_entries SET seq = 11 WHERE tenant_id = ? AND seq = -10").bind(t),
    ]);
    r = await verify(await exported(adminKey));
    expect(r.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ seq: 10, problem: "reordered", detail: "this is entry 11, moved to seq 10" }),
        expect.objectContaining({ seq: 11, problem: "reordered", detail: "this is entry 10, moved to seq 11" }),
      ]),
    );

    await db.prepare("DELETE FROM ledger_entries WHERE tenant_id = ? AND seq = 14").bind(t).run();
    r = await verify(await exported(adminKey));
    expect(r.findings).toEqual(expect.arrayContaining([expect.objectContaining({ seq: 14, problem: "truncated" })]));
    const server = await api("/ledger/verify", { token: adminKey });
    expect(server.body.ok).toBe(false);
  });

  it("refuses a checkpoint with 409 ledger_mismatch, publishing nothing, when D1's rows since the last one disagree with the object", async () => {
    const setUp = async () => {
      const { tenant, adminKey } = await createTenant();
      await appendLedger(env, tenant.id, [draft(1), draft(2), draft(3)]);
      expect((await api("/ledger/checkpoints", { method: "POST", token: adminKey })).body.checkpoint).toMatchObject({ seqFrom: 1, seqTo: 3 });
      await appendLedger(env, tenant.id, [draft(4), draft(5), draft(6)]);
      return { t: tenant.id as string, adminKey };
    };
    const refused = async (t: string, adminKey: string) => {
      const before = await exported(adminKey);
      const res = await api("/ledger/checkpoints", { method: "POST", token: adminKey });
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.error).toMatchObject({ code: "ledger_mismatch", requestId: expect.any(String) });
      expect(res.body.error.message).toMatch(/^ledger rows 4\.\.6 in D1 do not match the ledger object \(head seq 6, [0-9a-f]{12}…\): /);
      expect(res.body.error.message).toContain("No checkpoint was published; GET /ledger/verify");
      // Nothing sealed: neither D1's published checkpoints nor the object's own moved.
      expect((await listCheckpoints(env.DB, t)).map((c) => c.seqTo)).toEqual([3]);
      expect((await exported(adminKey)).checkpoints).toEqual(before.checkpoints);
      expect((await api("/ledger/verify", { token: adminKey })).body.ok).toBe(false);
      return res.body.error.message as string;
    };
    const row = (t: string, seq: number) => env.DB.prepare("SELECT * FROM ledger_entries WHERE tenant_id = ? AND seq = ?").bind(t, seq).first<EntryRow>().then((r) => toEntry(r!));

    // The head row's hash replaced.
    let { t, adminKey } = await setUp();
    const head = await row(t, 6);
    await env.DB.prepare("UPDATE ledger_entries SET hash = ? WHERE tenant_id = ? AND seq = 6").bind("ab".repeat(32), t).run();
    expect(await refused(t, adminKey)).toContain(`D1's seq 6 has hash abababababab… where the ledger object's head is ${head.hash.slice(0, 12)}…`);
    // Put back, the same call seals the stretch: the refusal holds nothing against an intact chain.
    await env.DB.prepare("UPDATE ledger_entries SET hash = ? WHERE tenant_id = ? AND seq = 6").bind(head.hash, t).run();
    expect((await api("/ledger/checkpoints", { method: "POST", token: adminKey })).body.checkpoint).toMatchObject({ seqFrom: 4, seqTo: 6, headHash: head.hash });

    // A row's field edited in place, its hash (and so every link) left as it was.
    ({ t, adminKey } = await setUp());
    await env.DB.prepare("UPDATE ledger_entries SET occurred_at = '2026-01-01T00:00:00.000Z' WHERE tenant_id = ? AND seq = 5").bind(t).run();
    expect(await refused(t, adminKey)).toContain("seq 5 no longer matches its hash (edited)");

    // A row deleted.
    ({ t, adminKey } = await setUp());
    await env.DB.prepare("DELETE FROM ledger_entries WHERE tenant_id = ? AND seq = 5").bind(t).run();
    expect(await refused(t, adminKey)).toContain("D1 is missing seq 5");

    // As the tester did (D6): 4..6 rewritten consistently (re-hashed, re-chained), then a made-up row planted at 7.
    ({ t, adminKey } = await setUp());
    let prev = (await row(t, 3)).hash;
    for (const seq of [4, 5, 6, 7]) {
      const old = seq === 7 ? { ...(await row(t, 6)), seq: 7, kind: "redemption" as const } : await row(t, seq);
      const forged = { ...old, occurredAt: "2026-01-01T00:00:00.000Z", prevHash: prev };
      const hash = await entryHash(forged);
      await env.DB.prepare(
        `INSERT OR REPLACE INTO ledger_entries (tenant_id, seq, kind, subject_id, public_code, batch, channel, occurred_at, payload, prev_hash, hash, dedupe_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).bind(t, seq, forged.kind, forged.subjectId, forged.publicCode, forged.batch, forged.channel, forged.occurredAt, JSON.stringify(forged.payload), prev, hash, `forged-${seq}`).run();
      prev = hash;
    }
    const message = await refused(t, adminKey);
    expect(message).toContain("D1's seq 6 has hash");
    expect(message).toContain("D1 also holds 1 row past the object's head (up to seq 7)");
  });

  it("keeps each tenant's ledger to itself", async () => {
    const a = await createTenant();
    const b = await createTenant();
    await appendLedger(env, a.tenant.id, [draft(1)]);
    const xb = await exported(b.adminKey);
    expect(xb.entries).toHaveLength(0);
    expect(xb.head).toBeNull();
    expect((await api("/ledger/export")).status).toBe(401);
  });
});
