import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api } from "./helpers";
import { issue, redeemReq, redemptionBrand } from "./redemption-fixtures";

describe("voucher lifecycle in the provenance ledger", () => {
  it("records issuance and delivery when a voucher is issued, redemption when redeemed, never the secret", async () => {
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id });
    const x = await api("/ledger/export", { token: b.adminKey });
    expect(x.body.entries.map((e: { kind: string; publicCode: string }) => [e.kind, e.publicCode])).toEqual([
      ["issuance", v.code],
      ["delivery", v.code],
      ["redemption", v.code],
    ]);
    const row = await env.DB.prepare("SELECT secret_enc FROM vouchers WHERE id = ?").bind(v.id).first<{ secret_enc: string }>();
    const { openSecret } = await import("../../worker/domain/secret-box");
    const secret = await openSecret(env.CARD_KEY_ENCRYPTION_KEY, row!.secret_enc);
    expect(JSON.stringify(x.body)).not.toContain(secret);
    expect(JSON.stringify((await api(`/provenance/${v.code}`)).body)).not.toContain(secret);
  });

  it("sweeps in what a hook missed (a voucher issued or voided behind its back) before each checkpoint, also from the alarm", async () => {
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    // Simulate steps that bypassed the hooks: a voided voucher and one inserted directly.
    await env.DB.prepare("UPDATE vouchers SET status = 'voided', status_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?").bind(v.id).run();
    await env.DB.prepare(
      `INSERT INTO vouchers (id, tenant_id, holder_id, product_id, kind, source_key, code, title, valid_from)
       VALUES ('vch_direct1', ?, 'buyer_2', ?, 'coupon', 'direct:1', ?, 'direct', '2020-01-01T00:00:00.000Z')`,
    )
      .bind(b.tenant.id, b.productId, `vc_direct${b.tenant.id.slice(-10)}`)
      .run();
    const cp = await api("/ledger/checkpoints", { method: "POST", token: b.adminKey });
    expect(cp.body.checkpoint.seqTo).toBe(4);
    const kinds = (await api("/ledger/export", { token: b.adminKey })).body.entries.map((e: { kind: string; subjectId: string }) => `${e.kind}:${e.subjectId}`);
    // Missing issuances first, so a voucher's issuance always precedes its later steps.
    expect(kinds).toEqual([`issuance:${v.id}`, `delivery:${v.id}`, "issuance:vch_direct1", `void:${v.id}`]);

    await env.DB.prepare("UPDATE vouchers SET status = 'refunded', status_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = 'vch_direct1'").run();
    const stub = env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(b.tenant.id));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await api("/ledger/export", { token: b.adminKey });
    expect(after.body.entries.at(-1)).toMatchObject({ kind: "refund", subjectId: "vch_direct1", seq: 5 });
    expect(after.body.checkpoints.at(-1)).toMatchObject({ seqFrom: 5, seqTo: 5 });
    expect((await api("/ledger/verify", { token: b.adminKey })).body.ok).toBe(true);
  });
});

describe("expiry by cron", () => {
  it("expires issued vouchers past their window, records each in the ledger, leaves others alone", async () => {
    const { expireDueVouchers } = await import("../../worker/services/voucher-expiry");
    const b = await redemptionBrand();
    const late = await issue(b.tenant.id, b.productId);
    const fine = await issue(b.tenant.id, b.productId);
    await env.DB.prepare("UPDATE vouchers SET valid_to = '2020-01-01T00:00:00.000Z' WHERE id = ?").bind(late.id).run();
    expect(await expireDueVouchers(env)).toBeGreaterThanOrEqual(1);
    const status = async (id: string) => (await env.DB.prepare("SELECT status FROM vouchers WHERE id = ?").bind(id).first<{ status: string }>())!.status;
    expect(await status(late.id)).toBe("expired");
    expect(await status(fine.id)).toBe("issued");
    const x = await api("/ledger/export", { token: b.adminKey });
    expect(x.body.entries.filter((e: { kind: string; subjectId: string }) => e.kind === "expiry").map((e: { subjectId: string }) => e.subjectId)).toEqual([late.id]);
  });
});
