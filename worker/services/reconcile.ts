/**
 * Daily reconciliation (对账): for a tenant, a source (a payment provider or a supplier) and a day in China time,
 * our books against the counterparty's statement. The matcher is worker/domain/reconcile.ts; this decides which of
 * our records belong to the day, stores the run and its items, and records the events.
 */
import type { ReconItem, ReconRun } from "../../schema/reconcile";
import { ApiError } from "../errors";
import { newId, sha256Hex } from "../domain/crypto";
import { isDevelopment } from "../domain/deploy-config";
import { reconcile, theirLineProblem, type OurRecord, type ReconResult, type ReconTotals, type TheirLine } from "../domain/reconcile";
import { toCsv } from "../domain/statement-csv";
import {
  activeSuppliersOfTenant, claimCronDay, countOpenItemsStmt, deleteOpenItemsStmt, deliveriesBetween, deliveriesOfOrders, getItem, getRun, getSupplier,
  insertItemStmt, listItems, listRuns, paymentProvidersOfTenant, paymentsByIds, resolveItemStmt, succeededPaymentsBetween, tenantsToReconcile, upsertRunStmt,
  type DeliveryRow, type ReconItemRow, type ReconRunRow,
} from "../db/reconcile";
import type { PaymentRow } from "../db/payments";
import { providerFor } from "../payments/provider-registry";
import type { PaymentProvider, StatementLine } from "../payments/provider";
import { chinaDayRange, sandboxProvider } from "../payments/sandbox";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { fetchSupplierStatement, parseSupplierStatement } from "../suppliers/statement";
import { supplierCredentials } from "../suppliers/factory";

/**
 * Our record is booked when our side completes it (payments.completed_at, the supplier attempt's time), which is a
 * moment after the counterparty booked it: a callback landing just after midnight belongs to the previous day's
 * statement. So a record completed within EDGE_MS after a day's end is matched on that day when the statement lists
 * it, and one completed within EDGE_MS after a day's start that this day's statement lacks is looked up in the
 * previous day's statement before it is called missing.
 */
export const EDGE_MS = 15 * 60_000;
/** China-time hour after which the cron reconciles the previous day (gateways publish the day's bill by then). */
export const CRON_HOUR_CHINA = 10;

type Trigger = ReconRunRow["trigger"];
interface Counterparty {
  /** The day's statement lines; `text` is an uploaded file to read instead of downloading. */
  statement(day: string, text?: string): Promise<TheirLine[]>;
  /** Our records completed in [from, to), and ours that the given statement refs name. */
  ours(from: string, to: string): Promise<OurRecord[]>;
  oursByRefs(refs: string[]): Promise<OurRecord[]>;
}

const fromLine = (l: StatementLine): TheirLine => ({ kind: l.kind, ref: l.merchantRef, externalRef: l.gatewayRef, amountCents: l.amountCents, feeCents: l.feeCents, at: l.at });
const fromPayment = (p: PaymentRow): OurRecord => ({
  kind: p.kind === "refund" ? "refund" : "payment", ref: p.id, ...(p.kind === "charge" ? { orderRef: p.order_id } : {}), amountCents: p.amount_cents, at: p.completed_at ?? p.created_at,
});
// The supplier knows our order line as `${orderId}:${productId}` (worker/services/suppliers.ts). Our side is what the
// supplier said it charged when it delivered (a live price moves away from the configured cost); only a supplier that
// did not say is expected to bill the configured cost × quantity.
const fromDelivery = (d: DeliveryRow): OurRecord => ({
  kind: "delivery", ref: `${d.order_id}:${d.product_id}`, amountCents: d.charged_cents ?? (d.cost_cents ?? 0) * d.quantity, at: d.created_at,
});

async function paymentProvider(env: Env, tenantId: string, name: string): Promise<PaymentProvider | null> {
  // The sandbox's statement is per tenant: built with the tenant here (the registry's sandbox serves callbacks).
  if (name === "sandbox") return isDevelopment(env) ? sandboxProvider(env, tenantId) : null;
  return providerFor(env, name, tenantId);
}

async function counterparty(env: Env, tenantId: string, source: string): Promise<Counterparty | null> {
  const [type, name] = [source.slice(0, source.indexOf(":")), source.slice(source.indexOf(":") + 1)];
  if (type === "payment") {
    const provider = await paymentProvider(env, tenantId, name);
    if (!provider) return null;
    return {
      async statement(day, text) {
        return provider.parseStatement(text ?? (await provider.downloadStatement(day))).map(fromLine);
      },
      ours: async (from, to) => (await succeededPaymentsBetween(env.DB, tenantId, name, from, to)).map(fromPayment),
      oursByRefs: async (refs) => (await paymentsByIds(env.DB, tenantId, refs)).filter((p) => p.provider === name && p.status === "succeeded").map(fromPayment),
    };
  }
  const supplier = await getSupplier(env.DB, tenantId, name);
  if (!supplier) return null;
  return {
    async statement(day, text) {
      return parseSupplierStatement(text ?? (await fetchSupplierStatement(supplier.base_url, await supplierCredentials(env, supplier), day)));
    },
    ours: async (from, to) => (await deliveriesBetween(env.DB, tenantId, supplier.id, from, to)).map(fromDelivery),
    oursByRefs: async (refs) => {
      const orderIds = [...new Set(refs.map((r) => r.split(":")[0]!))];
      const wanted = new Set(refs);
      return (await deliveriesOfOrders(env.DB, tenantId, supplier.id, orderIds)).map(fromDelivery).filter((r) => wanted.has(r.ref));
    },
  };
}

/** Our side of the day: records completed that day or just after its end, plus those the statement names. */
async function oursForDay(cp: Counterparty, day: string, theirs: TheirLine[]): Promise<OurRecord[]> {
  const [from, to] = chinaDayRange(day);
  const edgeEnd = new Date(Date.parse(to) + EDGE_MS).toISOString();
  const leadEnd = new Date(Date.parse(from) + EDGE_MS).toISOString();
  const listed = new Set(theirs.map((l) => `${l.kind}:${l.ref}`));
  const inWindow = await cp.ours(from, edgeEnd);
  const seen = new Set(inWindow.map((r) => `${r.kind}:${r.ref}`));
  const named = (await cp.oursByRefs([...new Set(theirs.map((l) => l.ref))])).filter((r) => listed.has(`${r.kind}:${r.ref}`) && !seen.has(`${r.kind}:${r.ref}`));
  // Completed just after the day's end and not on this statement: the next day's run owns it.
  let ours = [...inWindow.filter((r) => r.at < to || listed.has(`${r.kind}:${r.ref}`)), ...named];
  const leading = ours.filter((r) => r.at < leadEnd && !listed.has(`${r.kind}:${r.ref}`));
  if (leading.length) {
    // Completed just after midnight but booked by them the day before: matched by the previous day's run.
    const prev = previousChinaDay(Date.parse(from) + 3_600_000);
    const before = new Set((await cp.statement(prev).catch(() => [] as TheirLine[])).map((l) => `${l.kind}:${l.ref}`));
    ours = ours.filter((r) => !(r.at < leadEnd && before.has(`${r.kind}:${r.ref}`) && !listed.has(`${r.kind}:${r.ref}`)));
  }
  return ours;
}

const itemId = async (runId: string, kind: string, side: string, ref: string) => `rci_${(await sha256Hex(`${runId}|${kind}|${side}|${ref}`)).slice(0, 24)}`;

async function store(env: Env, tenantId: string, source: string, day: string, trigger: Trigger, startedAt: string, outcome: { result: ReconResult } | { error: string }) {
  const db = env.DB;
  const result = "result" in outcome ? outcome.result : null;
  const run = (await upsertRunStmt(db, {
    id: newId("rcn"), tenant_id: tenantId, source, day, trigger, status: result ? "done" : "failed", error: result ? null : (outcome as { error: string }).error.slice(0, 500),
    totals: result ? JSON.stringify(result.totals) : "{}", matched: result?.totals.matched.count ?? 0, started_at: startedAt, finished_at: new Date().toISOString(),
  }).first<ReconRunRow>())!;
  const mismatches = (result?.mismatches ?? []).slice(0, 2000);
  const items = await Promise.all(mismatches.map(async (m) => ({ ...m, id: await itemId(run.id, m.kind, m.side, m.ref) })));
  const t = result?.totals;
  await db.batch([
    // A failed download keeps the items of the last good run: nothing was learned that replaces them.
    ...(result ? [deleteOpenItemsStmt(db, tenantId, run.id)] : []),
    ...items.map((m) => insertItemStmt(db, { id: m.id, tenant_id: tenantId, run_id: run.id, kind: m.kind, side: m.side, ref: m.ref, external_ref: m.externalRef, our_cents: m.ourCents, their_cents: m.theirCents, detail: m.detail })),
    countOpenItemsStmt(db, tenantId, run.id),
    ...eventRows(env, [
      {
        tenantId, type: "recon_run_completed",
        payload: {
          runId: run.id, source, day, trigger, status: run.status, matched: t?.matched.count ?? 0, mismatches: items.length,
          ourCents: t?.ours.cents ?? 0, theirCents: t?.theirs.cents ?? 0, feeCents: t?.theirs.feeCents ?? 0, differenceCents: t?.differenceCents ?? 0,
        },
      },
      // Derived ids: an item still open after a rerun is the same item, and its event is recorded once.
      ...items.map((m) => ({
        tenantId, type: "recon_item_opened" as const, eventId: `evrci_${m.id}`,
        payload: { runId: run.id, itemId: m.id, source, day, kind: m.kind, side: m.side, ourCents: m.ourCents, theirCents: m.theirCents },
      })),
    ]),
  ]);
  await scheduleDispatch(env);
  return (await getRun(db, tenantId, run.id))!;
}

/**
 * Runs (or reruns) the reconciliation of one source for a day. `statementText` is an uploaded bill read instead of
 * downloading. A statement that cannot be fetched or read is stored as a failed run (an upload is refused with 400).
 */
export async function runReconciliation(env: Env, tenantId: string, source: string, day: string, trigger: Trigger, statementText?: string): Promise<ReconRunRow> {
  const cp = await counterparty(env, tenantId, source);
  if (!cp) throw ApiError.notFound("Reconciliation source");
  const startedAt = new Date().toISOString();
  let theirs: TheirLine[];
  try {
    theirs = await cp.statement(day, statementText);
    theirs.forEach((l, i) => {
      const problem = theirLineProblem(l);
      if (problem) throw new Error(`entry ${i + 1} (${l.externalRef || l.ref}): ${problem}`);
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (statementText !== undefined) throw ApiError.badRequest("statement_unreadable", `The file is not a ${source} statement: ${message}`, [{ path: "statement", message, code: "custom" }]);
    return store(env, tenantId, source, day, trigger, startedAt, { error: message });
  }
  const ours = await oursForDay(cp, day, theirs);
  return store(env, tenantId, source, day, trigger, startedAt, { result: reconcile(ours, theirs) });
}

/** Every source a tenant reconciles: its payment providers (the sandbox in development) and its active suppliers. */
export async function sourcesOf(env: Env, tenantId: string): Promise<string[]> {
  const providers = await paymentProvidersOfTenant(env.DB, tenantId);
  const suppliers = await activeSuppliersOfTenant(env.DB, tenantId);
  return [...providers.map((p) => `payment:${p}`), ...(isDevelopment(env) ? ["payment:sandbox"] : []), ...suppliers.map((s) => `supplier:${s.id}`)];
}

/** A day that has not begun in China time has nothing to reconcile yet: refused, so no empty "done" run is stored. */
function refuseFutureDay(day: string) {
  if (Date.parse(chinaDayRange(day)[0]) > Date.now()) {
    throw ApiError.badRequest("day_not_begun", `${day} has not begun in China time; reconcile a day once it is over`, [{ path: "json.day", message: "a day that has begun (China time)", code: "custom" }]);
  }
}

export async function runNow(env: Env, tenantId: string, day: string, source?: string) {
  refuseFutureDay(day);
  const sources = source ? [source] : await sourcesOf(env, tenantId);
  const runs: ReconRunRow[] = [];
  for (const s of sources) runs.push(await runReconciliation(env, tenantId, s, day, "api"));
  return { runs: runs.map(runView) };
}

export async function uploadStatement(env: Env, tenantId: string, input: { day: string; provider: string; statement: string }) {
  refuseFutureDay(input.day);
  return runView(await runReconciliation(env, tenantId, `payment:${input.provider}`, input.day, "upload", input.statement));
}

/** The China day before `now`. */
export function previousChinaDay(now: number) {
  return new Date(now + 8 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
}

/**
 * Cron: after CRON_HOUR_CHINA China time, the previous day for every tenant with something to reconcile, once per day
 * (the first tick claims the day in D1). Returns the runs made (none when it was not time or already done).
 */
export async function reconcileYesterday(env: Env, now = Date.now()): Promise<{ day: string; runs: { tenantId: string; source: string; runId: string }[] } | null> {
  if (new Date(now + 8 * 3_600_000).getUTCHours() < CRON_HOUR_CHINA) return null;
  const day = previousChinaDay(now);
  if (!(await claimCronDay(env.DB, day))) return null;
  const [from, to] = chinaDayRange(day);
  const runs: { tenantId: string; source: string; runId: string }[] = [];
  for (const tenantId of await tenantsToReconcile(env.DB, from, new Date(Date.parse(to) + EDGE_MS).toISOString(), isDevelopment(env))) {
    for (const source of await sourcesOf(env, tenantId)) {
      try {
        runs.push({ tenantId, source, runId: (await runReconciliation(env, tenantId, source, day, "cron")).id });
      } catch (e) {
        console.warn(JSON.stringify({ at: "reconcile", tenantId, source, day, error: e instanceof Error ? e.message : String(e) }));
      }
    }
  }
  return { day, runs };
}

export function runView(r: ReconRunRow): ReconRun {
  return {
    id: r.id, source: r.source, day: r.day, trigger: r.trigger, status: r.status, error: r.error,
    totals: r.status === "done" ? (JSON.parse(r.totals) as ReconTotals) : null, openItems: r.open_items, runs: r.runs, startedAt: r.started_at, finishedAt: r.finished_at,
  };
}

export function itemView(i: ReconItemRow): ReconItem {
  return {
    id: i.id, runId: i.run_id, kind: i.kind as ReconItem["kind"], side: i.side as ReconItem["side"], ref: i.ref, externalRef: i.external_ref, ourCents: i.our_cents,
    theirCents: i.their_cents, detail: i.detail, status: i.status, note: i.note, resolvedBy: i.resolved_by, resolvedAt: i.resolved_at, createdAt: i.created_at,
  };
}

export async function runsList(env: Env, tenantId: string, q: { day?: string; source?: string; limit: number }) {
  return { runs: (await listRuns(env.DB, tenantId, q)).map(runView) };
}

export async function runDetail(env: Env, tenantId: string, runId: string) {
  const run = await getRun(env.DB, tenantId, runId);
  if (!run) throw ApiError.notFound("Reconciliation run");
  return { run: runView(run), items: (await listItems(env.DB, tenantId, runId)).map(itemView) };
}

export async function resolveItem(env: Env, tenantId: string, itemId: string, note: string, byKeyId: string) {
  const item = await getItem(env.DB, tenantId, itemId);
  if (!item) throw ApiError.notFound("Reconciliation item");
  if (item.status === "resolved") throw ApiError.conflict("already_resolved", "This item is already resolved");
  const run = (await getRun(env.DB, tenantId, item.run_id))!;
  const [updated] = await env.DB.batch([
    resolveItemStmt(env.DB, tenantId, itemId, note, byKeyId),
    countOpenItemsStmt(env.DB, tenantId, run.id),
    ...eventRows(env, [{
      tenantId, type: "recon_item_resolved", eventId: `evrcr_${itemId}`, actor: { apiKeyId: byKeyId },
      payload: { runId: run.id, itemId, source: run.source, day: run.day, kind: item.kind },
    }], { sql: "EXISTS (SELECT 1 FROM recon_items WHERE tenant_id = ? AND id = ? AND note = ? AND status = 'resolved')", args: [tenantId, itemId, note] }),
  ]);
  const row = (updated!.results as ReconItemRow[])[0];
  if (!row) throw ApiError.conflict("already_resolved", "This item is already resolved");
  await scheduleDispatch(env);
  return itemView(row);
}

/** A run as CSV: one line per item, after the totals. */
export async function runCsv(env: Env, tenantId: string, runId: string) {
  const { run, items } = await runDetail(env, tenantId, runId);
  const t = run.totals;
  const rows: string[][] = [
    ["source", run.source, "day", run.day, "status", run.status],
    ...(t
      ? [
          ["ours_count", String(t.ours.count), "ours_cents", String(t.ours.cents), "theirs_count", String(t.theirs.count), "theirs_cents", String(t.theirs.cents), "fee_cents", String(t.theirs.feeCents), "difference_cents", String(t.differenceCents)],
          ["matched", String(t.matched.count), "missing_ours", String(t.missingOurs.count), "missing_theirs", String(t.missingTheirs.count), "amount_mismatch", String(t.amountMismatch.count), "duplicate_ours", String(t.duplicateOurs.count), "duplicate_theirs", String(t.duplicateTheirs.count)],
        ]
      : [["error", run.error ?? ""]]),
    [],
    ["item_id", "kind", "side", "ref", "external_ref", "our_cents", "their_cents", "detail", "status", "note", "resolved_at"],
    ...items.map((i) => [i.id, i.kind, i.side, i.ref, i.externalRef ?? "", i.ourCents?.toString() ?? "", i.theirCents?.toString() ?? "", i.detail, i.status, i.note ?? "", i.resolvedAt ?? ""]),
  ];
  return { body: toCsv(rows.map((r) => (r.length ? r : [""]))), filename: `recon-${run.source.replace(/[^\w-]+/g, "_")}-${run.day}.csv` };
}
