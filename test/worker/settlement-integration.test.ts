import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkStatement, nextPeriod, periodOf } from "../../worker/domain/settlement";
import { chinaDay } from "../../worker/domain/china-time";
import { closeDueSettlements, closeOnDemand } from "../../worker/services/settlements";
import { pay, shop, shopWithKeys } from "./commerce-helpers";
import { api, createTenant, recordedOfType } from "./helpers";

async function buy(slug: string, productId: string, quantity: number) {
  const o = await shop(slug, "/orders", { method: "POST", idem: `stl-${crypto.randomUUID()}`, json: { productId, quantity } });
  expect(o.status).toBe(201);
  const paid = await pay(o.body.checkoutUrl);
  expect(paid.status).toBe(200);
  return o.body.id as string;
}

const DAY = 86_400_000;
const after = (p: { toUtc: string }) => new Date(Date.parse(p.toUtc) + 3_600_000);

describe("settlement between a 卡盟 and the brand issuing its rights", { timeout: 120_000 }, () => {
  it("agreement accepted by the issuer; statements from the ledger, refunds after close in the next period, idempotent, both parties only", async () => {
    const seller = await shopWithKeys(5);
    const brand = await createTenant("权益品牌");
    const stranger = await createTenant("别家");
    const today = chinaDay(new Date());
    const w0 = periodOf("week", today);
    const wPrev = periodOf("week", chinaDay(new Date(Date.now() - 7 * DAY)));
    const effectiveFrom = wPrev.start;

    // Proposed by the seller, refused until the issuer accepts; only the issuer may accept.
    const bad = await api("/settlements/agreements", { method: "POST", token: seller.adminKey, json: { productId: seller.productId, issuer: { kind: "tenant", tenantId: brand.tenant.id }, share: { kind: "bps", bps: 10_001 }, effectiveFrom } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path)).toContain("json.share.bps");
    const proposed = await api("/settlements/agreements", {
      method: "POST", token: seller.adminKey,
      json: { productId: seller.productId, issuer: { kind: "tenant", tenantId: brand.tenant.id }, share: { kind: "bps", bps: 3000 }, periodKind: "week", effectiveFrom },
    });
    expect(proposed.status).toBe(201);
    const id = proposed.body.id as string;
    expect(proposed.body).toMatchObject({ status: "proposed", role: "seller", issuer: { kind: "tenant", id: brand.tenant.id, name: "权益品牌" } });
    const overlap = await api("/settlements/agreements", { method: "POST", token: seller.adminKey, json: { productId: seller.productId, issuer: { kind: "external", id: "acme", name: "Acme" }, share: { kind: "per_unit", unitCostCents: 500 }, effectiveFrom: today } });
    expect(overlap.status).toBe(409);
    expect((await api("/settlements/statements/close", { method: "POST", token: seller.adminKey, json: { agreementId: id } })).body.error.code).toBe("agreement_not_accepted");
    expect((await api(`/settlements/agreements/${id}/accept`, { method: "POST", token: seller.adminKey })).status).toBe(403);
    expect((await api(`/settlements/agreements/${id}/accept`, { method: "POST", token: stranger.adminKey })).status).toBe(404);
    const listed = await api("/settlements/agreements", { token: brand.adminKey });
    expect(listed.body.agreements).toEqual([expect.objectContaining({ id, role: "issuer", status: "proposed", sellerName: "Shop" })]);
    const accepted = await api(`/settlements/agreements/${id}/accept`, { method: "POST", token: brand.adminKey });
    expect(accepted.body).toMatchObject({ status: "accepted", role: "issuer" });
    expect((await api(`/settlements/agreements/${id}/accept`, { method: "POST", token: brand.adminKey })).status).toBe(409);

    // Sales this week: 1 + 2 units at 19.90.
    const o1 = await buy(seller.slug, seller.productId, 1);
    const o2 = await buy(seller.slug, seller.productId, 2);

    // The week before closes over the route (empty), once; this week is still open.
    const prev = await api("/settlements/statements/close", { method: "POST", token: seller.adminKey, json: { agreementId: id, day: wPrev.start } });
    expect(prev.status).toBe(200);
    expect(prev.body).toMatchObject({ period: { kind: "week", start: wPrev.start, end: w0.start }, entries: [], totals: { netCents: 0 }, ledger: { afterSeq: 0, toSeq: 0 } });
    expect((await api("/settlements/statements/close", { method: "POST", token: brand.adminKey, json: { agreementId: id, day: wPrev.start } })).body.statementId).toBe(prev.body.statementId);
    expect((await api("/settlements/statements/close", { method: "POST", token: seller.adminKey, json: { agreementId: id, day: today } })).body.error.code).toBe("period_open");
    // A day far ahead is a period that has not ended either (its end once compared as text before "now"), and a day
    // that is not on the calendar is refused: nothing closes.
    expect((await api("/settlements/statements/close", { method: "POST", token: brand.adminKey, json: { agreementId: id, day: "2099-12-31" } })).body.error.code).toBe("period_open");
    for (const day of ["9999-12-31", "2026-13-45", "2026-02-30"]) {
      const refused = await api("/settlements/statements/close", { method: "POST", token: brand.adminKey, json: { agreementId: id, day } });
      expect([refused.status, refused.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([400, ["json.day"]]);
    }
    const odd = await api("/settlements/agreements", { method: "POST", token: seller.adminKey, json: { productId: seller.productId, issuer: { kind: "external", id: "acme", name: "Acme" }, share: { kind: "bps", bps: 1 }, effectiveFrom: "2026-13-45" } });
    expect([odd.status, odd.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([400, ["json.effectiveFrom"]]);
    expect((await api("/settlements/statements", { token: seller.adminKey })).body.statements.map((s: { periodStart: string }) => s.periodStart)).toEqual([wPrev.start]);

    // This week, closed as the cron would after it ends: every line and total exact, tied to the ledger.
    const s0 = await closeOnDemand(env, seller.tenant.id, { agreementId: id, day: today }, after(w0));
    expect(s0.entries.map((e) => [e.kind, e.units, e.amountCents])).toEqual([["sale", 1, 1990], ["sale", 2, 3980]]);
    expect(s0.lines).toEqual([expect.objectContaining({ agreementId: id, productId: seller.productId, units: 3, refundedUnits: 0, grossCents: 5970, refundCents: 0, netCents: 5970, issuerShareCents: 1791, sellerCents: 4179 })]);
    const ledger = (await api("/ledger/export", { token: seller.adminKey })).body;
    const hashAt = new Map(ledger.entries.map((e: { seq: number; hash: string }) => [e.seq, e.hash]));
    expect(s0.ledger.toSeq).toBe(ledger.entries.at(-1).seq);
    expect(s0.ledger.headHash).toBe(hashAt.get(s0.ledger.toSeq));
    for (const e of s0.entries) expect(hashAt.get(e.seq)).toBe(e.hash);

    // A refund after the close: the closed statement stays as it was, the next week carries the adjustment.
    expect((await api(`/orders/${o1}/refund`, { method: "POST", token: seller.adminKey, json: { reason: "buyer complaint" } })).status).toBe(200);
    // And a money-only goodwill refund on the other order: no right changes, the money is still in the statement.
    expect((await api(`/orders/${o2}/refunds`, { method: "POST", token: seller.adminKey, json: { amountCents: 500, reason: "补偿" } })).status).toBe(201);
    const again = await closeOnDemand(env, seller.tenant.id, { agreementId: id, day: today }, after(nextPeriod(w0)));
    expect(again).toEqual(s0);
    const w1 = nextPeriod(w0);
    const s1 = await closeOnDemand(env, seller.tenant.id, { agreementId: id, day: w1.start }, after(w1));
    expect(s1.ledger.afterSeq).toBe(s0.ledger.toSeq);
    expect(s1.entries.map((e) => [e.kind, e.orderId, e.units, e.amountCents])).toEqual([["refund", o1, 1, 1990], ["compensation", o2, 0, 500]]);
    expect(s1.totals).toEqual({ units: 0, refundedUnits: 1, grossCents: 0, refundCents: 1990, compensationCents: 500, netCents: -2490, issuerShareCents: -747, sellerCents: -1743 });

    // The cron closes the week after, once.
    const w2 = nextPeriod(w1);
    const cron = await closeDueSettlements(env, after(w2));
    const ours = (await api("/settlements/statements", { token: seller.adminKey })).body.statements;
    const s2 = ours.find((s: { periodStart: string }) => s.periodStart === w2.start);
    expect(cron).toContain(s2.id);
    expect(await closeDueSettlements(env, after(w2))).not.toContain(s2.id);
    expect(ours.map((s: { periodStart: string }) => s.periodStart)).toEqual([w2.start, w1.start, w0.start, wPrev.start]);

    // The issuer reads them with its own key and verifies offline against the published key; a third tenant cannot.
    const key = (await api("/settlements/public-key")).body;
    const theirs = await api("/settlements/statements", { token: brand.adminKey });
    expect(theirs.body.statements.map((s: { id: string; role: string }) => [s.id, s.role])).toEqual(ours.map((s: { id: string }) => [s.id, "issuer"]));
    const read = await api(`/settlements/statements/${s0.statementId}`, { token: brand.adminKey });
    expect(read.body).toEqual(s0);
    expect(await checkStatement(read.body, { publicKey: key.publicKey })).toEqual({ ok: true, problems: [] });
    const csv = await api(`/settlements/statements/${s1.statementId}/csv`, { token: brand.adminKey });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(String(csv.body).trim().split("\n").at(-1)).toBe("TOTAL,,,0,1,0,1990,500,-2490,-747,-1743");
    expect((await api(`/settlements/statements/${s0.statementId}`, { token: stranger.adminKey })).status).toBe(404);
    expect((await api("/settlements/statements", { token: stranger.adminKey })).body.statements).toEqual([]);
    expect((await api("/settlements/statements/close", { method: "POST", token: stranger.adminKey, json: { agreementId: id } })).status).toBe(404);

    // Each side's event stream has the agreement's steps and the closes.
    expect((await recordedOfType(brand.tenant.id, "settlement_agreement_decided")).map((e) => e.payload.decision)).toEqual(["accepted"]);
    expect((await recordedOfType(seller.tenant.id, "settlement_statement_closed")).map((e) => e.payload.periodStart)).toEqual([wPrev.start, w0.start, w1.start, w2.start]);
  });

  it("an external issuer accepts with its one-time token; a per-unit cost settles per unit", async () => {
    const seller = await shopWithKeys(3);
    const today = chinaDay(new Date());
    const a = await api("/settlements/agreements", {
      method: "POST", token: seller.adminKey,
      json: { productId: seller.productId, issuer: { kind: "external", id: "acme-rights", name: "Acme 权益" }, share: { kind: "per_unit", unitCostCents: 1500 }, periodKind: "month", effectiveFrom: today },
    });
    expect(a.body.acceptToken).toMatch(/^[A-Za-z0-9]{40}$/);
    expect((await api(`/settlements/agreements/${a.body.id}/accept-external`, { method: "POST", json: { token: "x".repeat(40) } })).status).toBe(404);
    const ok = await api(`/settlements/agreements/${a.body.id}/accept-external`, { method: "POST", json: { token: a.body.acceptToken } });
    expect(ok.body.status).toBe("accepted");
    await buy(seller.slug, seller.productId, 2);
    const s = await closeOnDemand(env, seller.tenant.id, { agreementId: a.body.id, day: today }, after(periodOf("month", today)));
    expect(s.issuer).toEqual({ kind: "external", id: "acme-rights", name: "Acme 权益" });
    expect(s.totals).toMatchObject({ units: 2, grossCents: 3980, netCents: 3980, issuerShareCents: 3000, sellerCents: 980 });
  });
});
