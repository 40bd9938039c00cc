/** Pure segment logic: member-fact filters applied at the edge, masking, and the upload CSV. */
import { Phone } from "../../schema/buyers";
import type { Tier } from "../../schema/members";
import type { SegmentRules } from "../../schema/segments";
import { parseCsvLine } from "./key-csv";
import { effectiveTier } from "./tiers";

export interface MemberFacts {
  tier_id: string | null;
  paid_tier_id: string | null;
  paid_until: string | null;
  tags: string | null;
  city: string | null;
}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * Tier (effective: the better of earned and a valid paid card), every tag, city: a rule left empty is open; a rule
 * that is set needs a member (a buyer who never joined has no tier, tags or city).
 */
export function memberFactsMatch(rules: Pick<SegmentRules, "tierIds" | "tags" | "cities">, m: MemberFacts | null, tiers: Pick<Tier, "id" | "rank">[], now: Date): boolean {
  if (rules.tierIds.length) {
    const t = m && effectiveTier(tiers as Tier[], m.tier_id, m.paid_tier_id, m.paid_until, now);
    if (!t || !rules.tierIds.includes(t.id)) return false;
  }
  if (rules.tags.length) {
    let held: string[] = [];
    try {
      held = m?.tags ? (JSON.parse(m.tags) as string[]).map(norm) : [];
    } catch {
      held = [];
    }
    if (!rules.tags.every((t) => held.includes(norm(t)))) return false;
  }
  if (rules.cities.length && !(m?.city && rules.cities.some((c) => norm(c) === norm(m.city!)))) return false;
  return true;
}

/** A buyer id shown in a preview: its prefix and last 4 characters. */
export const maskId = (id: string) => (id.length <= 8 ? `${id.slice(0, 2)}…` : `${id.slice(0, 4)}…${id.slice(-4)}`);

export const UPLOAD_MAX_ROWS = 50_000;
const ID_HEADERS = new Set(["member_id", "memberid", "card_no", "cardno", "buyer_id", "id", "会员号", "会员卡号", "会员id"]);
const PHONE_HEADERS = new Set(["phone", "mobile", "手机", "手机号", "电话"]);

export interface ParsedUpload {
  rows: number;
  /** Normalised mainland numbers (+86, spaces and dashes removed), deduplicated. */
  phones: string[];
  /** Member ids, card numbers or buyer ids, deduplicated. */
  ids: string[];
  invalid: { line: number; message: string }[];
}

/**
 * One value per row: the column named by a header (phone / member id / card no …), else the first column. A value that
 * parses as a mainland mobile number is a phone (normalised exactly as sign-in does: schema/buyers.ts Phone); any other
 * value of letters, digits, `_ . : -` is an id. Blank lines are skipped.
 */
export function parseUploadCsv(text: string): ParsedUpload {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const out: ParsedUpload = { rows: 0, phones: [], ids: [], invalid: [] };
  const phones = new Set<string>();
  const ids = new Set<string>();
  let col = 0;
  let start = 0;
  const head = parseCsvLine(lines[0] ?? "").map(norm);
  const named = head.findIndex((h) => ID_HEADERS.has(h) || PHONE_HEADERS.has(h));
  if (named >= 0) {
    col = named;
    start = 1;
  }
  for (let i = start; i < lines.length; i++) {
    if (!lines[i]!.trim()) continue;
    out.rows++;
    const v = (parseCsvLine(lines[i]!)[col] ?? "").trim();
    const phone = Phone.safeParse(v);
    if (phone.success) phones.add(phone.data);
    else if (/^[\w.:-]{1,64}$/.test(v)) ids.add(v);
    else if (out.invalid.length < 100) out.invalid.push({ line: i + 1, message: v ? "neither a mobile number nor an id" : "empty value" });
  }
  out.phones = [...phones];
  out.ids = [...ids];
  return out;
}
