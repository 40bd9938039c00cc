import type { SqlGuard } from "./statements";

/** Invite-both-get (邀请有礼) rows: schema/d1/0165. */
export interface ProgrammeRow {
  id: string; tenant_id: string; name: string; inviter_product_id: string; invitee_product_id: string; active: number; rules: string; created_at: string;
  inviter_product_name?: string | null; invitee_product_name?: string | null;
}
export interface InviteRow {
  id: string; tenant_id: string; programme_id: string; inviter_id: string; invitee_id: string;
  status: "accepted" | "qualified" | "rewarded" | "reversed" | "refused"; reason: string | null; device_id: string | null;
  first_order_id: string | null; created_at: string; updated_at: string;
}
export interface RewardRow { id: string; tenant_id: string; invite_id: string; role: "inviter" | "invitee"; buyer_id: string; product_id: string; order_id: string; status: "issued" | "reversed"; created_at: string; product_name?: string | null }

const PROGRAMME = `SELECT g.*, pi.name AS inviter_product_name, pe.name AS invitee_product_name FROM invite_programmes g
  LEFT JOIN products pi ON pi.tenant_id = g.tenant_id AND pi.id = g.inviter_product_id
  LEFT JOIN products pe ON pe.tenant_id = g.tenant_id AND pe.id = g.invitee_product_id`;

/** A new programme; when active, the one active before it ends in the same batch (one active per brand). */
export function insertProgrammeStmts(db: D1Database, g: Omit<ProgrammeRow, "created_at">) {
  return [
    ...(g.active ? [db.prepare("UPDATE invite_programmes SET active = 0 WHERE tenant_id = ? AND active = 1").bind(g.tenant_id)] : []),
    db.prepare("INSERT INTO invite_programmes (id, tenant_id, name, inviter_product_id, invitee_product_id, active, rules) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(g.id, g.tenant_id, g.name, g.inviter_product_id, g.invitee_product_id, g.active, g.rules),
  ];
}

export const setProgrammeActiveStmts = (db: D1Database, tenantId: string, id: string, active: boolean) => [
  ...(active ? [db.prepare("UPDATE invite_programmes SET active = 0 WHERE tenant_id = ? AND active = 1 AND id <> ?").bind(tenantId, id)] : []),
  db.prepare("UPDATE invite_programmes SET active = ? WHERE tenant_id = ? AND id = ? RETURNING id").bind(active ? 1 : 0, tenantId, id),
];

export const getProgramme = (db: D1Database, tenantId: string, id: string) =>
  db.prepare(`${PROGRAMME} WHERE g.tenant_id = ? AND g.id = ?`).bind(tenantId, id).first<ProgrammeRow>();
export const activeProgramme = (db: D1Database, tenantId: string) =>
  db.prepare(`${PROGRAMME} WHERE g.tenant_id = ? AND g.active = 1`).bind(tenantId).first<ProgrammeRow>();
export async function listProgrammes(db: D1Database, tenantId: string) {
  return (await db.prepare(`${PROGRAMME} WHERE g.tenant_id = ? ORDER BY g.created_at DESC LIMIT 50`).bind(tenantId).all<ProgrammeRow>()).results;
}

export const codeOf = (db: D1Database, tenantId: string, buyerId: string) =>
  db.prepare("SELECT code, device_id FROM invite_codes WHERE tenant_id = ? AND buyer_id = ?").bind(tenantId, buyerId).first<{ code: string; device_id: string | null }>();
export const insertCodeStmt = (db: D1Database, tenantId: string, buyerId: string, code: string, deviceId: string | null) =>
  db.prepare("INSERT OR IGNORE INTO invite_codes (tenant_id, buyer_id, code, device_id) VALUES (?, ?, ?, ?)").bind(tenantId, buyerId, code, deviceId);
export const ownerOfCode = (db: D1Database, tenantId: string, code: string) =>
  db.prepare(`SELECT c.buyer_id, c.device_id, b.phone_hash, b.device_id AS buyer_device FROM invite_codes c JOIN buyers b ON b.tenant_id = c.tenant_id AND b.id = c.buyer_id
              WHERE c.tenant_id = ? AND c.code = ?`).bind(tenantId, code)
    .first<{ buyer_id: string; device_id: string | null; phone_hash: string | null; buyer_device: string | null }>();

/** The invitee's one invite (accepted or refused), with invite_accepted/refused guarded on this very insert. */
export const insertInviteStmt = (db: D1Database, i: Pick<InviteRow, "id" | "tenant_id" | "programme_id" | "inviter_id" | "invitee_id" | "status" | "reason" | "device_id">) =>
  db.prepare(`INSERT OR IGNORE INTO invites (id, tenant_id, programme_id, inviter_id, invitee_id, status, reason, device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(i.id, i.tenant_id, i.programme_id, i.inviter_id, i.invitee_id, i.status, i.reason, i.device_id);
export const inviteExists = (id: string): SqlGuard => ({ sql: "EXISTS (SELECT 1 FROM invites WHERE id = ?)", args: [id] });

/** Whether the buyer already paid an order in this brand (an invite rewards a first order only). */
export const hasPaidOrder = async (db: D1Database, tenantId: string, buyerId: string) =>
  !!(await db.prepare("SELECT 1 AS y FROM orders WHERE tenant_id = ? AND buyer_id = ? AND status IN ('paid', 'delivered', 'refunded', 'failed') AND amount_cents > 0 LIMIT 1")
    .bind(tenantId, buyerId).first());

export const inviteOfInvitee = (db: D1Database, tenantId: string, inviteeId: string) =>
  db.prepare("SELECT * FROM invites WHERE tenant_id = ? AND invitee_id = ?").bind(tenantId, inviteeId).first<InviteRow>();
export const inviteOfFirstOrder = (db: D1Database, tenantId: string, orderId: string) =>
  db.prepare("SELECT * FROM invites WHERE tenant_id = ? AND first_order_id = ?").bind(tenantId, orderId).first<InviteRow>();

/** The payer's account hash on the payment this notice settled (guarded: only by the batch that paid it). */
export const setPayerStmt = (db: D1Database, paymentId: string, payerHash: string, guard: SqlGuard) =>
  db.prepare(`UPDATE payments SET payer_hash = ? WHERE id = ? AND ${guard.sql}`).bind(payerHash, paymentId, ...guard.args);

/**
 * In the payment's batch: the invitee's first paid order qualifies their accepted invite — or refuses it when the
 * order was paid from an account that also paid one of the inviter's orders (self_invite_payment).
 */
export const qualifyStmt = (db: D1Database, tenantId: string, inviteeId: string, orderId: string, paymentId: string, guard: SqlGuard) => {
  const selfPaid = `EXISTS (SELECT 1 FROM payments mine JOIN payments theirs ON theirs.tenant_id = mine.tenant_id AND theirs.payer_hash = mine.payer_hash
      JOIN orders o ON o.tenant_id = theirs.tenant_id AND o.id = theirs.order_id
      WHERE mine.id = ? AND mine.payer_hash IS NOT NULL AND theirs.status = 'succeeded' AND o.buyer_id = invites.inviter_id)`;
  return db.prepare(`UPDATE invites SET first_order_id = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
      status = CASE WHEN ${selfPaid} THEN 'refused' ELSE 'qualified' END,
      reason = CASE WHEN ${selfPaid} THEN 'self_invite_payment' ELSE reason END
    WHERE tenant_id = ? AND invitee_id = ? AND status = 'accepted' AND first_order_id IS NULL AND ${guard.sql}`)
    .bind(orderId, paymentId, paymentId, tenantId, inviteeId, ...guard.args);
};

export const inviteIs = (tenantId: string, inviteeId: string, orderId: string, status: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM invites WHERE tenant_id = ? AND invitee_id = ? AND first_order_id = ? AND status = ?)",
  args: [tenantId, inviteeId, orderId, status],
});

export const insertRewardStmt = (db: D1Database, r: Omit<RewardRow, "status" | "created_at">, guard: SqlGuard) =>
  db.prepare(`INSERT OR IGNORE INTO invite_rewards (id, tenant_id, invite_id, role, buyer_id, product_id, order_id) SELECT ?, ?, ?, ?, ?, ?, ? WHERE ${guard.sql}`)
    .bind(r.id, r.tenant_id, r.invite_id, r.role, r.buyer_id, r.product_id, r.order_id, ...guard.args);
export const rewardIs = (inviteId: string, role: string, orderId: string, status: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM invite_rewards WHERE invite_id = ? AND role = ? AND order_id = ? AND status = ?)",
  args: [inviteId, role, orderId, status],
});
export const moveInviteStmt = (db: D1Database, tenantId: string, id: string, from: string[], to: string, guard?: SqlGuard) =>
  db.prepare(`UPDATE invites SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE tenant_id = ? AND id = ? AND status IN (${from.map(() => "?").join(",")})${guard ? ` AND ${guard.sql}` : ""}`)
    .bind(to, tenantId, id, ...from, ...(guard?.args ?? []));
/**
 * A reward is taken back only while nothing it delivered was used: a reward coupon already redeemed (spent at checkout
 * or at a store) cannot be voided, so it stays issued — the brand paid for it, and the growth view counts its cost.
 */
export const reverseRewardStmt = (db: D1Database, tenantId: string, id: string) =>
  db.prepare(`UPDATE invite_rewards SET status = 'reversed' WHERE tenant_id = ? AND id = ? AND status = 'issued'
    AND NOT EXISTS (SELECT 1 FROM vouchers v WHERE v.tenant_id = invite_rewards.tenant_id AND v.order_id = invite_rewards.order_id AND v.status = 'redeemed')`).bind(tenantId, id);

export async function rewardsOfInvite(db: D1Database, tenantId: string, inviteId: string) {
  return (await db.prepare("SELECT * FROM invite_rewards WHERE +tenant_id = ? AND invite_id = ?").bind(tenantId, inviteId).all<RewardRow>()).results;
}

export async function myInviteFacts(db: D1Database, tenantId: string, buyerId: string) {
  const [invites, rewards] = await db.batch([
    db.prepare(`SELECT i.status, i.created_at AS at, b.phone_masked AS phone, i.invitee_id FROM invites i LEFT JOIN buyers b ON b.tenant_id = i.tenant_id AND b.id = i.invitee_id
                WHERE i.tenant_id = ? AND i.inviter_id = ? AND i.status <> 'refused' ORDER BY i.created_at DESC LIMIT 50`).bind(tenantId, buyerId),
    db.prepare(`SELECT r.*, p.name AS product_name FROM invite_rewards r LEFT JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
                WHERE r.tenant_id = ? AND r.buyer_id = ? ORDER BY r.created_at DESC LIMIT 50`).bind(tenantId, buyerId),
  ]);
  return { invites: invites!.results as { status: InviteRow["status"]; at: string; phone: string | null; invitee_id: string }[], rewards: rewards!.results as RewardRow[] };
}

export async function inviteOverview(db: D1Database, tenantId: string) {
  const [byStatus, refusals, rewards, recent] = await db.batch([
    db.prepare("SELECT status, COUNT(*) AS n FROM invites WHERE tenant_id = ? GROUP BY status").bind(tenantId),
    db.prepare("SELECT reason, COUNT(*) AS n FROM invites WHERE tenant_id = ? AND status = 'refused' GROUP BY reason").bind(tenantId),
    db.prepare("SELECT status, COUNT(*) AS n FROM invite_rewards WHERE tenant_id = ? GROUP BY status").bind(tenantId),
    db.prepare("SELECT * FROM invites WHERE tenant_id = ? ORDER BY created_at DESC LIMIT 30").bind(tenantId),
  ]);
  return {
    byStatus: byStatus!.results as { status: string; n: number }[],
    refusals: refusals!.results as { reason: string; n: number }[],
    rewards: rewards!.results as { status: string; n: number }[],
    recent: recent!.results as InviteRow[],
  };
}

const firstOrderRefunded = "EXISTS (SELECT 1 FROM orders o WHERE o.tenant_id = invites.tenant_id AND o.id = invites.first_order_id AND o.status = 'refunded')";

/** Qualified invites whose rewards a crash left unissued (the cron re-runs them); not one whose first order is refunded. */
export async function unrewardedInvites(db: D1Database, tenantId: string | null) {
  const q = tenantId
    ? db.prepare(`SELECT * FROM invites WHERE tenant_id = ? AND status = 'qualified' AND NOT ${firstOrderRefunded} LIMIT 100`).bind(tenantId)
    : db.prepare(`SELECT * FROM invites WHERE status = 'qualified' AND NOT ${firstOrderRefunded} LIMIT 100`);
  return (await q.all<InviteRow>()).results;
}

/**
 * Invites still qualified or rewarded whose first order is refunded: a crash came between the refund and the take-back.
 * Read from the invites the refund marked (`reverse_due`, 0222), not from every rewarded invite.
 */
export async function unreversedRefundedInvites(db: D1Database, tenantId: string | null) {
  const due = `reverse_due = 1 AND status IN ('qualified', 'rewarded') AND ${firstOrderRefunded}`;
  const q = tenantId
    ? db.prepare(`SELECT tenant_id, first_order_id FROM invites WHERE tenant_id = ? AND ${due} LIMIT 100`).bind(tenantId)
    : db.prepare(`SELECT tenant_id, first_order_id FROM invites WHERE ${due} LIMIT 100`);
  return (await q.all<{ tenant_id: string; first_order_id: string }>()).results;
}
