/**
 * Group buys (拼团). A team's member order is an ordinary shop order (source 'group:<teamId>', the group price) paid at
 * the normal cashier, but not delivered when paid: the payment callback hands it to `groupSeatPaid`, which asks the
 * team's Durable Object (worker/durable/group-team.ts) for a seat — the one place the "at most N paid" check is made,
 * one call at a time. Confirmed: the seat is recorded in D1 (and the team completed when it was the N-th, every
 * member's order then delivered through deliverOrder). Refused (full, failed, expired): the order is refunded at once
 * through the same path as any failed order. A team whose deadline passes unfilled is failed and every paid member
 * refunded by the minute cron (`sweepGroupTeams`), which also finishes whatever a crash left between steps: a paid
 * seat never asked for, a completed team's undelivered orders, a failed team's unrefunded ones. Every step is a guarded
 * statement (held → paid once, open → completed/failed once) and delivery/refund are idempotent per order.
 */
import type { CreateGroupBuyInput, GroupBuy, GroupTeam, GroupTeamView } from "../../schema/groups";
import {
  activeGroupBuys, closeGroupBuy, dueTeams, endedTeamsWithUnpaidSeats, endTeamStmt, getGroupBuy, getTeam, insertGroupBuy, insertMemberStmt, insertTeamStmt,
  listGroupBuys, memberIs, memberOfBuyer, membersOfTeams, paidOrdersOfTeam, paidSeats, replaceSeatOrderStmt, settleMemberStmt, teamIs, teamsOfBuy,
  unfinishedTeams, upcomingGroupBuys, unsettledPaidSeats, type GroupBuyRow, type GroupMemberRow, type GroupTeamRow,
} from "../db/groups";
import { getOrderRow, type OrderRow } from "../db/orders";
import { chargeIdOfOrder } from "../db/payments";
import { getProductRow } from "../db/products";
import { newId } from "../domain/crypto";
import type { SeatAnswer, TeamSpec, TeamState } from "../durable/group-team";
import { ApiError } from "../errors";
import { eventRows, scheduleDispatch, type EventInput } from "../queue/emit";
import { chargeAtExpiry } from "./charges";
import { deliverOrder, failAndRefund } from "./fulfilment";
import { checkoutPath, createOrder, release } from "./orders";

export const GROUP_SOURCE = "group:";
export const isGroupOrder = (o: Pick<OrderRow, "source">) => o.source.startsWith(GROUP_SOURCE);
const teamOfOrder = (o: Pick<OrderRow, "source">) => o.source.slice(GROUP_SOURCE.length);

const toGroupBuy = (r: GroupBuyRow): GroupBuy => ({
  id: r.id, productId: r.product_id, productName: r.product_name, name: r.name, priceCents: r.price_cents, groupPriceCents: r.group_price_cents,
  teamSize: r.team_size, teamMinutes: r.team_minutes, startsAt: r.starts_at, endsAt: r.ends_at, autoComplete: r.auto_complete === 1,
  status: r.status, createdAt: r.created_at,
});

const LETTERS = "ABCDEFGHIJ";
/** A seat the viewer took, or a guest of theirs took before it was attached to them (the seat's order moved to them). */
const isYours = (m: GroupMemberRow, you: string) => m.buyer_id === you || m.order_buyer_id === you;
/** What others see of a member: the masked phone (138****0202), or 会员A… for a guest. */
function toTeam(t: GroupTeamRow, members: GroupMemberRow[], you: string | null): GroupTeam {
  const paid = members.filter((m) => m.status === "paid");
  return {
    id: t.id, groupBuyId: t.group_buy_id, status: t.status, size: t.size,
    members: paid.map((m, i) => ({ name: m.phone_masked ?? `会员${LETTERS[i] ?? i + 1}`, seat: i + 1, leader: m.buyer_id === t.leader_id, ...(you ? { you: isYours(m, you) } : {}) })),
    waiting: t.status === "open" ? members.filter((m) => m.status === "held" && m.order_status === "created").length : 0,
    expiresAt: t.expires_at, openedAt: t.opened_at, settledAt: t.settled_at, failReason: t.fail_reason, autoCompleted: t.auto_completed === 1,
  };
}

// Operator

export async function createGroupBuy(env: Env, tenantId: string, input: CreateGroupBuyInput): Promise<GroupBuy> {
  const product = await getProductRow(env.DB, tenantId, input.productId);
  const issue = (path: string, message: string) => new ApiError(422, "invalid_group_buy", message, [{ path, message, code: "invalid_group_buy" }]);
  if (!product) throw ApiError.notFound("Product");
  if (product.status !== "published") throw issue("json.productId", "The product must be published");
  if (product.kind === "bundle") throw issue("json.productId", "A bundle cannot be sold as a group buy");
  if (input.groupPriceCents >= product.price_cents) throw issue("json.groupPriceCents", `The group price must be below the normal price (${product.price_cents})`);
  const startsAt = input.startsAt ? new Date(input.startsAt).toISOString() : new Date().toISOString();
  const endsAt = new Date(input.endsAt).toISOString();
  if (endsAt <= startsAt) throw issue("json.endsAt", "endsAt must be after startsAt");
  const id = newId("gb");
  await insertGroupBuy(env.DB, {
    id, tenant_id: tenantId, product_id: product.id, name: input.name, group_price_cents: input.groupPriceCents, team_size: input.teamSize,
    team_minutes: input.teamMinutes, starts_at: startsAt, ends_at: endsAt, auto_complete: input.autoComplete ? 1 : 0,
  });
  return toGroupBuy((await getGroupBuy(env.DB, tenantId, id))!);
}

export async function listGroupBuysOf(env: Env, tenantId: string) {
  const rows = await listGroupBuys(env.DB, tenantId);
  return { groupBuys: rows.map((r) => ({ ...toGroupBuy(r), teamCounts: { open: r.open_teams, completed: r.completed_teams, failed: r.failed_teams } })) };
}

export async function groupBuyDetail(env: Env, tenantId: string, id: string) {
  const buy = await getGroupBuy(env.DB, tenantId, id);
  if (!buy) throw ApiError.notFound("Group buy");
  const teams = await teamsOfBuy(env.DB, tenantId, id);
  const members = await membersOfTeams(env.DB, tenantId, teams.map((t) => t.id));
  return { ...toGroupBuy(buy), teams: teams.map((t) => toTeam(t, members.filter((m) => m.team_id === t.id), null)) };
}

/** Closes the group buy: no new teams; open teams fail now and their paid members are refunded. */
export async function closeGroupBuyOf(env: Env, tenantId: string, id: string) {
  const buy = await getGroupBuy(env.DB, tenantId, id);
  if (!buy) throw ApiError.notFound("Group buy");
  await closeGroupBuy(env.DB, tenantId, id);
  for (const team of (await teamsOfBuy(env.DB, tenantId, id)).filter((t) => t.status === "open")) await endTeam(env, team, buy, "closed");
  return groupBuyDetail(env, tenantId, id);
}

// Buyer

/** Running now, and those that have not started yet (a product page says when the next one starts). */
export async function activeGroupBuysOf(env: Env, tenantId: string, productId: string | null, groupBuyId: string | null = null) {
  const now = new Date().toISOString();
  const [running, upcoming] = await Promise.all([
    activeGroupBuys(env.DB, tenantId, now, productId, groupBuyId), upcomingGroupBuys(env.DB, tenantId, now, productId, groupBuyId),
  ]);
  return { groupBuys: running.map(toGroupBuy), upcoming: upcoming.map(toGroupBuy) };
}

function assertActive(buy: GroupBuyRow | null): GroupBuyRow {
  const now = new Date().toISOString();
  if (!buy) throw ApiError.notFound("Group buy");
  if (buy.status !== "active" || buy.starts_at > now || buy.ends_at <= now) throw ApiError.conflict("group_buy_inactive", "This group buy is not running now");
  return buy;
}

/** Opens a team: the leader's seat order at the group price; the team runs T minutes from now. */
export async function openTeam(env: Env, tenantId: string, buyerId: string, groupBuyId: string): Promise<GroupTeamView> {
  const buy = assertActive(await getGroupBuy(env.DB, tenantId, groupBuyId));
  const teamId = newId("gt");
  const placed = await seatOrder(env, tenantId, buyerId, buy, teamId);
  const expiresAt = new Date(Date.now() + buy.team_minutes * 60_000).toISOString();
  await env.DB.batch([
    insertTeamStmt(env.DB, { id: teamId, tenant_id: tenantId, group_buy_id: buy.id, leader_id: buyerId, size: buy.team_size, expires_at: expiresAt }),
    insertMemberStmt(env.DB, tenantId, teamId, buyerId, placed.order.id),
  ]);
  return teamView(env, tenantId, teamId, buyerId);
}

/** Joins a team through its link (one seat per buyer: a repeat returns the same seat). Refused once the team is full or over. */
export async function joinTeam(env: Env, tenantId: string, buyerId: string, teamId: string): Promise<GroupTeamView> {
  const team = await getTeam(env.DB, tenantId, teamId);
  if (!team) throw ApiError.notFound("Team");
  const seat = await memberOfBuyer(env.DB, tenantId, teamId, buyerId);
  if (seat && !(seat.status === "held" && LAPSED.includes(seat.order_status))) return teamView(env, tenantId, teamId, buyerId);
  if (team.status === "completed") throw ApiError.conflict("team_full", "This team is already full");
  if (team.status === "failed" || team.expires_at <= new Date().toISOString()) throw ApiError.conflict("team_ended", "This team has ended");
  // A team runs its own T minutes: one opened shortly before the group buy's end still takes friends until its
  // deadline (its leader paid on that promise); only the operator's close ends it early, failing it.
  const buy = await getGroupBuy(env.DB, tenantId, team.group_buy_id);
  if (!buy || buy.status !== "active") throw ApiError.conflict("team_ended", "This team has ended");
  if ((await paidSeats(env.DB, tenantId, teamId)).length >= team.size) throw ApiError.conflict("team_full", "This team is already full");
  // A seat whose order lapsed unpaid is freed: joining again gives the same seat a new order.
  const placed = await seatOrder(env, tenantId, buyerId, buy, teamId, seat?.order_id);
  await env.DB.batch([seat ? replaceSeatOrderStmt(env.DB, tenantId, teamId, seat.buyer_id, seat.order_id, placed.order.id) : insertMemberStmt(env.DB, tenantId, teamId, buyerId, placed.order.id)]);
  return teamView(env, tenantId, teamId, buyerId);
}

const LAPSED = ["expired", "cancelled"];

/** One order per buyer per team (the key; after a lapsed one, per lapsed order): a retried open or join never makes a second. */
function seatOrder(env: Env, tenantId: string, buyerId: string, buy: GroupBuyRow, teamId: string, lapsedOrderId?: string) {
  return createOrder(env, {
    tenantId, buyerId, productId: buy.product_id, idempotencyKey: `group:${teamId}:${buyerId}${lapsedOrderId ? `:${lapsedOrderId}` : ""}`, source: `${GROUP_SOURCE}${teamId}`,
    unitPriceCents: buy.group_price_cents, requirePublished: true,
  });
}

export async function teamView(env: Env, tenantId: string, teamId: string, buyerId: string | null): Promise<GroupTeamView> {
  const team = await getTeam(env.DB, tenantId, teamId);
  if (!team) throw ApiError.notFound("Team");
  const buy = (await getGroupBuy(env.DB, tenantId, team.group_buy_id))!;
  const members = await membersOfTeams(env.DB, tenantId, [teamId]);
  const mine = buyerId ? (members.find((m) => m.buyer_id === buyerId) ?? members.find((m) => isYours(m, buyerId))) : undefined;
  let checkoutUrl: string | undefined;
  if (mine && mine.status === "held" && mine.order_status === "created" && team.status === "open") {
    const pid = await chargeIdOfOrder(env.DB, tenantId, mine.order_id);
    if (pid) checkoutUrl = checkoutPath(pid);
  }
  return {
    groupBuy: toGroupBuy(buy),
    team: toTeam(team, members, buyerId),
    mine: mine ? { orderId: mine.order_id, orderStatus: mine.order_status, status: mine.status, ...(checkoutUrl ? { checkoutUrl } : {}) } : null,
    serverTime: new Date().toISOString(),
  };
}

// Seats

function specOf(team: GroupTeamRow, paid: { order_id: string; buyer_id: string }[]): TeamSpec {
  return { teamId: team.id, size: team.size, expiresAt: team.expires_at, paid: paid.map((p) => ({ orderId: p.order_id, buyerId: p.buyer_id })) };
}

const teamObject = (env: Env, teamId: string) => env.GROUP_TEAM.get(env.GROUP_TEAM.idFromName(teamId));

/**
 * A group order was paid (the payment callback, or the sweep for a seat a crash left unasked): the team object
 * confirms or refuses the seat; the answer is recorded in D1 with its events, and the order delivered (team complete),
 * kept paid (team still filling) or refunded (refused). Returns the order as it is after.
 */
export async function groupSeatPaid(env: Env, order: OrderRow): Promise<OrderRow> {
  const db = env.DB;
  const t = order.tenant_id;
  const team = await getTeam(db, t, teamOfOrder(order));
  if (!team) return failAndRefund(env, order, "group_team_missing");
  // Only a seat's current order takes a seat (a lapsed order replaced by a new one and paid late is refunded).
  const seat = await memberOfBuyer(db, t, team.id, order.buyer_id);
  if (seat?.order_id !== order.id) return failAndRefund(env, order, "group_seat_refused");
  // The seat's own buyer (the guest who took it, though the order has moved to the account it was attached to since):
  // the team object and the leader's check know the seat by it.
  const answer: SeatAnswer = await teamObject(env, team.id).confirm(specOf(team, await paidSeats(db, t, team.id)), order.id, seat.buyer_id);
  const base = { groupBuyId: team.group_buy_id, teamId: team.id, productId: order.product_id };
  if (answer.outcome === "refused") {
    await db.batch([
      settleMemberStmt(db, t, order.id, "refused"),
      ...eventRows(env, [{ eventId: `evgr_${order.id}`, tenantId: t, type: "group_seat_refused", actor: { userId: order.buyer_id, referrerId: team.leader_id }, payload: { ...base, orderId: order.id, reason: answer.reason } }], memberIs(t, order.id, "refused")),
    ]);
    const refunded = await failAndRefund(env, order, "group_seat_refused");
    // The team object failed it at the deadline before the cron did: settle the team now.
    if (answer.status === "failed" && team.status === "open") await endTeam(env, team, null, "expired");
    return refunded;
  }
  await recordSeats(env, team, answer, [order.id]);
  // The N-th payer delivers the team; a seat recorded just after that (its payment raced the last one) delivers itself.
  if (answer.status === "full" || (await getTeam(db, t, team.id))?.status === "completed") {
    await deliverTeam(env, team);
    await closeUnpaidSeats(env, team, "group_team_full");
  }
  await scheduleDispatch(env);
  return (await getOrderRow(db, t, order.id))!;
}

/**
 * Writes the object's confirmed seats to D1 (those of `orderIds` still 'held'), each with group_team_joined (the
 * leader's also group_team_opened), and the team's completion when the object says it is full — one batch.
 */
async function recordSeats(env: Env, team: GroupTeamRow, state: TeamState, orderIds: string[]) {
  const db = env.DB;
  const t = team.tenant_id;
  const base = { groupBuyId: team.group_buy_id, teamId: team.id };
  const stmts: D1PreparedStatement[] = [];
  let productId: string | null = null;
  for (const seat of state.seats.filter((s) => orderIds.includes(s.orderId))) {
    const order = await getOrderRow(db, t, seat.orderId);
    productId = order?.product_id ?? productId;
    const events: EventInput[] = [
      { eventId: `evgj_${seat.orderId}`, tenantId: t, type: "group_team_joined", actor: { userId: seat.buyerId, referrerId: team.leader_id }, payload: { ...base, productId, orderId: seat.orderId, members: seat.seat, size: team.size } },
    ];
    if (seat.buyerId === team.leader_id) {
      events.unshift({ eventId: `evgo_${team.id}`, tenantId: t, type: "group_team_opened", actor: { userId: seat.buyerId }, payload: { ...base, productId, orderId: seat.orderId, size: team.size, expiresAt: team.expires_at } });
    }
    stmts.push(settleMemberStmt(db, t, seat.orderId, "paid"), ...eventRows(env, events, { sql: "changes() = 1", args: [] }));
  }
  if (state.status === "full") {
    const minutes = Math.max(0, Math.round((Date.now() - Date.parse(team.opened_at)) / 60_000));
    let amount = 0;
    for (const seat of state.seats) amount += (await getOrderRow(db, t, seat.orderId))?.amount_cents ?? 0;
    // The brand's cost of the team: what the group price gave away against the product's own price, per member.
    const buy = await getGroupBuy(db, t, team.group_buy_id);
    const costCents = buy ? Math.max(0, buy.price_cents - buy.group_price_cents) * state.seats.length : 0;
    stmts.push(
      endTeamStmt(db, t, team.id, "completed", { auto: state.autoCompleted }),
      ...eventRows(env, [{
        eventId: `evgc_${team.id}`, tenantId: t, type: "group_team_completed", actor: { userId: team.leader_id },
        payload: { ...base, productId, members: state.seats.length, amountCents: amount, costCents, autoCompleted: state.autoCompleted, minutesToFill: minutes },
      }], teamIs(t, team.id, "completed")),
    );
  }
  if (stmts.length) await db.batch(stmts);
}

/** Delivers every paid member order of a completed team (idempotent per order; the delivery cron is the backstop). */
async function deliverTeam(env: Env, team: GroupTeamRow) {
  for (const o of await paidOrdersOfTeam(env.DB, team.tenant_id, team.id, true)) await deliverOrder(env, o);
}

/** Refunds every paid member order of a failed team (once per order: failAndRefund moves paid → failed once). */
async function refundTeam(env: Env, team: GroupTeamRow, reason: string) {
  for (const o of await paidOrdersOfTeam(env.DB, team.tenant_id, team.id, false)) await failAndRefund(env, o, reason);
}

/**
 * Ends an open team at its deadline (or when the operator closes the group buy): the object seals it (failed, or
 * completed by the operator's disclosed auto-completion when a seat is paid); D1 follows the object's answer.
 */
async function endTeam(env: Env, team: GroupTeamRow, buy: GroupBuyRow | null, reason: "expired" | "closed") {
  const db = env.DB;
  const t = team.tenant_id;
  buy ??= await getGroupBuy(db, t, team.group_buy_id);
  const how = reason === "expired" && buy?.auto_complete === 1 ? "auto_complete" : "fail";
  const state = await teamObject(env, team.id).seal(specOf(team, await paidSeats(db, t, team.id)), how);
  if (state.status === "full") {
    await recordSeats(env, team, state, state.seats.map((s) => s.orderId));
    await deliverTeam(env, team);
    await closeUnpaidSeats(env, team, "group_team_ended");
    await scheduleDispatch(env);
    return;
  }
  // Seats the object confirmed that D1 has not recorded yet (a crash in between) are paid members too: refunded.
  const held = state.seats.map((s) => s.orderId);
  await db.batch([
    ...held.map((id) => settleMemberStmt(db, t, id, "paid")),
    endTeamStmt(db, t, team.id, "failed", { reason }),
    ...eventRows(env, [{
      eventId: `evgf_${team.id}`, tenantId: t, type: "group_team_failed", actor: { userId: team.leader_id },
      payload: { groupBuyId: team.group_buy_id, teamId: team.id, productId: buy?.product_id ?? null, members: state.seats.length, refunded: state.seats.length, reason },
    }], teamIs(t, team.id, "failed")),
  ]);
  await refundTeam(env, team, `group_team_${reason}`);
  await closeUnpaidSeats(env, team, "group_team_ended");
  await scheduleDispatch(env);
}

/**
 * An ended team's seats still waiting for payment — it failed (`group_team_ended`) or filled without them
 * (`group_team_full`): their orders are closed (cancelled with that reason, stock back), so a friend still at the
 * cashier is not asked to pay for a seat they cannot get (the money would come back, but it would be taken first).
 * The charge is closed at the gateway and the gateway asked first, as at expiry: one paid there is left to its notice
 * (the team refuses the seat and it is refunded), one that cannot be asked to the next sweep and the expiry cron.
 */
async function closeUnpaidSeats(env: Env, team: GroupTeamRow, reason: "group_team_ended" | "group_team_full") {
  const t = team.tenant_id;
  for (const m of await membersOfTeams(env.DB, t, [team.id])) {
    if (m.status !== "held" || m.order_status !== "created") continue;
    const order = await getOrderRow(env.DB, t, m.order_id);
    if (order?.status !== "created") continue;
    if ((await chargeAtExpiry(env, order)).verdict !== "unpaid") continue;
    await release(env, t, order.id, ["created"], "cancelled", reason, [{
      eventId: `evoc_${order.id}`, tenantId: t, type: "order_cancelled", actor: { userId: order.buyer_id },
      payload: { orderId: order.id, productId: order.product_id, reason },
    }], undefined, (order.discount_cents ?? 0) > 0);
  }
}

export interface GroupSweep { seats: number; expired: number; finished: number; closed: number }
const PER_RUN = 100;

/**
 * The minute cron: settles what is due and finishes what a crash left — paid seats never asked for (older than 30 s,
 * so the paying request normally does it), teams past their deadline, ended teams with orders still paid or seats
 * still unpaid.
 */
export async function sweepGroupTeams(env: Env, now = new Date()): Promise<GroupSweep> {
  const run: GroupSweep = { seats: 0, expired: 0, finished: 0, closed: 0 };
  for (const order of await unsettledPaidSeats(env.DB, new Date(now.getTime() - 30_000).toISOString(), PER_RUN)) {
    await groupSeatPaid(env, order).catch(logged("seat", order.id));
    run.seats++;
  }
  for (const team of await dueTeams(env.DB, now.toISOString(), PER_RUN)) {
    await endTeam(env, team, null, "expired").catch(logged("expire", team.id));
    run.expired++;
  }
  for (const team of await unfinishedTeams(env.DB, PER_RUN)) {
    await (team.status === "completed" ? deliverTeam(env, team) : refundTeam(env, team, `group_team_${team.fail_reason ?? "expired"}`)).catch(logged("finish", team.id));
    run.finished++;
  }
  for (const team of await endedTeamsWithUnpaidSeats(env.DB, PER_RUN)) {
    const reason = team.status === "completed" && team.auto_completed === 0 ? "group_team_full" : "group_team_ended";
    await closeUnpaidSeats(env, team, reason).catch(logged("close", team.id));
    run.closed++;
  }
  return run;
}

const logged = (step: string, id: string) => (e: unknown) =>
  console.error(JSON.stringify({ at: "sweepGroupTeams", step, id, error: e instanceof Error ? e.message : String(e) }));
