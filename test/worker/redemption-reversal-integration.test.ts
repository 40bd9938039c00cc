import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../worker/domain/crypto";
import { api, recordedEvents } from "./helpers";
import { issue, redeemReq, redemptionBrand } from "./redemption-fixtures";

// 撤销核销: POST /redemptions/{id}/reverse.
const reverse = (token: string, id: string, reason = "扫错券", idem = newId("idem")) =>
  api(`/redemptions/${id}/reverse`, { method: "POST", token, json: { reason }, headers: { "idempotency-key": idem } });

const voucherRow = (id: string) =>
  env.DB.prepare("SELECT status, reversals FROM vouchers WHERE id = ?").bind(id).first<{ status: string; reversals: number }>();

const ofType = async (tenantId: string, type: string) => (await recordedEvents(tenantId)).filter((e) => e.type === type);

/** The audit rows of the redemption's reversal (the redemption itself has its own, by the recorder). */
const reversalAudit = async (adminKey: string, redemptionId: string) =>
  (await api(`/audit-log?resource=redemptions/${redemptionId}`, { token: adminKey })).body.entries.filter((e: { route: string }) => e.route === "/api/v1/redemptions/:id/reverse");

/** A brand, one of its vouchers, redeemed at its store. */
async function redeemed() {
  const b = await redemptionBrand();
  const v = await issue(b.tenant.id, b.productId);
  const r = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id });
  expect(r.status).toBe(200);
  return { b, v, redemptionId: r.body.id as string };
}

describe("撤销核销 (undo a redemption)", () => {
  it("undoes a redemption: the voucher is usable again, today's count drops, the history says why, and it redeems again", async () => {
    const { b, v, redemptionId } = await redeemed();
    const integrity = async () => (await api(`/brands/${b.tenant.slug}/integrity`)).body.redemptionAttempts as number;
    expect(await integrity()).toBe(1);
    const idem = newId("idem");
    const r = await reverse(b.redeemerKey, redemptionId, "扫错券，顾客未消费", idem);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      redemptionId, voucherId: v.id, voucherCode: v.code, storeId: b.store.id, storeName: "南京西路店", voucherStatus: "issued",
      reversal: { apiKeyId: b.redeemerKeyId, reason: "扫错券，顾客未消费" },
    });
    expect(await voucherRow(v.id)).toEqual({ status: "issued", reversals: 1 });
    expect((await api("/redemptions/today", { token: b.redeemerKey })).body.count).toBe(0);
    // The brand's public integrity index does not count an undone redemption as an attempt that succeeded.
    expect(await integrity()).toBe(0);
    const hist = await api("/redemptions", { token: b.redeemerKey });
    expect(hist.body.attempts[0]).toMatchObject({ id: redemptionId, outcome: "succeeded", reversal: { reason: "扫错券，顾客未消费" }, reversibleUntil: null });
    expect((await api(`/voucher-status?codes=${v.code}`)).body.vouchers[0]).toMatchObject({ status: "issued", redeemedAt: null });

    // A retry with the same Idempotency-Key answers the same reversal; any other attempt is already_reversed.
    const retry = await reverse(b.redeemerKey, redemptionId, "扫错券，顾客未消费", idem);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(r.body);
    const second = await reverse(b.redeemerKey, redemptionId);
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("already_reversed");
    expect(second.body.error.reversal).toEqual(r.body.reversal);

    const again = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id });
    expect(again.status).toBe(200);
    expect(again.body.id).not.toBe(redemptionId);
    expect(await voucherRow(v.id)).toEqual({ status: "redeemed", reversals: 1 });
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id })).body.error.code).toBe("voucher_already_redeemed");
    expect((await api("/redemptions/today", { token: b.redeemerKey })).body.count).toBe(1);

    // Recorded once each: both redemptions, the reversal (with the redemption it undid and why).
    const reversed = await ofType(b.tenant.id, "voucher_redemption_reversed");
    expect(reversed).toHaveLength(1);
    expect(reversed[0]!.payload).toMatchObject({ voucherId: v.id, redemptionId, storeId: b.store.id, reason: "扫错券，顾客未消费" });
    expect(reversed[0]!.actor.apiKeyId).toBe(b.redeemerKeyId);
    expect((await ofType(b.tenant.id, "voucher_redeemed")).map((e) => e.payload.redemptionId)).toEqual([redemptionId, again.body.id]);

    // The audit log has the reversal once (written in its batch, not again by the recorder).
    const audit = await reversalAudit(b.adminKey, redemptionId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ method: "POST", actor: { apiKeyId: b.redeemerKeyId }, status: 200, path: `/api/v1/redemptions/${redemptionId}/reverse` });
    expect(audit[0].before).toMatchObject({ reversal: null, voucherStatus: "redeemed" });
    expect(audit[0].after).toMatchObject({ reversal: { reason: "扫错券，顾客未消费" }, voucherStatus: "issued" });

    // The ledger: redeemed, undone, redeemed again — and it still verifies, server-side and on the public proof.
    const ledger = await api("/ledger/export", { token: b.adminKey });
    const steps = ledger.body.entries.filter((e: { subjectId: string }) => e.subjectId === v.id);
    expect(steps.map((e: { kind: string }) => e.kind)).toEqual(["issuance", "delivery", "redemption", "redemption_reversal", "redemption"]);
    expect(steps[3].payload).toMatchObject({ redemptionId, reason: "扫错券，顾客未消费" });
    expect((await api("/ledger/verify", { token: b.adminKey })).body.ok).toBe(true);
    await api("/ledger/checkpoints", { method: "POST", token: b.adminKey });
    const proof = await api(`/provenance/${v.code}`);
    expect(proof.body.status).toBe("redeemed");
    expect(proof.body.redeemedAt).toBe(steps[4].occurredAt);
    expect(proof.body.history.map((h: { kind: string }) => h.kind)).toEqual(["issuance", "delivery", "redemption", "redemption_reversal", "redemption"]);
    expect(proof.body.history.every((h: { verified: boolean }) => h.verified)).toBe(true);
    expect(proof.body.verification.ok).toBe(true);
  }, 60_000);

  it("lets exactly one of many concurrent reversals win; the voucher comes back once", async () => {
    const { b, v, redemptionId } = await redeemed();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => reverse(b.redeemerKey, redemptionId, `并发 ${i}`)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("already_reversed");
      expect(r.body.error.reversal).toEqual(ok[0]!.body.reversal);
    }
    expect(await voucherRow(v.id)).toEqual({ status: "issued", reversals: 1 });
    expect(await ofType(b.tenant.id, "voucher_redemption_reversed")).toHaveLength(1);
    expect(await reversalAudit(b.adminKey, redemptionId)).toHaveLength(1);
  }, 60_000);

  it("refuses after the 24 h window, and changes nothing", async () => {
    const { b, v, redemptionId } = await redeemed();
    const at = new Date(Date.now() - 25 * 3600_000).toISOString();
    await env.DB.prepare("UPDATE redemptions SET created_at = ? WHERE id = ?").bind(at, redemptionId).run();
    const r = await reverse(b.redeemerKey, redemptionId);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("reversal_window_closed");
    expect(r.body.error.message).toContain("24 小时");
    expect(r.body.error.reversibleUntil).toBe(new Date(Date.parse(at) + 24 * 3600_000).toISOString());
    expect(await voucherRow(v.id)).toEqual({ status: "redeemed", reversals: 0 });
    expect(await ofType(b.tenant.id, "voucher_redemption_reversed")).toHaveLength(0);
    expect((await api("/redemptions", { token: b.redeemerKey })).body.attempts[0]).toMatchObject({ reversal: null, reversibleUntil: r.body.error.reversibleUntil });
  });

  it("answers 404 for another brand's redemption and 403 for a key bound to another store", async () => {
    const { b, v, redemptionId } = await redeemed();
    const other = await redemptionBrand();
    const foreign = await reverse(other.redeemerKey, redemptionId);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("redemption_not_found");

    const store2 = await api("/stores", { method: "POST", token: b.adminKey, json: { name: "徐家汇店" } });
    const key2 = await api(`/platform/tenants/${b.tenant.id}/keys`, { method: "POST", token: "test-platform-token", json: { name: "pos2", scopes: ["redeemer"] } });
    expect((await api(`/redeemer-keys/${key2.body.id}`, { method: "PUT", token: b.adminKey, json: { storeId: store2.body.id } })).status).toBe(200);
    const elsewhere = await reverse(key2.body.secret, redemptionId);
    expect(elsewhere.status).toBe(403);
    // A key bound to the redemption's own store may.
    expect((await api(`/redeemer-keys/${key2.body.id}`, { method: "PUT", token: b.adminKey, json: { storeId: b.store.id } })).status).toBe(200);
    expect((await reverse(key2.body.secret, redemptionId)).status).toBe(200);
    expect(await voucherRow(v.id)).toEqual({ status: "issued", reversals: 1 });
  });

  it("refuses a refused attempt, and validates the reason", async () => {
    const b = await redemptionBrand();
    const failed = await redeemReq(b.redeemerKey, { code: "vc_unknown_code", storeId: b.store.id });
    const attempt = (await api("/redemptions?outcome=failed", { token: b.redeemerKey })).body.attempts[0];
    expect(failed.status).toBe(404);
    const r = await reverse(b.redeemerKey, attempt.id);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("redemption_not_reversible");
    for (const reason of ["", " ", "x".repeat(201), "a\u202Eb"]) {
      const bad = await reverse(b.redeemerKey, attempt.id, reason);
      expect(bad.status).toBe(400);
      expect(bad.body.error.issues[0].path).toBe("json.reason");
    }
    const noKey = await api(`/redemptions/${attempt.id}/reverse`, { method: "POST", token: b.redeemerKey, json: { reason: "x" } });
    expect(noKey.status).toBe(400);
  });

  it("leaves a voucher whose validity ended meanwhile expired, and says so", async () => {
    const { b, v, redemptionId } = await redeemed();
    await env.DB.prepare("UPDATE vouchers SET valid_to = ? WHERE id = ?").bind(new Date(Date.now() - 60_000).toISOString(), v.id).run();
    const r = await reverse(b.redeemerKey, redemptionId);
    expect(r.status).toBe(200);
    expect(r.body.voucherStatus).toBe("expired");
    expect(await voucherRow(v.id)).toEqual({ status: "expired", reversals: 1 });
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id })).body.error.code).toBe("voucher_expired");
    expect((await recordedEvents(b.tenant.id)).map((e) => e.type).filter((t) => t.startsWith("voucher_")).slice(-3))
      .toEqual(["voucher_redemption_reversed", "voucher_expired", "voucher_redeem_failed"]);
    const ledger = await api("/ledger/export", { token: b.adminKey });
    expect(ledger.body.entries.filter((e: { subjectId: string }) => e.subjectId === v.id).map((e: { kind: string }) => e.kind).slice(-2)).toEqual(["redemption_reversal", "expiry"]);
    expect((await api(`/provenance/${v.code}`)).body.status).toBe("expired");
  });

  it("takes back the points and the member growth the redemption earned a member", async () => {
    const b = await redemptionBrand();
    const buyer = newId("byr");
    const member = newId("mbr");
    await env.DB.batch([
      env.DB.prepare("INSERT INTO buyers (id, tenant_id, kind) VALUES (?, ?, 'guest')").bind(buyer, b.tenant.id),
      env.DB.prepare("INSERT INTO members (id, tenant_id, buyer_id, card_no, joined_via) VALUES (?, ?, ?, ?, 'phone')").bind(member, b.tenant.id, buyer, `C${member.slice(-8)}`),
      env.DB.prepare("INSERT INTO points_rules (tenant_id, points_per_redemption) VALUES (?, 10) ON CONFLICT (tenant_id) DO UPDATE SET points_per_redemption = 10").bind(b.tenant.id),
      env.DB.prepare(`INSERT INTO member_growth_rules (tenant_id, per_yuan, actions, grace_days) VALUES (?, 1, '{"redemption":7}', 0)`).bind(b.tenant.id),
    ]);
    const balance = async () => (await env.DB.prepare("SELECT points_balance AS p FROM members WHERE id = ?").bind(member).first<{ p: number }>())!.p;
    const growth = async () => (await env.DB.prepare("SELECT growth AS g FROM members WHERE id = ?").bind(member).first<{ g: number }>())!.g;
    const v = await issue(b.tenant.id, b.productId, buyer);
    const first = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id });
    expect([await balance(), await growth()]).toEqual([10, 7]);
    expect((await reverse(b.redeemerKey, first.body.id)).status).toBe(200);
    expect([await balance(), await growth()]).toEqual([0, 0]);
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id })).status).toBe(200);
    expect([await balance(), await growth()]).toEqual([10, 7]);
  });
});
