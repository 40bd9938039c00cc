import { moveGuestMemberStmt } from "./membership";
import { guardArgs, guardSql, type SqlGuard } from "./statements";

export interface BuyerRow {
  id: string;
  tenant_id: string;
  kind: "phone" | "guest";
  phone_hash: string | null;
  phone_masked: string | null;
  merged_into: string | null;
  created_at: string;
  device_id?: string | null;
  /** Set when the buyer asked to be erased: no session names it any more (schema/d1/0141). */
  erased_at?: string | null;
  /** A brand member (schema/d1/0131): the member id the brand's signed token named. */
  member_id?: string | null;
}

export const toBuyer = (r: BuyerRow) => ({ id: r.id, kind: r.member_id ? ("member" as const) : r.kind, phoneMasked: r.phone_masked, createdAt: r.created_at });

export const buyerStmt = (db: D1Database, tenantId: string, id: string) => db.prepare("SELECT * FROM buyers WHERE tenant_id = ? AND id = ?").bind(tenantId, id);

export function getBuyer(db: D1Database, tenantId: string, id: string) {
  return buyerStmt(db, tenantId, id).first<BuyerRow>();
}

/**
 * Who holds what is made now for each of these buyer ids: the buyer itself, or the account a guest was attached to
 * since (guest → guest → phone: three hops at most, as resolveBuyer). A claim won before the attachment is fulfilled
 * after it: its voucher or order must go where the guest's other rights went.
 */
export async function currentHolders(db: D1Database, tenantId: string, ids: string[]): Promise<Map<string, string>> {
  const { results } = await db
    .prepare(
      `WITH RECURSIVE up(origin, id, hops) AS (
         SELECT j.value, j.value, 0 FROM json_each(?2) j
         UNION ALL
         SELECT up.origin, b.merged_into, up.hops + 1 FROM up JOIN buyers b ON b.tenant_id = ?1 AND b.id = up.id
          WHERE b.merged_into IS NOT NULL AND up.hops < 3)
       SELECT origin, id FROM up u WHERE hops = (SELECT max(hops) FROM up v WHERE v.origin = u.origin)`,
    )
    .bind(tenantId, JSON.stringify([...new Set(ids)]))
    .all<{ origin: string; id: string }>();
  return new Map(results.map((r) => [r.origin, r.id]));
}

/** One buyer's current holder (currentHolders): a reward reached after its guest was attached goes to the account. */
export const holderOf = async (db: D1Database, tenantId: string, id: string): Promise<string> => (await currentHolders(db, tenantId, [id])).get(id) ?? id;

/** Where a buyer came from, stored once with the buyer (schema/d1/0090). */
export interface AcquisitionFacts {
  acquisitionCampaignId: string | null;
  referrerId: string | null;
  shareCode: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  origin: string | null;
  deviceId: string | null;
}

const acqValues = (a: AcquisitionFacts | null) =>
  [a?.acquisitionCampaignId, a?.referrerId, a?.shareCode, a?.utmSource, a?.utmMedium, a?.utmCampaign, a?.origin, a?.deviceId].map((v) => v ?? null);
const ACQ_COLUMNS = "acquisition_campaign_id, referrer_id, share_code, utm_source, utm_medium, utm_campaign, origin, device_id";

export function insertGuest(db: D1Database, tenantId: string, id: string, acq: AcquisitionFacts | null = null, guard?: SqlGuard) {
  return db
    .prepare(`INSERT INTO buyers (id, tenant_id, kind, ${ACQ_COLUMNS}) SELECT ?, ?, 'guest', ?, ?, ?, ?, ?, ?, ?, ? WHERE ${guardSql(guard)} RETURNING *`)
    .bind(id, tenantId, ...acqValues(acq), ...guardArgs(guard));
}

/** Holds inside a batch once this buyer row exists (the fresh id of a guest / phone account this call inserts). */
export const buyerExists = (tenantId: string, id: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM buyers WHERE tenant_id = ? AND id = ?)",
  args: [tenantId, id],
});

/** The phone account's id, as a scalar subquery (for a computed event field in the sign-in batch). */
export const phoneBuyerIdSql = (tenantId: string, phoneHash: string) => ({
  sql: "SELECT id FROM buyers WHERE tenant_id = ? AND phone_hash = ?",
  args: [tenantId, phoneHash],
});

/**
 * A sign-in in one transaction: consumes the code (result 0: changes = 1 when this call consumed it), creates the
 * phone account with `id` only if the code is consumed and no account has that phone (result 1), reads the account
 * (result 2); `also` (event rows) runs last.
 */
/** This sign-in's code has been used (the guard on what a sign-in records). */
export const otpConsumed = (tenantId: string, otpId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM otp_codes WHERE tenant_id = ? AND id = ? AND consumed_at IS NOT NULL)",
  args: [tenantId, otpId],
});

export function signInStmts(
  db: D1Database, tenantId: string, otpId: string, b: { id: string; phoneHash: string; masked: string; acq: AcquisitionFacts | null; guestId: string | null },
) {
  const consumed = otpConsumed(tenantId, otpId);
  return [
    db.prepare("UPDATE otp_codes SET consumed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND consumed_at IS NULL").bind(tenantId, otpId),
    // A guest signing in with a phone that has no account yet becomes that account, id and all: the person stays one
    // (their sign-up, attribution, claims and later orders under one id, in limits and in the warehouse).
    db
      .prepare(
        `UPDATE buyers SET kind = 'phone', phone_hash = ?, phone_masked = ?
         WHERE tenant_id = ? AND id = ? AND kind = 'guest' AND merged_into IS NULL AND member_id IS NULL AND erased_at IS NULL AND changes() = 1
           AND NOT EXISTS (SELECT 1 FROM buyers WHERE tenant_id = ? AND phone_hash = ?)`,
      )
      .bind(b.phoneHash, b.masked, tenantId, b.guestId, tenantId, b.phoneHash),
    db
      .prepare(
        `INSERT INTO buyers (id, tenant_id, kind, phone_hash, phone_masked, ${ACQ_COLUMNS})
         SELECT ?, ?, 'phone', ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${consumed.sql} ON CONFLICT (tenant_id, phone_hash) DO NOTHING`,
      )
      .bind(b.id, tenantId, b.phoneHash, b.masked, ...acqValues(b.acq), ...consumed.args),
    db.prepare("SELECT * FROM buyers WHERE tenant_id = ? AND phone_hash = ?").bind(tenantId, b.phoneHash),
  ];
}

/**
 * The buyer of a brand member, created with `id` on the first token exchange (result 0: changes = 1 when this call
 * created it); `also` (its event rows, guarded on `buyerExists(id)`) runs in the same batch; the last result is the row.
 */
export function memberBuyerStmts(db: D1Database, tenantId: string, id: string, memberId: string, acq: AcquisitionFacts | null, also: D1PreparedStatement[] = []) {
  return [
    db
      .prepare(`INSERT INTO buyers (id, tenant_id, kind, member_id, ${ACQ_COLUMNS}) VALUES (?, ?, 'guest', ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, member_id) WHERE member_id IS NOT NULL DO NOTHING`)
      .bind(id, tenantId, memberId, ...acqValues(acq)),
    ...also,
    db.prepare("SELECT * FROM buyers WHERE tenant_id = ? AND member_id = ?").bind(tenantId, memberId),
  ];
}

export function getMemberBuyer(db: D1Database, tenantId: string, memberId: string) {
  return db.prepare("SELECT * FROM buyers WHERE tenant_id = ? AND member_id = ?").bind(tenantId, memberId).first<BuyerRow>();
}

/** Attaches a guest to a phone account: its orders and vouchers move over, once (`guestAttached` holds after). */
export function attachGuestStmts(db: D1Database, tenantId: string, guestId: string, phoneBuyerId: string) {
  return [
    db.prepare("UPDATE buyers SET merged_into = ? WHERE tenant_id = ? AND id = ? AND kind = 'guest' AND merged_into IS NULL").bind(phoneBuyerId, tenantId, guestId),
    db.prepare("UPDATE orders SET buyer_id = ? WHERE tenant_id = ? AND buyer_id = ?").bind(phoneBuyerId, tenantId, guestId),
    db.prepare("UPDATE vouchers SET holder_id = ? WHERE tenant_id = ? AND holder_id = ?").bind(phoneBuyerId, tenantId, guestId),
    // A guest who joined keeps the membership (card, growth, points) on the phone account, unless that has its own.
    moveGuestMemberStmt(db, tenantId, guestId, phoneBuyerId),
    // What the guest started goes on under the account: its help link and its invite link (unless the account has its
    // own; a reward reached by what stays is given to the account, holderOf) and its after-sale tickets. Never the
    // invites the guest accepted (an existing account is not a new user), nor its group seats (the team's object
    // holds them by the guest's id; they are found by their orders, which moved above: db/groups.ts memberOfBuyer).
    db.prepare("UPDATE OR IGNORE assist_requests SET requester_id = ? WHERE tenant_id = ? AND requester_id = ?").bind(phoneBuyerId, tenantId, guestId),
    db.prepare("UPDATE OR IGNORE invite_codes SET buyer_id = ? WHERE tenant_id = ? AND buyer_id = ?").bind(phoneBuyerId, tenantId, guestId),
    db.prepare("UPDATE invites SET inviter_id = ? WHERE tenant_id = ? AND inviter_id = ? AND invitee_id != ?").bind(phoneBuyerId, tenantId, guestId, phoneBuyerId),
    db.prepare("UPDATE after_sale_tickets SET buyer_id = ? WHERE tenant_id = ? AND buyer_id = ?").bind(phoneBuyerId, tenantId, guestId),
  ];
}

export const guestAttached = (tenantId: string, guestId: string, phoneBuyerId: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM buyers WHERE tenant_id = ? AND id = ? AND merged_into = ?)",
  args: [tenantId, guestId, phoneBuyerId],
});

export interface OtpRow {
  id: string;
  code_hash: string;
  attempts: number;
  expires_at: string;
  consumed_at: string | null;
  created_at: string;
}

export function latestOtp(db: D1Database, tenantId: string, phoneHash: string) {
  return db
    .prepare("SELECT * FROM otp_codes WHERE tenant_id = ? AND phone_hash = ? ORDER BY created_at DESC LIMIT 1")
    .bind(tenantId, phoneHash)
    .first<OtpRow>();
}

export async function otpCountSince(db: D1Database, tenantId: string, phoneHash: string, sinceIso: string) {
  const r = await db
    .prepare("SELECT COUNT(*) AS n FROM otp_codes WHERE tenant_id = ? AND phone_hash = ? AND created_at >= ?")
    .bind(tenantId, phoneHash, sinceIso)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

export function insertOtp(db: D1Database, o: { id: string; tenantId: string; phoneHash: string; codeHash: string; expiresAt: string }) {
  return db
    .prepare("INSERT INTO otp_codes (id, tenant_id, phone_hash, code_hash, expires_at) VALUES (?, ?, ?, ?, ?)")
    .bind(o.id, o.tenantId, o.phoneHash, o.codeHash, o.expiresAt);
}

/** Counts an attempt unless the limit is reached; returns the new count or null when locked/consumed. */
export async function countOtpAttempt(db: D1Database, tenantId: string, id: string, max: number) {
  const r = await db
    .prepare("UPDATE otp_codes SET attempts = attempts + 1 WHERE tenant_id = ? AND id = ? AND attempts < ? AND consumed_at IS NULL RETURNING attempts")
    .bind(tenantId, id, max)
    .first<{ attempts: number }>();
  return r?.attempts ?? null;
}

