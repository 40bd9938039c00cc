/**
 * Targeted issuance (issue 19 item 4): one coupon product to the members of a segment's current run, or to one member
 * through the API. Each person is decided once — holdout (control group, by hash(issuance, buyer)), issued (a free
 * order under `tgt:<issuanceId>:<buyerId>`) or failed (the refusal's code) — by an issuance_people row whose insert
 * moves the counters and records targeted_issued in the same batch. The cron drives running issuances page by page
 * (buyer id order); the cursor only moves after a page, and redoing a page changes nothing, so a crash or a second
 * driver never issues twice. A refusal that means "no more" (sold out, budget spent) stops the issuance.
 */
import type { z } from "@hono/zod-openapi";
import type { DirectIssueInput, Issuance, IssuanceInput, IssuanceReport } from "../../schema/outreach";
import { newId, sha256Hex } from "../domain/crypto";
import { inHoldout } from "../domain/outreach";
import { toCsv } from "../domain/statement-csv";
import {
  advanceCursorStmt, buyerExistsRow, couponProduct, failuresByReason, finishIssuanceStmt, getIssuance, insertIssuanceStmt, listIssuances,
  memberBuyer, memberPage, messageCounts, peopleDone, personStmts, runningIssuances, runSize, segmentRow, type IssuanceRow,
} from "../db/outreach";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { outreachSettings, sendMessage } from "./messaging";
import { createOrder } from "./orders";

export const toIssuance = (r: IssuanceRow): Issuance => ({
  id: r.id, kind: r.kind, segmentId: r.segment_id, segmentName: r.segment_name ?? null, couponProductId: r.coupon_product_id, couponName: r.coupon_name ?? null,
  holdoutPct: r.holdout_pct, notify: !!r.notify, status: r.status, stopReason: r.stop_reason, total: r.total, issued: r.issued, holdout: r.holdout,
  failed: r.failed, processed: r.issued + r.holdout + r.failed, createdAt: r.created_at, finishedAt: r.finished_at,
});

const invalid = (path: string, code: string, message: string) => new ApiError(422, code, message, [{ path, message, code }]);

/** A coupon product of this brand (422 on the field otherwise). */
async function assertCoupon(env: Env, tenantId: string, productId: string, path: string) {
  const p = await couponProduct(env.DB, tenantId, productId);
  if (!p) throw invalid(path, "invalid_coupon_product", "No such product in this brand");
  if (p.kind !== "coupon") throw invalid(path, "invalid_coupon_product", "The product is not a coupon");
  return p;
}
export { assertCoupon as assertCouponProduct };

export async function startIssuance(env: Env, tenantId: string, input: z.output<typeof IssuanceInput>): Promise<Issuance> {
  const seg = await segmentRow(env.DB, tenantId, input.segmentId);
  if (!seg) throw invalid("json.segmentId", "invalid_segment", "No such segment in this brand");
  if (!seg.current_run_id) throw ApiError.conflict("segment_not_computed", "The segment has no computed members yet");
  await assertCoupon(env, tenantId, input.couponProductId, "json.couponProductId");
  const total = (await runSize(env.DB, tenantId, seg.id, seg.current_run_id))!.n;
  const id = newId("iss");
  await insertIssuanceStmt(env.DB, { id, tenantId, kind: "segment", segmentId: seg.id, runId: seg.current_run_id, couponProductId: input.couponProductId, holdoutPct: input.holdoutPct, notify: input.notify, total }).run();
  return toIssuance((await getIssuance(env.DB, tenantId, id))!);
}

export async function issuanceOf(env: Env, tenantId: string, id: string): Promise<Issuance> {
  const r = await getIssuance(env.DB, tenantId, id);
  if (!r) throw ApiError.notFound("Issuance");
  return toIssuance(r);
}
export const issuancesOf = async (env: Env, tenantId: string) => (await listIssuances(env.DB, tenantId)).map(toIssuance);

const PARALLEL = 8;
const STOP = (code: string) => code === "sold_out" || code.includes("budget");
const issuedEventId = async (issuanceId: string, buyerId: string) => `evti_${(await sha256Hex(`${issuanceId}:${buyerId}`)).slice(0, 40)}`;

type Ctx = { iss: IssuanceRow; couponName: string | null; settings: Awaited<ReturnType<typeof outreachSettings>> | null };

/** One person's decision; a person already decided is only notified again (the message row makes that a no-op). */
async function decidePerson(env: Env, c: Ctx, buyerId: string, prior: { outcome: string; order_id: string | null } | undefined): Promise<{ stop: string | null; orderId: string | null }> {
  const { iss } = c;
  const t = iss.tenant_id;
  if (prior) {
    if (prior.outcome === "issued") await notify(env, c, buyerId, prior.order_id);
    return { stop: null, orderId: prior.order_id };
  }
  const event = async (orderId: string | null, holdout: boolean) => eventRows(env, [{
    eventId: await issuedEventId(iss.id, buyerId), tenantId: t, type: "targeted_issued", actor: { userId: buyerId },
    payload: { issuanceId: iss.id, segmentId: iss.segment_id, memberId: null, couponProductId: iss.coupon_product_id, orderId, holdout },
  }], { sql: "changes() = 1", args: [] });
  if (inHoldout(iss.id, buyerId, iss.holdout_pct)) {
    await env.DB.batch([...personStmts(env.DB, t, iss.id, buyerId, "holdout", null, null), ...(await event(null, true))]);
    return { stop: null, orderId: null };
  }
  try {
    const { order } = await createOrder(env, {
      tenantId: t, buyerId, productId: iss.coupon_product_id, idempotencyKey: `tgt:${iss.id}:${buyerId}`, source: `targeted:${iss.id}`, unitPriceCents: 0, requirePublished: false,
    });
    const failed = order.status === "failed" || order.status === "cancelled";
    if (failed) {
      await env.DB.batch(personStmts(env.DB, t, iss.id, buyerId, "failed", order.id, order.failure_reason ?? order.status));
      return { stop: null, orderId: order.id };
    }
    await env.DB.batch([...personStmts(env.DB, t, iss.id, buyerId, "issued", order.id, null), ...(await event(order.id, false))]);
    await notify(env, c, buyerId, order.id);
    return { stop: null, orderId: order.id };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    await env.DB.batch(personStmts(env.DB, t, iss.id, buyerId, "failed", null, e.code));
    return { stop: STOP(e.code) ? e.code : null, orderId: null };
  }
}

async function notify(env: Env, c: Ctx, buyerId: string, orderId: string | null) {
  if (!c.iss.notify) return;
  c.settings ??= await outreachSettings(env, c.iss.tenant_id);
  await sendMessage(env, {
    tenantId: c.iss.tenant_id, buyerId, flow: "targeted", triggerKey: c.iss.id, couponName: c.couponName, couponProductId: c.iss.coupon_product_id, orderId, issuanceId: c.iss.id,
  }, c.settings);
}

/** Works through up to `pages` pages of a running issuance; answers its state after. */
export async function advanceIssuance(env: Env, tenantId: string, id: string, opts: { pages?: number; pageSize?: number; until?: number } = {}): Promise<Issuance> {
  const pageSize = opts.pageSize ?? 100;
  for (let n = 0; n < (opts.pages ?? 1); n++) {
    const iss = await getIssuance(env.DB, tenantId, id);
    if (!iss || iss.status !== "running") break;
    const c: Ctx = { iss, couponName: iss.coupon_name ?? null, settings: null };
    const page = await memberPage(env.DB, iss, pageSize);
    const done = await peopleDone(env.DB, tenantId, id, page);
    let stop: string | null = null;
    // A few people at a time (D1 serialises the batches; this overlaps the round trips). Order within a page is free:
    // the cursor moves only after the whole page.
    for (let i = 0; i < page.length && !stop; i += PARALLEL) {
      const outs = await Promise.all(page.slice(i, i + PARALLEL).map((buyerId) => decidePerson(env, c, buyerId, done.get(buyerId))));
      stop = outs.find((o) => o.stop)?.stop ?? null;
    }
    const stmts = page.length && !stop ? [advanceCursorStmt(env.DB, tenantId, id, page.at(-1)!)] : [];
    if (stop) stmts.push(finishIssuanceStmt(env.DB, tenantId, id, "stopped", stop));
    else if (page.length < pageSize) stmts.push(finishIssuanceStmt(env.DB, tenantId, id, "done", null));
    if (stmts.length) await env.DB.batch(stmts);
    if (stop || page.length < pageSize || (opts.until && Date.now() > opts.until)) break;
  }
  await scheduleDispatch(env);
  return issuanceOf(env, tenantId, id);
}

/** The cron's part: running issuances, a few pages each, within ~20 s. */
export async function driveIssuances(env: Env) {
  const until = Date.now() + 20_000;
  for (const iss of await runningIssuances(env.DB)) {
    if (Date.now() > until) break;
    await advanceIssuance(env, iss.tenant_id, iss.id, { pages: 10, until });
  }
}

/** One member through the API, idempotent by the caller's key: the same key answers the same issuance and order. */
export async function directIssue(env: Env, tenantId: string, input: z.output<typeof DirectIssueInput>) {
  const buyerId = input.memberId ? (await memberBuyer(env.DB, tenantId, input.memberId))?.buyer_id : (await buyerExistsRow(env.DB, tenantId, input.buyerId!))?.id;
  if (!buyerId) throw invalid(input.memberId ? "json.memberId" : "json.buyerId", "unknown_member", "No such member in this brand");
  const product = await assertCoupon(env, tenantId, input.couponProductId, "json.couponProductId");
  const id = `iss_d_${(await sha256Hex(`${tenantId}:${input.clientKey}`)).slice(0, 24)}`;
  const [ins] = await env.DB.batch([insertIssuanceStmt(env.DB, { id, tenantId, kind: "direct", segmentId: null, runId: null, couponProductId: product.id, holdoutPct: 0, notify: input.notify, total: 1 })]);
  const iss = (await getIssuance(env.DB, tenantId, id))!;
  const prior = (await peopleDone(env.DB, tenantId, id, [buyerId])).get(buyerId);
  const someoneElse = !prior && iss.issued + iss.failed + iss.holdout > 0;
  if (iss.coupon_product_id !== product.id || someoneElse) throw ApiError.conflict("idempotency_key_reused", "This clientKey was used for a different member or coupon");
  const r = await decidePerson(env, { iss, couponName: product.name, settings: null }, buyerId, prior);
  await finishIssuanceStmt(env.DB, tenantId, id, "done", null).run();
  await scheduleDispatch(env);
  return { issuance: await issuanceOf(env, tenantId, id), orderId: r.orderId, created: (ins!.meta.changes ?? 0) > 0 };
}

export async function issuanceReport(env: Env, tenantId: string, id: string): Promise<IssuanceReport> {
  const issuance = await issuanceOf(env, tenantId, id);
  const [failures, counts] = await Promise.all([failuresByReason(env.DB, tenantId, id), messageCounts(env.DB, tenantId, id)]);
  const of = (s: string) => counts.filter((c) => c.status === s).reduce((a, c) => a + c.count, 0);
  return { issuance, failuresByReason: failures.map((f) => ({ reason: f.reason ?? "unknown", count: f.count })), messages: { sent: of("sent"), deferred: of("deferred"), suppressed: of("suppressed") } };
}

/** The report as CSV: one metric per line (counts, then failures by reason, then messages); names as the brand typed them. */
export function reportCsv(r: IssuanceReport): string {
  const i = r.issuance;
  const rows: [string, string | number | null][] = [
    ["issuance", i.id], ["segment", i.segmentName ?? i.segmentId], ["coupon", i.couponName ?? i.couponProductId], ["status", i.status], ["stop_reason", i.stopReason],
    ["total", i.total], ["issued", i.issued], ["holdout", i.holdout], ["failed", i.failed], ["holdout_pct", i.holdoutPct],
    ...r.failuresByReason.map((f): [string, number] => [`failed:${f.reason}`, f.count]),
    ["messages_sent", r.messages.sent], ["messages_deferred", r.messages.deferred], ["messages_suppressed", r.messages.suppressed],
  ];
  return toCsv([["metric", "value"], ...rows.map(([k, v]) => [k, v === null ? "" : String(v)])]);
}
