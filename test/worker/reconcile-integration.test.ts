import { env } from "cloudflare:workers";
import { chinaDay } from "../../worker/domain/china-time";
import { describe, expect, inject, it } from "vitest";
import { bookSandboxTxn } from "../../worker/db/sandbox-gateway";
import { signBody } from "../../worker/domain/signature";
import { reconcileYesterday } from "../../worker/services/reconcile";
import { fetchSupplierStatement, SUPPLIER_STATEMENT_HEADER } from "../../worker/suppliers/statement";
import { api, createTenant, recordedEvents } from "./helpers";
import { pay, rechargeShop, shop, shopWithKeys } from "./commerce-helpers";

const at = (day: string, hhmmss: string) => new Date(`${day}T${hhmmss}+08:00`).toISOString();
const nextDay = (day: string) => new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
/** A day of its own far in the past, so this file's runs and the cron's once-a-day claim meet no other test's. */
const uniqueDay = () => new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 7000) * 86_400_000).toISOString().slice(0, 10);

async function order(slug: string, productId: string, paid = true) {
  const o = await shop(slug, "/orders", { method: "POST", idem: `rc-${crypto.randomUUID()}`, json: { productId } });
  expect(o.status).toBe(201);
  if (paid) expect((await pay(o.body.checkoutUrl)).status).toBe(200);
  return { orderId: o.body.id as string, paymentId: (o.body.checkoutUrl as string).split("/").pop()! };
}

/** Moves a payment (ours) and its gateway booking to a time of the chosen day. */
async function moveTo(paymentId: string, ours: string, theirs: string) {
  await env.DB.batch([
    env.DB.prepare("UPDATE payments SET completed_at = ? WHERE id = ?").bind(ours, paymentId),
    env.DB.prepare("UPDATE sandbox_gateway_txns SET booked_at = ? WHERE merchant_ref = ?").bind(theirs, paymentId),
  ]);
}

/** The order's successful supplier attempt, once delivery recorded it. */
async function okAttempt(orderId: string) {
  for (let i = 0; i < 100; i++) {
    const a = await env.DB.prepare("SELECT supplier_id, created_at, charged_cents FROM supplier_attempts WHERE order_id = ? AND outcome = 'ok'").bind(orderId).first<{ supplier_id: string; created_at: string; charged_cents: number | null }>();
    if (a) return a;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no successful supplier attempt for ${orderId}`);
}
const sig = (items: { kind: string; ref: string }[]) => items.map((i) => `${i.kind}:${i.ref}`).sort();

describe("payment reconciliation (sandbox statement with planted mismatches)", { timeout: 90_000 }, () => {
  it("reports every planted mismatch and matches the rest; resolve, rerun, cron once a day, upload, isolation", async () => {
    const s = await shopWithKeys(8);
    const day = uniqueDay();
    const orders: { orderId: string; paymentId: string }[] = [];
    for (let i = 0; i < 5; i++) orders.push(await order(s.slug, s.productId));
    const [ok, lacking, differs, twice, late] = orders;
    for (const [i, o] of [ok, lacking, differs, twice].entries()) await moveTo(o!.paymentId, at(day, `1${i}:00:05`), at(day, `1${i}:00:00`));
    // The gateway booked it at 23:59:59, our callback landed after midnight: it belongs to this day's statement.
    await moveTo(late!.paymentId, at(nextDay(day), "00:00:03"), at(day, "23:59:59"));

    // 1. a charge we have that the gateway lacks
    await env.DB.prepare("DELETE FROM sandbox_gateway_txns WHERE merchant_ref = ?").bind(lacking!.paymentId).run();
    // 2. a charge the gateway has that we lack (the buyer paid; the callback never reached us)
    const unpaid = await order(s.slug, s.productId, false);
    await bookSandboxTxn(env.DB, { gateway_ref: `sbx_planted_${crypto.randomUUID()}`, tenant_id: s.tenant.id, kind: "payment", merchant_ref: unpaid.paymentId, payment_id: unpaid.paymentId, amount_cents: 1990, fee_cents: 12, state: "paid", payer_account: null });
    await env.DB.prepare("UPDATE sandbox_gateway_txns SET booked_at = ? WHERE merchant_ref = ?").bind(at(day, "15:00:00"), unpaid.paymentId).run();
    // 3. an amount difference
    await env.DB.prepare("UPDATE sandbox_gateway_txns SET amount_cents = amount_cents + 100 WHERE merchant_ref = ?").bind(differs!.paymentId).run();
    // 4. a duplicate: the same order charged twice, both charges at the gateway
    const second = `pay_dup_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare("INSERT INTO payments (id, tenant_id, order_id, provider, kind, amount_cents, currency, status, provider_ref, completed_at) VALUES (?, ?, ?, 'sandbox', 'charge', 1990, 'CNY', 'succeeded', ?, ?)")
      .bind(second, s.tenant.id, twice!.orderId, `sbx_dup_${second}`, at(day, "18:00:05")).run();
    await bookSandboxTxn(env.DB, { gateway_ref: `sbx_dup_${second}`, tenant_id: s.tenant.id, kind: "payment", merchant_ref: second, payment_id: second, amount_cents: 1990, fee_cents: 12, state: "paid", payer_account: null });
    await env.DB.prepare("UPDATE sandbox_gateway_txns SET booked_at = ? WHERE merchant_ref = ?").bind(at(day, "18:00:00"), second).run();

    const run1 = await api("/recon/runs", { method: "POST", token: s.adminKey, json: { day, source: "payment:sandbox" } });
    expect(run1.status).toBe(200);
    const run = run1.body.runs[0];
    expect(run).toMatchObject({ source: "payment:sandbox", day, status: "done", trigger: "api", openItems: 4, runs: 1 });
    expect(run.totals).toMatchObject({
      matched: { count: 4, cents: 4 * 1990 }, missingTheirs: { count: 1, cents: 1990 }, missingOurs: { count: 1, cents: 1990 },
      amountMismatch: { count: 1, ourCents: 1990, theirCents: 2090 }, duplicateOurs: { count: 1, cents: 1990 },
    });
    expect(run.totals.ours).toEqual({ count: 6, cents: 6 * 1990 });
    expect(run.totals.theirs).toMatchObject({ count: 6, cents: 5 * 1990 + 2090 });
    const detail = await api(`/recon/runs/${run.id}`, { token: s.adminKey });
    expect(sig(detail.body.items)).toEqual(sig([
      { kind: "missing_theirs", ref: lacking!.paymentId }, { kind: "missing_ours", ref: unpaid.paymentId },
      { kind: "amount_mismatch", ref: differs!.paymentId }, { kind: "duplicate_ours", ref: twice!.orderId },
    ]));
    // The late callback is this day's, so the next day's run does not miss it.
    const next = await api("/recon/runs", { method: "POST", token: s.adminKey, json: { day: nextDay(day), source: "payment:sandbox" } });
    expect(next.body.runs[0]).toMatchObject({ status: "done", openItems: 0, totals: { ours: { count: 0 }, theirs: { count: 0 } } });

    // Resolve one with a note (audited); a second resolve is a conflict.
    const missing = detail.body.items.find((i: any) => i.kind === "missing_theirs");
    const res = await api(`/recon/items/${missing.id}/resolve`, { method: "POST", token: s.adminKey, json: { note: "网关补单 #123" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "resolved", note: "网关补单 #123" });
    expect((await api(`/recon/items/${missing.id}/resolve`, { method: "POST", token: s.adminKey, json: { note: "again" } })).status).toBe(409);
    expect((await api(`/recon/items/${missing.id}/resolve`, { method: "POST", token: s.adminKey, json: { note: "" } })).body.error.issues[0].path).toBe("json.note");
    const audit = await api("/audit-log?limit=5", { token: s.adminKey });
    expect(audit.body.entries.some((e: any) => e.route === "/api/v1/recon/items/:itemId/resolve")).toBe(true);

    // Rerun: same items, the resolved one keeps its note, no copies.
    const rerun = await api("/recon/runs", { method: "POST", token: s.adminKey, json: { day, source: "payment:sandbox" } });
    expect(rerun.body.runs[0]).toMatchObject({ id: run.id, runs: 2, openItems: 3 });
    const after = (await api(`/recon/runs/${run.id}`, { token: s.adminKey })).body.items;
    expect(sig(after)).toEqual(sig(detail.body.items));
    expect(after.find((i: any) => i.id === missing.id)).toMatchObject({ status: "resolved", note: "网关补单 #123" });

    // CSV of the run.
    const csv = await api(`/recon/runs/${run.id}/csv`, { token: s.adminKey });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    for (const i of after) expect(csv.body).toContain(i.id);
    expect(csv.body).toContain("网关补单 #123");

    // Upload: the day's statement with one line listed twice → a duplicate on their side too.
    const { sandboxProvider } = await import("../../worker/payments/sandbox");
    const text = await sandboxProvider(env as Env, s.tenant.id).downloadStatement(day);
    const lines = text.trimEnd().split("\r\n");
    const dupLine = lines.find((l) => l.includes(ok!.paymentId))!;
    const up = await api("/recon/uploads", { method: "POST", token: s.adminKey, json: { day, provider: "sandbox", statement: `${text}${dupLine}\r\n` } });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ id: run.id, trigger: "upload", openItems: 4 });
    const upItems = (await api(`/recon/runs/${run.id}`, { token: s.adminKey })).body.items;
    expect(upItems.filter((i: any) => i.kind === "duplicate_theirs").map((i: any) => i.ref)).toEqual([ok!.paymentId]);
    expect((await api("/recon/uploads", { method: "POST", token: s.adminKey, json: { day, provider: "sandbox", statement: "not,a,bill\n" } })).status).toBe(400);
    // A bill in the right shape with an amount that is not whole cents, or a kind the gateway never writes, is refused
    // whole: the stored run keeps what it had.
    const [head, first] = lines;
    const cells = first!.split(",");
    for (const [at, value] of [[3, "abc"], [3, "99999999999999999999999"], [4, "1.5"], [2, "charge"], [3, "-1990"], [4, "-12"], [5, "yesterday"], [1, ""]] as const) {
      const forged = [...cells];
      forged[at] = value;
      const refused = await api("/recon/uploads", { method: "POST", token: s.adminKey, json: { day, provider: "sandbox", statement: `${head}\r\n${forged.join(",")}\r\n` } });
      expect([refused.status, refused.body.error.code]).toEqual([400, "statement_unreadable"]);
    }
    expect((await api(`/recon/runs/${run.id}`, { token: s.adminKey })).body.run).toMatchObject({ trigger: "upload", openItems: 4 });
    // A day that has not begun has nothing to reconcile: refused, nothing stored.
    const future = await api("/recon/runs", { method: "POST", token: s.adminKey, json: { day: "2099-01-01" } });
    expect([future.status, future.body.error.code, future.body.error.issues[0].path]).toEqual([400, "day_not_begun", "json.day"]);
    expect((await api("/recon/runs?day=2099-01-01", { token: s.adminKey })).body.runs).toEqual([]);

    // The cron: after 10:00 China time the next day, once.
    const tenAm = Date.parse(`${nextDay(day)}T10:30:00+08:00`);
    expect(await reconcileYesterday(env as Env, Date.parse(`${nextDay(day)}T09:30:00+08:00`))).toBeNull();
    const cron = await reconcileYesterday(env as Env, tenAm);
    expect(cron?.day).toBe(day);
    expect(cron!.runs.filter((r) => r.tenantId === s.tenant.id)).toEqual([{ tenantId: s.tenant.id, source: "payment:sandbox", runId: run.id }]);
    expect(await reconcileYesterday(env as Env, tenAm + 3_600_000)).toBeNull();
    expect((await api(`/recon/runs/${run.id}`, { token: s.adminKey })).body.run).toMatchObject({ trigger: "cron", runs: 4, openItems: 3 });

    // Events the warehouse sees.
    const events = await recordedEvents(s.tenant.id);
    expect(events.filter((e) => e.type === "recon_run_completed").length).toBeGreaterThanOrEqual(4);
    expect(events.filter((e) => e.type === "recon_item_opened").map((e) => (e.payload as any).kind).sort()).toEqual(["amount_mismatch", "duplicate_ours", "duplicate_theirs", "missing_ours", "missing_theirs"]);
    expect(events.filter((e) => e.type === "recon_item_resolved")).toHaveLength(1);

    // Another tenant sees none of it and cannot resolve it.
    const other = await createTenant();
    expect((await api(`/recon/runs/${run.id}`, { token: other.adminKey })).status).toBe(404);
    expect((await api(`/recon/runs/${run.id}/csv`, { token: other.adminKey })).status).toBe(404);
    const open = after.find((i: any) => i.status === "open");
    expect((await api(`/recon/items/${open.id}/resolve`, { method: "POST", token: other.adminKey, json: { note: "x" } })).status).toBe(404);
    expect((await api(`/recon/runs?day=${day}`, { token: other.adminKey })).body.runs).toEqual([]);
    const theirs = await api("/recon/runs", { method: "POST", token: other.adminKey, json: { day, source: "payment:sandbox" } });
    expect(theirs.body.runs[0]).toMatchObject({ openItems: 0, totals: { ours: { count: 0 }, theirs: { count: 0 } } });
  });
});

describe("supplier reconciliation (signed statement from the supplier sandbox)", { timeout: 60_000 }, () => {
  it("matches deliveries against what the supplier said it charged: a bill above that, and orders we never placed", async () => {
    const s = await rechargeShop();
    const o = await shop(s.tenant.slug, "/orders", { method: "POST", idem: `rc-${crypto.randomUUID()}`, json: { productId: s.productId, rechargeAccount: "13800138000" } });
    expect((await pay(o.body.checkoutUrl)).status).toBe(200);
    const attempt = await okAttempt(o.body.id);
    const day = chinaDay(attempt.created_at);
    // We route at a configured cost of 29.00; the supplier charges its own live price (29.70) and says so in its answer.
    expect(attempt.charged_cents).toBe(2970);
    const ref = `${o.body.id}:${s.productId}`;
    const run = async () => {
      const r = await api("/recon/runs", { method: "POST", token: s.adminKey, json: { day, source: `supplier:${attempt.supplier_id}` } });
      expect(r.status).toBe(200);
      return { run: r.body.runs[0], items: (await api(`/recon/runs/${r.body.runs[0].id}`, { token: s.adminKey })).body.items };
    };
    // Billed what it said it charged: matched, although the configured cost differs.
    const first = await run();
    expect(first.items).toEqual([]);
    expect(first.run).toMatchObject({ status: "done", openItems: 0, totals: { matched: { count: 1 }, ours: { count: 1, cents: 2970 }, theirs: { count: 1, cents: 2970 } } });

    // The supplier bills an order we never sent it, and bills ours above what it told us.
    const stray = `ord_stray_${crypto.randomUUID().slice(0, 8)}:${s.productId}`;
    for (const [orderRef, costCents] of [[stray, 2990], [ref, 3070]] as const) {
      const body = JSON.stringify({ orderRef, supplierRef: `cheap-${orderRef.slice(4, 14)}`, sku: "PHONE-30", quantity: 1, costCents, at: attempt.created_at });
      const book = await fetch(`${inject("supplierUrl")}/${s.cheap}/admin/book`, { method: "POST", headers: { "x-supplier-signature": await signBody("test-supplier-sandbox-secret", body) }, body });
      expect(book.status).toBe(200);
    }
    const { run: r, items } = await run();
    expect(sig(items)).toEqual(sig([{ kind: "amount_mismatch", ref }, { kind: "missing_ours", ref: stray }]));
    expect(items.find((i: any) => i.kind === "amount_mismatch")).toMatchObject({ ourCents: 2970, theirCents: 3070, side: "delivery" });
    expect(r).toMatchObject({ status: "done", openItems: 2, totals: { ours: { count: 1, cents: 2970 }, theirs: { count: 2, cents: 3070 + 2990 } } });
    // Every source at once: the sandbox gateway and both suppliers.
    const all = await api("/recon/runs", { method: "POST", token: s.adminKey, json: { day } });
    expect(all.body.runs.map((x: any) => x.source.split(":")[0]).sort()).toEqual(["payment", "supplier", "supplier"]);
    expect((await api("/recon/runs", { method: "POST", token: s.adminKey, json: { day, source: "supplier:sup_nope" } })).status).toBe(404);
  });

  it("reconciles a bundle's recharge line under the reference the supplier knows (the component), at its charge", async () => {
    const s = await rechargeShop();
    const coupon = await api("/products", {
      method: "POST", token: s.adminKey,
      json: { kind: "coupon", name: "满100减20券", priceCents: 0, faceValueCents: 2000, scope: "全场通用", validity: { kind: "relative", days: 7 }, stockTotal: 10, config: { coupon: { thresholdCents: 10000, discountCents: 2000 } } },
    });
    expect((await api(`/products/${coupon.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const b = await api("/products", {
      method: "POST", token: s.adminKey,
      json: {
        kind: "bundle", name: "话费双充包", priceCents: 5900, faceValueCents: 6000, validity: { kind: "relative", days: 1 }, scope: "大陆手机号", stockTotal: 10,
        config: { bundle: { items: [{ productId: s.productId, quantity: 2 }, { productId: coupon.body.id, quantity: 1 }] } },
      },
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    expect((await api(`/products/${b.body.id}/status`, { method: "POST", token: s.adminKey, json: { status: "published" } })).status).toBe(200);
    const o = await shop(s.tenant.slug, "/orders", { method: "POST", idem: `rc-${crypto.randomUUID()}`, json: { productId: b.body.id, rechargeAccount: "13800138000" } });
    expect(o.status).toBe(201);
    expect((await pay(o.body.checkoutUrl)).status).toBe(200);
    const attempt = await okAttempt(o.body.id);
    const r = await api("/recon/runs", { method: "POST", token: s.adminKey, json: { day: chinaDay(attempt.created_at), source: `supplier:${attempt.supplier_id}` } });
    expect((await api(`/recon/runs/${r.body.runs[0].id}`, { token: s.adminKey })).body.items).toEqual([]);
    expect(r.body.runs[0]).toMatchObject({ openItems: 0, totals: { matched: { count: 1 }, ours: { count: 1, cents: 2 * 2970 }, theirs: { count: 1, cents: 2 * 2970 } } });
  });

  it("downloads the statement from suppliers that sign their query parameters (sorted params + MD5) or the path (HMAC headers)", async () => {
    const day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    // The sandbox's demo suppliers verify the demo seed's keys (scripts/lib/supplier-app.ts): the day is signed.
    for (const [name, creds] of [
      ["cheapco", { scheme: "sorted_md5", appId: "kaquan-demo", secret: "cheapco-sandbox-md5-key-2026" }],
      ["steadyco", { scheme: "hmac_header", appId: "kaquan-demo", secret: "steadyco-sandbox-hmac-key-2026" }],
    ] as const) {
      const csv = await fetchSupplierStatement(`${inject("supplierUrl")}/${name}`, creds, day);
      expect(csv.split(/\r?\n/)[0]).toBe(SUPPLIER_STATEMENT_HEADER.join(","));
    }
  });
});
