/**
 * Invite-both-get (邀请有礼, issue 18). A member's link carries a code; an invitee who joins through it is recorded
 * (or refused with a reason: self_invite, self_invite_phone, self_invite_device, already_member, not_first_order); their first paid
 * order qualifies the invite inside the payment's own batch (self_invite_payment when the payer account also paid
 * the inviter's orders), and both rewards are then free orders keyed on the invite and role — once, also for a
 * replayed callback (the qualifying UPDATE only moves an accepted invite). Single level: only invites.inviter_id is
 * rewarded. A refund of that first order voids both rewards' vouchers (invite_reward_reversed).
 */
import type { InviteProgramme, InviteProgrammeInput } from "../../schema/invites";
import { currentHolders, getBuyer } from "../db/buyers";
import {
  activeProgramme, codeOf, getProgramme, hasPaidOrder, insertCodeStmt, insertInviteStmt, insertProgrammeStmts, insertRewardStmt, inviteExists, inviteIs, inviteOfFirstOrder,
  inviteOfInvitee, inviteOverview, listProgrammes, moveInviteStmt, myInviteFacts, ownerOfCode, qualifyStmt, reverseRewardStmt, rewardIs, rewardsOfInvite,
  setPayerStmt, setProgrammeActiveStmts, unrewardedInvites, unreversedRefundedInvites, type InviteRow, type ProgrammeRow,
} from "../db/invites";
import { memberByBuyer } from "../db/members";
import type { SqlGuard } from "../db/statements";
import { listVouchersByOrder, voidVoucherStmt, voucherIs } from "../db/vouchers";
import { hmacSha256Hex, newId, randomToken } from "../domain/crypto";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch, type EventInput } from "../queue/emit";
import { assertRewardProduct, rewardCostCents } from "./assists";
import { requireMember } from "./member-lookup";
import { joinMember } from "./membership";
import { createOrder } from "./orders";

export const toProgramme = (g: ProgrammeRow): InviteProgramme => ({
  id: g.id, name: g.name, inviterProductId: g.inviter_product_id, inviterProductName: g.inviter_product_name ?? null,
  inviteeProductId: g.invitee_product_id, inviteeProductName: g.invitee_product_name ?? null, active: !!g.active, rules: g.rules, createdAt: g.created_at,
});

export async function createProgramme(env: Env, tenantId: string, input: InviteProgrammeInput): Promise<InviteProgramme> {
  await assertRewardProduct(env, tenantId, input.inviterProductId, "inviterProductId");
  await assertRewardProduct(env, tenantId, input.inviteeProductId, "inviteeProductId");
  const id = newId("ivp");
  await env.DB.batch(insertProgrammeStmts(env.DB, {
    id, tenant_id: tenantId, name: input.name, inviter_product_id: input.inviterProductId, invitee_product_id: input.inviteeProductId,
    active: input.active ? 1 : 0, rules: input.rules,
  }));
  return toProgramme((await getProgramme(env.DB, tenantId, id))!);
}

export async function setProgrammeActive(env: Env, tenantId: string, id: string, active: boolean): Promise<InviteProgramme> {
  const results = await env.DB.batch(setProgrammeActiveStmts(env.DB, tenantId, id, active));
  if (!results[results.length - 1]!.results.length) throw ApiError.notFound("Invite programme");
  return toProgramme((await getProgramme(env.DB, tenantId, id))!);
}

export async function overview(env: Env, tenantId: string) {
  const [programmes, o] = await Promise.all([listProgrammes(env.DB, tenantId), inviteOverview(env.DB, tenantId)]);
  const rewards = Object.fromEntries(o.rewards.map((r) => [r.status, r.n]));
  return {
    programmes: programmes.map(toProgramme),
    byStatus: Object.fromEntries(o.byStatus.map((r) => [r.status, r.n])),
    refusals: Object.fromEntries(o.refusals.map((r) => [r.reason ?? "unknown", r.n])),
    rewards: { issued: rewards.issued ?? 0, reversed: rewards.reversed ?? 0 },
    recent: o.recent.map((i) => ({ id: i.id, status: i.status, reason: i.reason, firstOrderId: i.first_order_id, createdAt: i.created_at })),
  };
}

/** The member centre's 邀请有礼: my code (made on first look, with the device it was taken on), invites and rewards. */
export async function myInvites(env: Env, tenantId: string, buyerId: string, deviceId: string | null) {
  await requireMember(env, tenantId, buyerId);
  const programme = await activeProgramme(env.DB, tenantId);
  let code = await codeOf(env.DB, tenantId, buyerId);
  if (!code && programme) {
    await insertCodeStmt(env.DB, tenantId, buyerId, randomToken(10), deviceId).run();
    code = await codeOf(env.DB, tenantId, buyerId);
  }
  const facts = await myInviteFacts(env.DB, tenantId, buyerId);
  return {
    programme: programme ? toProgramme(programme) : null,
    code: code?.code ?? null,
    invited: facts.invites.length,
    rewarded: facts.invites.filter((i) => i.status === "rewarded").length,
    invites: facts.invites.map((i) => ({ name: i.phone ?? `好友 ${i.invitee_id.slice(-4)}`, status: i.status, at: i.at })),
    rewards: facts.rewards.map((r) => ({ role: r.role, productName: r.product_name ?? null, status: r.status, orderId: r.order_id, at: r.created_at })),
  };
}

/**
 * An invitee arrives through a link and joins: the invite is recorded once per invitee (a repeat answers the first
 * outcome), or refused with its reason. Joining happens either way unless they were a member before — after the
 * invite is written: joined first, a second accept of the same friend (another tab) could find them a member with
 * no invite yet, record already_member first and lose the invite.
 */
export async function acceptInvite(env: Env, tenantId: string, buyerId: string, code: string, deviceId: string | null) {
  const owner = await ownerOfCode(env.DB, tenantId, code);
  if (!owner) throw ApiError.notFound("Invite");
  const programme = await activeProgramme(env.DB, tenantId);
  if (!programme) throw ApiError.conflict("no_invite_programme", "该品牌当前没有邀请活动 / No invite programme is running");
  const prior = await inviteOfInvitee(env.DB, tenantId, buyerId);
  if (prior) {
    // The accept that wrote it may have ended before its join (a crash): the friend joins here then.
    if (!(await memberByBuyer(env.DB, tenantId, buyerId))) await joinMember(env, tenantId, buyerId, "invite");
    return { status: prior.status, reason: prior.reason, programme: toProgramme(programme) };
  }
  const [buyer, member, paidBefore] = await Promise.all([getBuyer(env.DB, tenantId, buyerId), memberByBuyer(env.DB, tenantId, buyerId), hasPaidOrder(env.DB, tenantId, buyerId)]);
  let reason: string | null = null;
  if (owner.buyer_id === buyerId) reason = buyer?.kind === "phone" ? "self_invite_phone" : "self_invite";
  else if (owner.phone_hash && buyer?.phone_hash === owner.phone_hash) reason = "self_invite_phone";
  else if (deviceId && (deviceId === owner.device_id || deviceId === owner.buyer_device)) reason = "self_invite_device";
  else if (member) reason = "already_member";
  else if (paidBefore) reason = "not_first_order";
  const id = newId("inv");
  const event: EventInput = reason
    ? { eventId: `evirf_${id}`, tenantId, type: "invite_refused", actor: { userId: buyerId, deviceId, referrerId: owner.buyer_id }, payload: { programmeId: programme.id, reason } }
    : { eventId: `evia_${id}`, tenantId, type: "invite_accepted", actor: { userId: buyerId, deviceId, referrerId: owner.buyer_id }, payload: { programmeId: programme.id, inviteId: id } };
  await env.DB.batch([
    insertInviteStmt(env.DB, { id, tenant_id: tenantId, programme_id: programme.id, inviter_id: owner.buyer_id, invitee_id: buyerId, status: reason ? "refused" : "accepted", reason, device_id: deviceId }),
    ...eventRows(env, [event], inviteExists(id)),
  ]);
  if (!member) await joinMember(env, tenantId, buyerId, "invite");
  await scheduleDispatch(env);
  const now = (await inviteOfInvitee(env.DB, tenantId, buyerId))!;
  return { status: now.status, reason: now.reason, programme: toProgramme(programme) };
}

/** The payer account as stored: keyed hash, never the account itself. */
export const payerHash = (env: Pick<Env, "BUYER_SESSION_SECRET">, tenantId: string, account: string) => hmacSha256Hex(env.BUYER_SESSION_SECRET, `payer|${tenantId}|${account}`);

/**
 * For the payment's own batch (services/fulfilment.ts acceptPaymentNotice), after the order is paid: the payer's
 * account hash on the payment, then the invitee's accepted invite qualified by this first paid order (or refused as
 * self_invite_payment with its event; left out when `invitee` is false). `paid` holds only in the batch whose notice
 * paid the order.
 */
export function invitePaidStmts(
  env: Env, order: { tenant_id: string; id: string; buyer_id: string }, paymentId: string, payer: string | null, paid: SqlGuard, invitee = true,
): D1PreparedStatement[] {
  return [...(payer ? [setPayerStmt(env.DB, paymentId, payer, paid)] : []), ...(invitee ? inviteQualifyStmts(env, order, paymentId, paid) : [])];
}

/** The invite's part of invitePaidStmts: only an invitee still waiting for a first paid order needs it. */
export function inviteQualifyStmts(env: Env, order: { tenant_id: string; id: string; buyer_id: string }, paymentId: string, paid: SqlGuard): D1PreparedStatement[] {
  const t = order.tenant_id;
  const refused = inviteIs(t, order.buyer_id, order.id, "refused");
  const field = (col: string) => ({ sql: `SELECT ${col} FROM invites WHERE tenant_id = ? AND invitee_id = ?`, args: [t, order.buyer_id] });
  return [
    qualifyStmt(env.DB, t, order.buyer_id, order.id, paymentId, paid),
    ...eventRows(env, [{ eventId: `evirp_${order.id}`, tenantId: t, type: "invite_refused", actor: { userId: order.buyer_id }, payload: { programmeId: "", reason: "self_invite_payment" } }],
      refused, [{ path: "$.payload.programmeId", ...field("programme_id") }, { path: "$.actor.referrerId", ...field("inviter_id") }]),
  ];
}

/** After a paid order: its invite's rewards if it qualified one (cheap when none did). */
export async function inviteAfterPaid(env: Env, order: { tenant_id: string; id: string }) {
  const inv = await inviteOfFirstOrder(env.DB, order.tenant_id, order.id);
  if (inv?.status === "qualified") await rewardInvite(env, inv);
}

/** Both sides' rewards: free orders keyed on invite and role, recorded with invite_rewarded in one batch. */
export async function rewardInvite(env: Env, inv: InviteRow) {
  const t = inv.tenant_id;
  const [programme, holders] = await Promise.all([getProgramme(env.DB, t, inv.programme_id), currentHolders(env.DB, t, [inv.inviter_id, inv.invitee_id])]);
  const g = programme!;
  // Each side's guest may have been attached to an account since: the reward is the account's. An inviter who turns
  // out to be the invitee (their own guest's link) gets no inviter reward.
  const holder = (id: string) => holders.get(id) ?? id;
  const sides = [
    { role: "inviter" as const, buyerId: holder(inv.inviter_id), productId: g.inviter_product_id },
    { role: "invitee" as const, buyerId: holder(inv.invitee_id), productId: g.invitee_product_id },
  ].filter((s) => s.role === "invitee" || s.buyerId !== holder(inv.invitee_id));
  // The move first: the rewards are recorded only if the invite was still qualified (a refund may have reversed it).
  const stmts: D1PreparedStatement[] = [moveInviteStmt(env.DB, t, inv.id, ["qualified"], "rewarded")];
  const rewarded: SqlGuard = { sql: "EXISTS (SELECT 1 FROM invites WHERE id = ? AND status = 'rewarded')", args: [inv.id] };
  const orders: string[] = [];
  for (const s of sides) {
    const { order } = await createOrder(env, {
      tenantId: t, buyerId: s.buyerId, winnerId: `${inv.id}:${s.role}`, productId: s.productId, idempotencyKey: `invite:${inv.id}:${s.role}`, source: `invite:${g.id}`,
      unitPriceCents: 0, requirePublished: false, purchaseLimit: false,
    });
    orders.push(order.id);
    stmts.push(insertRewardStmt(env.DB, { id: newId("ivr"), tenant_id: t, invite_id: inv.id, role: s.role, buyer_id: s.buyerId, product_id: s.productId, order_id: order.id }, rewarded));
    stmts.push(...eventRows(env, [{
      eventId: `evirw_${inv.id}_${s.role}`, tenantId: t, type: "invite_rewarded", actor: { userId: s.buyerId, referrerId: s.role === "invitee" ? holder(inv.inviter_id) : null },
      payload: { programmeId: g.id, inviteId: inv.id, role: s.role, orderId: order.id, productId: s.productId, firstOrderId: inv.first_order_id, costCents: await rewardCostCents(env, t, s.productId) },
    }], rewardIs(inv.id, s.role, order.id, "issued")));
  }
  await env.DB.batch(stmts);
  // The first order was refunded while the reward orders were being made: what they delivered is voided at once.
  if ((await inviteOfInvitee(env.DB, t, inv.invitee_id))?.status === "reversed") await env.DB.batch(await voidOrdersStmts(env, t, orders, "invite_first_order_refunded"));
  await scheduleDispatch(env);
}

/** Issued vouchers of these orders → voided with voucher_voided (as voucher-void.ts does), for one batch. */
async function voidOrdersStmts(env: Env, tenantId: string, orderIds: string[], reason: string): Promise<D1PreparedStatement[]> {
  const stmts: D1PreparedStatement[] = [];
  for (const orderId of orderIds) {
    for (const v of (await listVouchersByOrder(env.DB, tenantId, orderId)).filter((v) => v.status === "issued")) {
      stmts.push(voidVoucherStmt(env.DB, tenantId, v.id));
      stmts.push(...eventRows(env, [{
        eventId: `evv_${v.id}`, tenantId, type: "voucher_voided", actor: { userId: v.holder_id },
        payload: { voucherId: v.id, productId: v.product_id, campaignId: v.campaign_id, kind: v.kind, reason },
      }], voucherIs(tenantId, v.id, "voided")));
    }
  }
  return stmts;
}

/**
 * The invitee's first order was refunded: both rewards are taken back (their still-issued vouchers voided, as
 * voucher-void does, with voucher_voided), invite_reward_reversed per side, the invite reversed — one batch. A side
 * whose reward coupon was already used (redeemed: spent on another order) keeps its reward, with no reversal event:
 * nothing could be taken back, and a reversal would have made its cost vanish from the growth view.
 */
export async function reverseInviteOfRefund(env: Env, tenantId: string, orderId: string) {
  const inv = await inviteOfFirstOrder(env.DB, tenantId, orderId);
  if (!inv || !["qualified", "rewarded"].includes(inv.status)) return;
  const stmts: D1PreparedStatement[] = [];
  for (const r of (await rewardsOfInvite(env.DB, tenantId, inv.id)).filter((r) => r.status === "issued")) {
    stmts.push(...(await voidOrdersStmts(env, tenantId, [r.order_id], "invite_first_order_refunded")));
    stmts.push(reverseRewardStmt(env.DB, tenantId, r.id));
    stmts.push(...eventRows(env, [{
      eventId: `evirr_${inv.id}_${r.role}`, tenantId, type: "invite_reward_reversed", actor: { userId: r.buyer_id },
      payload: { programmeId: inv.programme_id, inviteId: inv.id, role: r.role, orderId: r.order_id, firstOrderId: orderId, reason: "first_order_refunded" },
    }], rewardIs(inv.id, r.role, r.order_id, "reversed")));
  }
  stmts.push(moveInviteStmt(env.DB, tenantId, inv.id, ["qualified", "rewarded"], "reversed"));
  await env.DB.batch(stmts);
  await scheduleDispatch(env);
}

/** Cron: invites whose first order a refund left with their rewards (a crash before the take-back), reversed once. */
export async function reverseRefundedInvites(env: Env, tenantId: string | null = null): Promise<number> {
  let n = 0;
  for (const inv of await unreversedRefundedInvites(env.DB, tenantId)) {
    try {
      await reverseInviteOfRefund(env, inv.tenant_id, inv.first_order_id);
      n++;
    } catch (e) {
      console.error(JSON.stringify({ at: "invite_reverse", orderId: inv.first_order_id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return n;
}

/**
 * Cron: invites qualified but not rewarded (a crash between the payment and the reward orders). Refunded first
 * orders are taken back first, so a qualified invite whose refund crashed is reversed, never rewarded late.
 */
export async function retryInviteRewards(env: Env, tenantId: string | null = null): Promise<number> {
  await reverseRefundedInvites(env, tenantId);
  let n = 0;
  for (const inv of await unrewardedInvites(env.DB, tenantId)) {
    try {
      await rewardInvite(env, inv);
      n++;
    } catch (e) {
      console.error(JSON.stringify({ at: "invite_reward", inviteId: inv.id, error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return n;
}

/** What an invite link offers: the running programme (null: none) — for a code of this store only, else 404. */
export async function inviteLanding(env: Env, tenantId: string, code: string) {
  if (!(await ownerOfCode(env.DB, tenantId, code))) throw ApiError.notFound("Invite");
  const g = await activeProgramme(env.DB, tenantId);
  return { programme: g ? toProgramme(g) : null };
}
