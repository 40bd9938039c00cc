import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, settleOutbox } from "./helpers";
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

  it("appends what a lost dispatch left in the outbox: before a checkpoint, and from the cron; never twice", async () => {
    const { withRequestEvents } = await import("../../worker/queue/request-events");
    const { voidVoucher } = await import("../../worker/services/voucher-void");
    const { runScheduled } = await import("../../worker/scheduled");
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    // The brand's setup requests may still be dispatching (issue's own dispatch then leaves its rows to them).
    await settleOutbox();
    // The request's waitUntil dispatch is lost (the isolate died after the commit): the rows wait in the outbox.
    const lost = <T>(fn: () => Promise<T>) => withRequestEvents(fn, () => undefined);
    await lost(() => voidVoucher(env, b.tenant.id, v.code, "mistake", "key_test"));
    const pending = await env.DB.prepare("SELECT type FROM event_outbox WHERE tenant_id = ? AND sent_at IS NULL").bind(b.tenant.id).all<{ type: string }>();
    expect(pending.results.map((r) => r.type)).toEqual(["voucher_voided"]);
    const cp = await api("/ledger/checkpoints", { method: "POST", token: b.adminKey });
    expect(cp.body.checkpoint.seqTo).toBe(3);

    const w = await lost(() => issue(b.tenant.id, b.productId));
    await runScheduled(env);
    await runScheduled(env);
    const kinds = (await api("/ledger/export", { token: b.adminKey })).body.entries.map((e: { kind: string; subjectId: string }) => `${e.kind}:${e.subjectId}`);
    expect(kinds).toEqual([`issuance:${v.id}`, `delivery:${v.id}`, `void:${v.id}`, `issuance:${w.id}`, `delivery:${w.id}`]);
    const stub = env.TENANT_LEDGER.get(env.TENANT_LEDGER.idFromName(b.tenant.id));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await api("/ledger/export", { token: b.adminKey })).body.checkpoints.at(-1)).toMatchObject({ seqFrom: 4, seqTo: 5 });
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
