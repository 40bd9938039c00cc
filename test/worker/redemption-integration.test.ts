import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "./helpers";
import { issue, redeemReq, redemptionBrand } from "./redemption-fixtures";

describe("redemption (核销)", () => {
  it("lets exactly one of 200 concurrent attempts on one voucher succeed; the rest learn when and where", async () => {
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    const results = await Promise.all(Array.from({ length: 200 }, () => redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id })));
    const ok = results.filter((r) => r.status === 200);
    const already = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(1);
    expect(already).toHaveLength(199);
    for (const r of already) {
      expect(r.body.error.code).toBe("voucher_already_redeemed");
      expect(r.body.redemption).toEqual({ redeemedAt: ok[0]!.body.redeemedAt, storeId: b.store.id, storeName: "南京西路店" });
    }
    const rows = await env.DB.prepare("SELECT outcome, count(*) AS n FROM redemptions WHERE tenant_id = ? GROUP BY outcome ORDER BY outcome")
      .bind(b.tenant.id)
      .all<{ outcome: string; n: number }>();
    expect(rows.results).toEqual([{ outcome: "failed", n: 199 }, { outcome: "succeeded", n: 1 }]);
    const voucher = await env.DB.prepare("SELECT status FROM vouchers WHERE id = ?").bind(v.id).first<{ status: string }>();
    expect(voucher!.status).toBe("redeemed");
    const ledger = await api("/ledger/export", { token: b.adminKey });
    expect(ledger.body.entries.filter((e: { kind: string }) => e.kind === "redemption")).toHaveLength(1);
  }, 60_000);

  it("is idempotent per Idempotency-Key, also under concurrent retries, and refuses a reused key with another body", async () => {
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    const results = await Promise.all(Array.from({ length: 20 }, () => redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id }, "idem-same-0001")));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const again = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id }, "idem-same-0001");
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const other = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id, orderAmountCents: 5 }, "idem-same-0001");
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe("idempotency_mismatch");
    const missing = await api("/redemptions", { method: "POST", token: b.redeemerKey, json: { code: v.code, storeId: b.store.id } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.issues[0].path).toBe("header.idempotency-key");
  });

  it("refuses cross-tenant: brand A's redeemer can neither see nor redeem brand B's vouchers", async () => {
    const a = await redemptionBrand();
    const bb = await redemptionBrand();
    const vb = await issue(bb.tenant.id, bb.productId);
    const r = await redeemReq(a.redeemerKey, { code: vb.code, storeId: a.store.id });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("voucher_not_found");
    const viaTheirStore = await redeemReq(a.redeemerKey, { code: vb.code, storeId: bb.store.id });
    expect(viaTheirStore.status).toBe(404);
    const hist = await api("/redemptions", { token: a.redeemerKey });
    expect(JSON.stringify(hist.body)).not.toContain(vb.code);
    const bind = await api(`/redeemer-keys/${bb.redeemerKeyId}`, { method: "PUT", token: a.adminKey, json: { storeId: null } });
    expect(bind.status).toBe(404);
    const still = await env.DB.prepare("SELECT status FROM vouchers WHERE id = ?").bind(vb.id).first<{ status: string }>();
    expect(still!.status).toBe("issued");
  });

  it("enforces validity window, store restriction and threshold; redeems by typed coupon code", async () => {
    const b = await redemptionBrand({ config: { coupon: { thresholdCents: 10000, discountCents: 2000 } } });
    const other = await api("/stores", { method: "POST", token: b.adminKey, json: { name: "徐家汇店" } });
    const put = await api(`/products/${b.productId}/stores`, { method: "PUT", token: b.adminKey, json: { storeIds: [b.store.id] } });
    expect(put.status).toBe(200);
    const v = await issue(b.tenant.id, b.productId);
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: other.body.id, orderAmountCents: 20000 })).body.error.code).toBe("store_not_allowed");
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id })).status).toBe(422);
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id, orderAmountCents: 9999 })).body.error.code).toBe("threshold_not_met");
    const row = await env.DB.prepare("SELECT secret_enc FROM vouchers WHERE id = ?").bind(v.id).first<{ secret_enc: string }>();
    expect(row!.secret_enc).toBeTruthy();
    const { openSecret } = await import("../../worker/domain/secret-box");
    const secret = await openSecret(env.CARD_KEY_ENCRYPTION_KEY, row!.secret_enc);
    const ok = await redeemReq(b.redeemerKey, { secret, storeId: b.store.id, orderAmountCents: 10000 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ voucherCode: v.code, discountCents: 2000, storeName: "南京西路店" });

    const late = await issue(b.tenant.id, b.productId);
    await env.DB.prepare("UPDATE vouchers SET valid_to = '2020-01-01T00:00:00.000Z' WHERE id = ?").bind(late.id).run();
    const expired = await redeemReq(b.redeemerKey, { code: late.code, storeId: b.store.id, orderAmountCents: 20000 });
    expect(expired.body.error.code).toBe("voucher_expired");
    expect((await env.DB.prepare("SELECT status FROM vouchers WHERE id = ?").bind(late.id).first<{ status: string }>())!.status).toBe("expired");
    const early = await issue(b.tenant.id, b.productId);
    await env.DB.prepare("UPDATE vouchers SET valid_from = '2999-01-01T00:00:00.000Z' WHERE id = ?").bind(early.id).run();
    expect((await redeemReq(b.redeemerKey, { code: early.code, storeId: b.store.id, orderAmountCents: 20000 })).body.error.code).toBe("voucher_not_yet_valid");
  });

  it("tells the counter which voucher it refused: title and validity, and where it is valid; nothing for an unknown code", async () => {
    const b = await redemptionBrand({ config: { coupon: { thresholdCents: 10000, discountCents: 2000 } } });
    const other = await api("/stores", { method: "POST", token: b.adminKey, json: { name: "徐家汇店" } });
    await api(`/products/${b.productId}/stores`, { method: "PUT", token: b.adminKey, json: { storeIds: [b.store.id] } });
    const v = await issue(b.tenant.id, b.productId);
    const row = (await env.DB.prepare("SELECT title, face_value_cents, valid_from, valid_to FROM vouchers WHERE id = ?").bind(v.id)
      .first<{ title: string; face_value_cents: number; valid_from: string; valid_to: string | null }>())!;
    const shown = { title: row.title, faceValueCents: row.face_value_cents, validFrom: row.valid_from, validTo: row.valid_to };
    const elsewhere = await redeemReq(b.redeemerKey, { code: v.code, storeId: other.body.id, orderAmountCents: 20000 });
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body.voucher).toEqual({ ...shown, stores: ["南京西路店"] });
    const noAmount = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id });
    expect(noAmount.status).toBe(422);
    expect(noAmount.body.voucher).toEqual(shown);
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id, orderAmountCents: 20000 })).status).toBe(200);
    const again = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id, orderAmountCents: 20000 });
    expect(again.body.error.code).toBe("voucher_already_redeemed");
    expect(again.body.voucher).toEqual(shown);
    // Its last character changed (to 0, or to 1 when it already is 0: the same code would be the redeemed voucher).
    const unknown = await redeemReq(b.redeemerKey, { code: `${v.code.slice(0, -1)}${v.code.endsWith("0") ? "1" : "0"}`, storeId: b.store.id });
    expect(unknown.status).toBe(404);
    expect(unknown.body.voucher).toBeUndefined();
  });

  it("finds a typed coupon code in lower case, with spaces or without dashes; an imported card key as typed", async () => {
    const b = await redemptionBrand();
    const { openSecret } = await import("../../worker/domain/secret-box");
    const secretOf = async (id: string) =>
      openSecret(env.CARD_KEY_ENCRYPTION_KEY, (await env.DB.prepare("SELECT secret_enc FROM vouchers WHERE id = ?").bind(id).first<{ secret_enc: string }>())!.secret_enc);
    const forms: ((s: string) => string)[] = [
      (s) => s.toLowerCase(), // 858j-b5z8-dvsu-dfzz
      (s) => s.replaceAll("-", " "), // 858J B5Z8 DVSU DFZZ
      (s) => s.replaceAll("-", ""), // 858JB5Z8DVSUDFZZ
      (s) => ` ${s.replaceAll("-", "").toLowerCase()} `,
    ];
    for (const form of forms) {
      const v = await issue(b.tenant.id, b.productId);
      const secret = await secretOf(v.id);
      expect(secret).toMatch(/^[2-9A-Z]{4}(-[2-9A-Z]{4}){3}$/);
      const ok = await redeemReq(b.redeemerKey, { secret: form(secret), storeId: b.store.id });
      expect([form(secret), ok.status, ok.body.voucherCode]).toEqual([form(secret), 200, v.code]);
    }
    // An imported card key in its own format (lower case, no groups of four) is still found exactly as typed.
    const keyed = await api("/products", { method: "POST", token: b.adminKey, json: { kind: "card_key", name: "外部卡密", priceCents: 100, faceValueCents: 100, validity: { kind: "relative", days: 30 }, scope: "测试" } });
    expect((await api(`/products/${keyed.body.id}/keys/import`, { method: "POST", token: b.adminKey, json: { rows: [{ line: 1, secret: "brand-key_x9y8z7" }] } })).status).toBe(200);
    const card = await issue(b.tenant.id, keyed.body.id);
    const found = await redeemReq(b.redeemerKey, { secret: "  brand-key_x9y8z7 ", storeId: b.store.id });
    expect([found.status, found.body.voucherCode]).toEqual([200, card.code]);
    expect((await redeemReq(b.redeemerKey, { secret: "ABCD-EFGH-JKMN-PQRS", storeId: b.store.id })).body.error.code).toBe("voucher_not_found");
  });

  it("binds keys to a store, shows history per store, and streams status to the holder via ETag polling", async () => {
    const b = await redemptionBrand();
    const other = await api("/stores", { method: "POST", token: b.adminKey, json: { name: "徐家汇店" } });
    expect((await api(`/redeemer-keys/${b.redeemerKeyId}`, { method: "PUT", token: b.adminKey, json: { storeId: b.store.id } })).status).toBe(200);
    const v = await issue(b.tenant.id, b.productId);
    const first = await api(`/voucher-status?codes=${v.code}`);
    expect(first.body.vouchers).toEqual([expect.objectContaining({ code: v.code, status: "issued", redeemedAt: null })]);
    const etag = first.headers.get("etag")!;
    expect((await api(`/voucher-status?codes=${v.code}`, { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: other.body.id })).status).toBe(403);
    const ok = await redeemReq(b.redeemerKey, { code: v.code });
    expect(ok.body.storeId).toBe(b.store.id);
    const changed = await api(`/voucher-status?codes=${v.code}`, { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.body.vouchers[0]).toMatchObject({ status: "redeemed", storeName: "南京西路店", redeemedAt: ok.body.redeemedAt });
    const hist = await api("/redemptions", { token: b.redeemerKey });
    expect(hist.body.attempts).toEqual([expect.objectContaining({ outcome: "succeeded", voucherCode: v.code, storeName: "南京西路店" })]);
    const provenance = await api(`/provenance/${v.code}`);
    expect(provenance.body).toMatchObject({ status: "redeemed", redeemedAt: ok.body.redeemedAt, brand: { name: "Redeem Brand" } });
    expect(JSON.stringify(provenance.body)).not.toMatch(/[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}/);
  });

  it("flags a burst of unknown codes and suspends the redeemer key", async () => {
    const b = await redemptionBrand();
    for (let i = 0; i < 10; i++) {
      const r = await redeemReq(b.redeemerKey, { code: `vc_guess${i}xxxxxxxx`, storeId: b.store.id });
      expect(r.status).toBe(404);
    }
    const blocked = await redeemReq(b.redeemerKey, { code: "vc_guessmorexxxx", storeId: b.store.id });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe("key_suspended");
    const risk = await api("/risk-events", { token: b.adminKey });
    expect(risk.body.events).toEqual([expect.objectContaining({ kind: "failed_code_burst", subject: b.redeemerKeyId, action: "key_suspended" })]);
    expect((await api(`/redeemer-keys/${b.redeemerKeyId}/reinstate`, { method: "POST", token: b.adminKey })).body.suspendedAt).toBeNull();
    expect((await redeemReq(b.redeemerKey, { code: "vc_guessafterxxxx", storeId: b.store.id })).status).toBe(404);
  });

  it("flags one holder redeeming at many stores within minutes", async () => {
    const b = await redemptionBrand();
    const stores = [b.store.id];
    for (const name of ["二店", "三店"]) stores.push((await api("/stores", { method: "POST", token: b.adminKey, json: { name } })).body.id);
    for (const s of stores) {
      const v = await issue(b.tenant.id, b.productId, "buyer_roaming");
      expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: s })).status).toBe(200);
    }
    const risk = await api("/risk-events", { token: b.adminKey });
    expect(risk.body.events).toEqual([expect.objectContaining({ kind: "holder_multi_store", subject: "buyer_roaming" })]);
  });
});

describe("void", () => {
  it("voids an issued voucher once, records it, and redemption then refuses it", async () => {
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    const voided = await api(`/vouchers/${v.code}/void`, { method: "POST", token: b.adminKey, json: { reason: "误发" } });
    expect(voided.status).toBe(200);
    expect(voided.body.status).toBe("voided");
    expect(voided.body.secret).toBeUndefined();
    expect((await api(`/vouchers/${v.code}/void`, { method: "POST", token: b.adminKey, json: { reason: "again" } })).status).toBe(409);
    expect((await api(`/vouchers/${v.code}/void`, { method: "POST", token: b.redeemerKey, json: { reason: "x" } })).status).toBe(403);
    expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id })).body.error.code).toBe("voucher_voided");
    expect((await api(`/provenance/${v.code}`)).body.status).toBe("voided");
  });
});

describe("store far above its norm", () => {
  it("flags a store redeeming 30 in ten minutes against a quiet week", async () => {
    const b = await redemptionBrand();
    // A quiet norm: 7 redemptions spread over the past week.
    for (let d = 1; d <= 7; d++) {
      await env.DB.prepare(
        `INSERT INTO redemptions (id, tenant_id, api_key_id, idempotency_key, request_hash, outcome, http_status, response, store_id, created_at)
         VALUES (?, ?, ?, ?, 'h', 'succeeded', 200, '{}', ?, ?)`,
      )
        .bind(`rdm_hist${d}${b.tenant.id}`, b.tenant.id, b.redeemerKeyId, `hist-${d}`, b.store.id, new Date(Date.now() - d * 86_400_000).toISOString())
        .run();
    }
    const vouchers = [];
    for (let i = 0; i < 30; i++) vouchers.push(await issue(b.tenant.id, b.productId, `buyer_${i}`));
    for (const [i, v] of vouchers.entries()) {
      expect((await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id })).status).toBe(200);
      if (i === 28) expect((await api("/risk-events", { token: b.adminKey })).body.events).toEqual([]);
    }
    const risk = await api("/risk-events", { token: b.adminKey });
    expect(risk.body.events).toEqual([expect.objectContaining({ kind: "store_spike", subject: b.store.id })]);
    expect(risk.body.events[0].detail).toMatchObject({ windowCount: 30 });
  }, 60_000);
});

describe("bad input", () => {
  it("answers 400 with field paths and records nothing", async () => {
    const b = await redemptionBrand();
    const v = await issue(b.tenant.id, b.productId);
    const both = await redeemReq(b.redeemerKey, { code: v.code, secret: "ABCD-EFGH", storeId: b.store.id });
    expect(both.status).toBe(400);
    expect(both.body.error.issues.map((i: { path: string }) => i.path)).toContain("json.code");
    const neg = await redeemReq(b.redeemerKey, { code: v.code, storeId: b.store.id, orderAmountCents: -1 });
    expect(neg.body.error.issues.map((i: { path: string }) => i.path)).toContain("json.orderAmountCents");
    const noStore = await redeemReq(b.redeemerKey, { code: v.code });
    expect(noStore.status).toBe(400);
    expect(noStore.body.error.code).toBe("store_required");
    const raw = await api("/redemptions", { method: "POST", token: b.redeemerKey, headers: { "idempotency-key": "raw-body-0001", "content-type": "application/json" }, body: "{nope" });
    expect(raw.status).toBe(400);
    expect((await api("/voucher-status?codes=")).status).toBe(400);
    expect((await api(`/voucher-status?codes=${Array.from({ length: 51 }, (_, i) => `vc_${i}xxxx`).join(",")}`)).status).toBe(400);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM redemptions WHERE tenant_id = ?").bind(b.tenant.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
    expect((await env.DB.prepare("SELECT status FROM vouchers WHERE id = ?").bind(v.id).first<{ status: string }>())!.status).toBe("issued");
  });
});
