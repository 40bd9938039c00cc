/**
 * The reconciliation matcher (对账): our records of a day against the counterparty's statement lines. Pure: the
 * service decides which records belong to the day; this only pairs them by (kind, ref) and reports the differences.
 */
export type ReconSide = "payment" | "refund" | "delivery";

export interface OurRecord {
  kind: ReconSide;
  /** The id both sides know: our payment / refund id (out_trade_no), or the order ref we sent the supplier. */
  ref: string;
  /** Our order, when two records of one order are a duplicate (an order charged or delivered twice). */
  orderRef?: string;
  amountCents: number;
  at: string;
}

export interface TheirLine {
  kind: ReconSide;
  ref: string;
  /** Their own id (gateway transaction id, supplier order id). */
  externalRef: string;
  amountCents: number;
  feeCents: number;
  at: string;
}

/**
 * What is wrong with a statement line once its format's parser has read it, or null: every format's amounts and fees
 * are whole, non-negative cents (refunds included) and its booking time a real instant. A bill that breaks this is
 * refused whole, never half-matched.
 */
export function theirLineProblem(l: TheirLine): string | null {
  if (!Number.isSafeInteger(l.amountCents) || l.amountCents < 0) return `amount ${l.amountCents} is not a non-negative number of cents`;
  if (!Number.isSafeInteger(l.feeCents) || l.feeCents < 0) return `fee ${l.feeCents} is not a non-negative number of cents`;
  if (!l.ref) return "no merchant reference";
  if (typeof l.at !== "string" || Number.isNaN(Date.parse(l.at))) return `booking time ${JSON.stringify(l.at)} is not a time`;
  return null;
}

export type MismatchKind = "missing_ours" | "missing_theirs" | "amount_mismatch" | "duplicate_ours" | "duplicate_theirs";
export const MISMATCH_KINDS: MismatchKind[] = ["missing_ours", "missing_theirs", "amount_mismatch", "duplicate_ours", "duplicate_theirs"];

export interface Mismatch {
  kind: MismatchKind;
  side: ReconSide;
  /** The record's ref; for a duplicate order on our side, the order ref. */
  ref: string;
  externalRef: string | null;
  ourCents: number | null;
  theirCents: number | null;
  detail: string;
}

export interface Tally {
  count: number;
  cents: number;
}

export interface ReconTotals {
  /** Net cents (payments and deliveries positive, refunds negative) of every record on each side. */
  ours: Tally;
  theirs: Tally & { feeCents: number };
  matched: Tally;
  missingOurs: Tally;
  missingTheirs: Tally;
  amountMismatch: Tally & { ourCents: number; theirCents: number };
  duplicateOurs: Tally;
  duplicateTheirs: Tally;
  /** ours.cents − theirs.cents: zero when the books agree. */
  differenceCents: number;
}

export interface ReconResult {
  matched: { side: ReconSide; ref: string; externalRef: string; amountCents: number }[];
  mismatches: Mismatch[];
  totals: ReconTotals;
}

const signed = (kind: ReconSide, cents: number) => (kind === "refund" ? -cents : cents);
const keyOf = (kind: ReconSide, ref: string) => `${kind}\u0000${ref}`;
const tally = (): Tally => ({ count: 0, cents: 0 });
const add = (t: Tally, cents: number) => ((t.count += 1), (t.cents += cents));

/** Groups by (kind, ref) keeping the first occurrence; the others are duplicates. */
function group<T extends { kind: ReconSide; ref: string }>(rows: T[]) {
  const first = new Map<string, T>();
  const extra = new Map<string, T[]>();
  for (const r of rows) {
    const k = keyOf(r.kind, r.ref);
    if (!first.has(k)) first.set(k, r);
    else extra.set(k, [...(extra.get(k) ?? []), r]);
  }
  return { first, extra };
}

export function reconcile(ours: OurRecord[], theirs: TheirLine[]): ReconResult {
  const totals: ReconTotals = {
    ours: tally(), theirs: { ...tally(), feeCents: 0 }, matched: tally(), missingOurs: tally(), missingTheirs: tally(),
    amountMismatch: { ...tally(), ourCents: 0, theirCents: 0 }, duplicateOurs: tally(), duplicateTheirs: tally(), differenceCents: 0,
  };
  for (const r of ours) add(totals.ours, signed(r.kind, r.amountCents));
  for (const l of theirs) add(totals.theirs, signed(l.kind, l.amountCents)), (totals.theirs.feeCents += signed(l.kind, l.feeCents));
  totals.differenceCents = totals.ours.cents - totals.theirs.cents;

  const mismatches: Mismatch[] = [];
  const matched: ReconResult["matched"] = [];
  const o = group(ours);
  const t = group(theirs);

  for (const [k, dups] of o.extra) {
    const r = o.first.get(k)!;
    const cents = dups.reduce((s, d) => s + d.amountCents, 0);
    add(totals.duplicateOurs, cents);
    mismatches.push({ kind: "duplicate_ours", side: r.kind, ref: r.ref, externalRef: null, ourCents: cents, theirCents: null, detail: `recorded ${dups.length + 1} times on our side` });
  }
  for (const [k, dups] of t.extra) {
    const l = t.first.get(k)!;
    const cents = dups.reduce((s, d) => s + d.amountCents, 0);
    add(totals.duplicateTheirs, cents);
    mismatches.push({
      kind: "duplicate_theirs", side: l.kind, ref: l.ref, externalRef: dups.map((d) => d.externalRef).join(" "), ourCents: null, theirCents: cents,
      detail: `listed ${dups.length + 1} times on their statement`,
    });
  }

  // One order paid (or delivered) by two different records: both may match their lines, and still the buyer paid twice.
  const byOrder = new Map<string, OurRecord[]>();
  for (const r of o.first.values()) {
    if (!r.orderRef || r.kind === "refund") continue;
    const k = keyOf(r.kind, r.orderRef);
    byOrder.set(k, [...(byOrder.get(k) ?? []), r]);
  }
  for (const rs of byOrder.values()) {
    if (rs.length < 2) continue;
    const extra = rs.slice(1).reduce((s, r) => s + r.amountCents, 0);
    add(totals.duplicateOurs, extra);
    mismatches.push({
      kind: "duplicate_ours", side: rs[0]!.kind, ref: rs[0]!.orderRef!, externalRef: null, ourCents: extra, theirCents: null,
      detail: `order ${rs[0]!.orderRef} has ${rs.length} records: ${rs.map((r) => r.ref).join(" ")}`,
    });
  }

  for (const [k, r] of o.first) {
    const l = t.first.get(k);
    if (!l) {
      add(totals.missingTheirs, r.amountCents);
      mismatches.push({ kind: "missing_theirs", side: r.kind, ref: r.ref, externalRef: null, ourCents: r.amountCents, theirCents: null, detail: "on our books, not on their statement" });
    } else if (l.amountCents !== r.amountCents) {
      add(totals.amountMismatch, l.amountCents - r.amountCents);
      totals.amountMismatch.ourCents += r.amountCents;
      totals.amountMismatch.theirCents += l.amountCents;
      mismatches.push({
        kind: "amount_mismatch", side: r.kind, ref: r.ref, externalRef: l.externalRef, ourCents: r.amountCents, theirCents: l.amountCents,
        detail: `ours ${r.amountCents}, theirs ${l.amountCents}`,
      });
    } else {
      add(totals.matched, r.amountCents);
      matched.push({ side: r.kind, ref: r.ref, externalRef: l.externalRef, amountCents: r.amountCents });
    }
  }
  for (const [k, l] of t.first) {
    if (o.first.has(k)) continue;
    add(totals.missingOurs, l.amountCents);
    mismatches.push({ kind: "missing_ours", side: l.kind, ref: l.ref, externalRef: l.externalRef, ourCents: null, theirCents: l.amountCents, detail: "on their statement, not on our books" });
  }
  return { matched, mismatches, totals };
}
