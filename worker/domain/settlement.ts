/**
 * Settlement statements (issue 21 item 5), pure: China-time periods, the lines and totals recomputed from the counted
 * ledger entries and the agreed share, the canonical signed form (Ed25519), and the offline check that
 * scripts/verify-settlement.ts and the worker share. No I/O beyond WebCrypto.
 */
import type { SettlementEntry, SettlementLine, SettlementPeriodKind, SettlementShare, SettlementSignature, SettlementStatement, SettlementStatementBody, SettlementTerms, SettlementTotals } from "../../schema/settlements";
import { canonicalJson } from "./ledger";
import { sha256Hex } from "./crypto";
import { CHINA_OFFSET_MS, chinaDay } from "./china-time";

const DAY_MS = 86_400_000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const msOfDay = (day: string) => Date.parse(`${day}T00:00:00.000Z`);


export interface Period {
  kind: SettlementPeriodKind;
  /** First China-time day, inclusive. */
  start: string;
  /** First China-time day after it. */
  end: string;
  fromUtc: string;
  toUtc: string;
}

/** The calendar month, or the Monday-to-Sunday week, holding a China-time day. */
export function periodOf(kind: SettlementPeriodKind, day: string): Period {
  const d = new Date(msOfDay(day));
  let start: number;
  let end: number;
  if (kind === "month") {
    start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  } else {
    start = msOfDay(day) - ((d.getUTCDay() + 6) % 7) * DAY_MS;
    end = start + 7 * DAY_MS;
  }
  return {
    kind,
    start: dayOf(start),
    end: dayOf(end),
    fromUtc: new Date(start - CHINA_OFFSET_MS).toISOString(),
    toUtc: new Date(end - CHINA_OFFSET_MS).toISOString(),
  };
}

export const nextPeriod = (p: Period): Period => periodOf(p.kind, p.end);
/** The last period that has ended at `now`. */
export const previousPeriod = (kind: SettlementPeriodKind, now: Date): Period => periodOf(kind, dayOf(msOfDay(periodOf(kind, chinaDay(now)).start) - DAY_MS));

/** Half away from zero, so a clawback rounds like the payment it reverses. */
function roundShare(numerator: number, denominator: number): number {
  const q = Math.floor((Math.abs(numerator) * 2 + denominator) / (2 * denominator));
  return numerator < 0 ? -q : q;
}

export function issuerShare(share: SettlementShare, t: Pick<SettlementTotals, "netCents" | "units" | "refundedUnits">): number {
  return share.kind === "bps" ? roundShare(t.netCents * share.bps, 10_000) : (t.units - t.refundedUnits) * share.unitCostCents;
}

const zero = (): SettlementTotals => ({ units: 0, refundedUnits: 0, grossCents: 0, refundCents: 0, compensationCents: 0, netCents: 0, issuerShareCents: 0, sellerCents: 0 });

/** One line per agreement (in the order given), from the entries alone; then the totals from the lines. */
export function computeLines(agreements: SettlementTerms[], entries: SettlementEntry[]): { lines: SettlementLine[]; totals: SettlementTotals } {
  const lines = agreements.map((a) => {
    const t = zero();
    for (const e of entries) {
      if (e.agreementId !== a.agreementId) continue;
      if (e.kind === "sale") {
        t.units += e.units;
        t.grossCents += e.amountCents;
      } else if (e.kind === "refund") {
        t.refundedUnits += e.units;
        t.refundCents += e.amountCents;
      } else t.compensationCents += e.amountCents;
    }
    t.netCents = t.grossCents - t.refundCents - t.compensationCents;
    t.issuerShareCents = issuerShare(a.share, t);
    t.sellerCents = t.netCents - t.issuerShareCents;
    return { agreementId: a.agreementId, productId: a.productId, productName: a.productName, ...t };
  });
  return { lines, totals: sumTotals(lines) };
}

export function sumTotals(lines: SettlementTotals[]): SettlementTotals {
  const t = zero();
  for (const l of lines) for (const k of Object.keys(t) as (keyof SettlementTotals)[]) t[k] += l[k];
  return t;
}

/** The exact bytes signed: the statement without its signature, keys sorted at every level. */
export const statementPreimage = (body: SettlementStatementBody): string => canonicalJson(body);

// ---- Ed25519 under a secret: the key pair is derived, so the secret is all there is to keep. ----

const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

export function b64url(bytes: ArrayBuffer | Uint8Array): string {
  const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (const b of u) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromB64url(s: string): Uint8Array {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

export interface SettlementSigner {
  keyId: string;
  publicKey: string;
  sign(body: SettlementStatementBody): Promise<SettlementSignature>;
}

export async function settlementSigner(secret: string): Promise<SettlementSigner> {
  if (!secret) throw new Error("SETTLEMENT_SIGNING_KEY is not set");
  const seed = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`kaquan-settlement-signing/1:${secret}`)));
  const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(seed, PKCS8_ED25519_PREFIX.length);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  const publicKey = jwk.x!;
  const keyId = await publicKeyId(publicKey);
  return {
    keyId,
    publicKey,
    async sign(body) {
      const sig = await crypto.subtle.sign({ name: "Ed25519" }, key, new TextEncoder().encode(statementPreimage(body)));
      return { alg: "Ed25519", keyId, publicKey, value: b64url(sig) };
    },
  };
}

/** The first 16 hex digits of SHA-256 over the raw public key. */
export async function publicKeyId(publicKey: string): Promise<string> {
  return (await sha256Hex(fromB64url(publicKey))).slice(0, 16);
}

export async function verifySignature(body: SettlementStatementBody, sig: SettlementSignature): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("raw", fromB64url(sig.publicKey), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, fromB64url(sig.value), new TextEncoder().encode(statementPreimage(body)));
  } catch {
    return false;
  }
}

const TOTAL_KEYS = ["units", "refundedUnits", "grossCents", "refundCents", "compensationCents", "netCents", "issuerShareCents", "sellerCents"] as const;

/**
 * Everything a party can check without kaquan: the signature (against the key it holds, when given), that every
 * entry lies in the ledger range and names an agreement, every line recomputed from the entries and the agreed
 * share, and the totals from the lines. Each problem says where.
 */
export async function checkStatement(s: SettlementStatement, opts: { publicKey?: string } = {}): Promise<{ ok: boolean; problems: string[] }> {
  const problems: string[] = [];
  const { signature, ...body } = s;
  if (opts.publicKey && opts.publicKey !== signature.publicKey) problems.push(`signed with key ${signature.keyId}, not the published key ${await publicKeyId(opts.publicKey).catch(() => "?")}`);
  if (signature.keyId !== (await publicKeyId(signature.publicKey).catch(() => ""))) problems.push("signature.keyId does not match signature.publicKey");
  if (!(await verifySignature(body, signature))) problems.push("signature does not match the statement: it was changed after kaquan signed it");
  const ids = new Set(body.agreements.map((a) => a.agreementId));
  let prev = body.ledger.afterSeq;
  for (const e of body.entries) {
    if (!ids.has(e.agreementId)) problems.push(`entry seq ${e.seq}: agreement ${e.agreementId} is not in the statement`);
    if (e.seq <= body.ledger.afterSeq || e.seq > body.ledger.toSeq) problems.push(`entry seq ${e.seq}: outside the ledger range ${body.ledger.afterSeq + 1}..${body.ledger.toSeq}`);
    if (e.seq < prev) problems.push(`entry seq ${e.seq}: out of order`);
    prev = e.seq;
  }
  const want = computeLines(body.agreements, body.entries);
  if (body.lines.length !== want.lines.length) problems.push(`${body.lines.length} lines, but the agreements make ${want.lines.length}`);
  want.lines.forEach((w, i) => {
    const got = body.lines[i];
    if (!got) return;
    if (got.agreementId !== w.agreementId || got.productId !== w.productId) {
      problems.push(`line ${i + 1}: agreement ${got.agreementId} / product ${got.productId}, expected ${w.agreementId} / ${w.productId}`);
      return;
    }
    for (const k of TOTAL_KEYS) if (got[k] !== w[k]) problems.push(`line ${i + 1} (${got.productName}): ${k} is ${got[k]}, the entries and the agreed share make ${w[k]}`);
  });
  const fromLines = sumTotals(body.lines);
  for (const k of TOTAL_KEYS) if (body.totals[k] !== fromLines[k]) problems.push(`totals.${k} is ${body.totals[k]}, the lines add up to ${fromLines[k]}`);
  return { ok: problems.length === 0, problems };
}

/** The statement as CSV: one row per line, then the totals; the header names the period and the ledger range. */
export function statementCsvRows(s: SettlementStatementBody): string[][] {
  const head = ["agreement_id", "product_id", "product_name", ...TOTAL_KEYS.map(snake)];
  const rows = s.lines.map((l) => [l.agreementId, l.productId, l.productName, ...TOTAL_KEYS.map((k) => String(l[k]))]);
  return [
    ["statement", s.statementId, "period", `${s.period.start}..${s.period.end}`, "ledger", `${s.ledger.afterSeq + 1}..${s.ledger.toSeq}`, "head_hash", s.ledger.headHash],
    head,
    ...rows,
    ["TOTAL", "", "", ...TOTAL_KEYS.map((k) => String(s.totals[k]))],
  ];
}

function snake(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

