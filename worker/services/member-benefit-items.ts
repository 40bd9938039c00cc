/**
 * Issuing a benefit's items as free orders, and the items that could not be issued (sold out, gone): each is kept
 * owed (member_benefits_owed, migration 0223) with one `alert` to the brand, and tried again by later cron runs until
 * the period it belongs to ends; one still owed then is kept as the record with a second alert (the member missed it:
 * the brand owes them). Every item keeps its derived Idempotency-Key, so nothing is issued twice.
 */
import { lapseOwedItemStmt, owedIssuedStmts, owedItemStmt, owedItemsDue, owedItemsLapsing, owedRetryLaterStmt, productIssuable, type OwedItem, type OwedRow } from "../db/membership";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch } from "../queue/emit";
import { createOrder } from "./orders";

export type Missed = { item: number; productId: string; reason: string };

/** One item's free order under `key`. A benefit the brand promised is not a purchase: no per-buyer limit (限购). */
const issueItem = (env: Env, tenantId: string, buyerId: string, productId: string, key: string, source: string) =>
  createOrder(env, { tenantId, buyerId, productId, idempotencyKey: key, source, unitPriceCents: 0, requirePublished: false, purchaseLimit: false });

/** Free orders for these products, one per product under `keyBase.<n>`: a rerun returns the same orders. */
export async function issueItems(env: Env, tenantId: string, buyerId: string, productIds: string[], keyBase: string, source: string) {
  const ids: string[] = [];
  const missed: Missed[] = [];
  for (const [item, productId] of productIds.entries()) {
    try {
      ids.push((await issueItem(env, tenantId, buyerId, productId, `${keyBase}.${item}`, source)).order.id);
    } catch (e) {
      // Sold out or gone: the rest of the pack still goes out; this item is kept owed (owedStmts).
      if (!(e instanceof ApiError)) throw e;
      missed.push({ item, productId, reason: e.code });
    }
  }
  return { ids, missed };
}

/** For the batch that writes the period's member_benefits row: each missed item owed, and its alert once. */
export function owedStmts(env: Env, base: Omit<OwedItem, "item" | "productId" | "reason">, missed: Missed[], now: Date): D1PreparedStatement[] {
  return missed.flatMap((x) => [
    owedItemStmt(env.DB, { ...base, ...x }, now.toISOString()),
    ...eventRows(env, [{
      eventId: `evmbo_${base.memberId}_${base.kind}_${base.period}_${x.item}`, tenantId: base.tenantId, type: "alert",
      payload: { kind: "member_benefit_unissued", productId: x.productId, memberId: base.memberId, benefit: base.kind, period: base.period, reason: x.reason, retryUntil: base.until },
    }], { sql: "changes() = 1", args: [] }),
  ]);
}

/** How long an owed item waits before the next try: a minute (a product checked and still empty costs one read). */
const RETRY_MS = 60_000;
/**
 * A retry's key: `<item key>.r<n>`, the next one only after a try under it failed. Never the item's first key: an
 * order refused as sold out under a key answers sold_out to that key for ever (services/orders.ts repeat).
 */
const keyOf = (o: OwedRow) => `${o.key_base}.${o.item}.r${o.attempt + 1}`;

/** One pass over the owed items due: each issued at most once, the rest waiting for their product's stock. */
export async function retryOwedItems(env: Env, now = new Date()) {
  await lapseEnded(env, now);
  const rows = await owedItemsDue(env.DB, now.toISOString());
  const issuable = new Map<string, Promise<boolean>>();
  const later = new Date(now.getTime() + RETRY_MS).toISOString();
  let issued = 0;
  for (const o of rows) {
    const pk = `${o.tenant_id}|${o.product_id}`;
    if (!issuable.has(pk)) issuable.set(pk, productIssuable(env.DB, o.tenant_id, o.product_id));
    // Checked first: an order tried on an empty counted product is written, then cancelled, and burns its key.
    if (!(await issuable.get(pk))) {
      await owedRetryLaterStmt(env.DB, o, later, "sold_out", false).run();
      continue;
    }
    try {
      const res = await issueItem(env, o.tenant_id, o.buyer_id, o.product_id, keyOf(o), `member:${o.kind}`);
      await env.DB.batch(owedIssuedStmts(env.DB, o, res.order.id));
      issued++;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      issuable.set(pk, Promise.resolve(false));
      await owedRetryLaterStmt(env.DB, o, later, e.code, true).run();
    }
  }
  if (issued) await scheduleDispatch(env);
  return issued;
}

/**
 * Items whose period ended still owed: each leaves the due range with an alert to the brand, a page per batch (a
 * rerun after a crash finds the rest and records nothing twice: derived ids, the alert only when its batch moved the
 * row). Every page moves its rows out, so the loop ends; the minute after reads none of them.
 */
async function lapseEnded(env: Env, now: Date) {
  for (let page = 0; page < LAPSE_PAGES; page++) {
    const rows = await owedItemsLapsing(env.DB, now.toISOString(), LAPSE_PAGE);
    if (!rows.length) break;
    await env.DB.batch(rows.flatMap((o) => [
      lapseOwedItemStmt(env.DB, o),
      ...eventRows(env, [{
        eventId: `evmbl_${o.member_id}_${o.kind}_${o.period}_${o.item}`, tenantId: o.tenant_id, type: "alert",
        payload: { kind: "member_benefit_lapsed", productId: o.product_id, memberId: o.member_id, benefit: o.kind, period: o.period, reason: o.reason, until: o.until },
      }], { sql: "changes() = 1", args: [] }),
    ]));
    await scheduleDispatch(env);
    if (rows.length < LAPSE_PAGE) break;
  }
}
const LAPSE_PAGE = 100;
// A month's end for a large brand whose pack item was gone all month; the rest waits for the next minute.
const LAPSE_PAGES = 100;
