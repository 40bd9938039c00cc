import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepGroupTeams } from "../../worker/services/groups";
import { currentConsentVersion } from "../../schema/privacy";
import { paidAtSandbox, pay, phoneBuyer, shop, shopWithKeys } from "./commerce-helpers";
import { api, countRows, createTenant, recordedOfType } from "./helpers";

const HOUR = 3_600_000;

/** A card-key shop with one group buy of `size` at 990 (normal 1990). */
async function groupShop(size: number, keys: number, extra: Record<string, unknown> = {}) {
  const s = await shopWithKeys(keys);
  const gb = await api("/group-buys", {
    method: "POST", token: s.adminKey,
    json: { productId: s.productId, name: "三人团", groupPriceCents: 990, teamSize: size, teamMinutes: 30, endsAt: new Date(Date.now() + 24 * HOUR).toISOString(), ...extra },
  });
  expect(gb.status).toBe(201);
  return { ...s, groupBuyId: gb.body.id as string };
}

async function openTeam(slug: string, groupBuyId: string) {
  const r = await shop(slug, `/group-buys/${groupBuyId}/teams`, { method: "POST" });
  expect(r.status).toBe(201);
  return { cookie: r.cookie!, teamId: r.body.team.id as string, checkoutUrl: r.body.mine.checkoutUrl as string, orderId: r.body.mine.orderId as string };
}

async function join(slug: string, teamId: string, cookie?: string) {
  const r = await shop(slug, `/group-teams/${teamId}/join`, { method: "POST", cookie });
  return { status: r.status, body: r.body, cookie: r.cookie!, checkoutUrl: r.body?.mine?.checkoutUrl as string, orderId: r.body?.mine?.orderId as string };
}

const orderStatus = async (tenantId: string, orderId: string) =>
  (await env.DB.prepare("SELECT status FROM orders WHERE tenant_id = ? AND id = ?").bind(tenantId, orderId).first<{ status: string }>())!.status;
const refundsOf = (orderId: string) => countRows("SELECT COUNT(*) AS n FROM payments WHERE order_id = ? AND kind = 'refund' AND status = 'succeeded'", orderId);
const chargesOf = (orderId: string) => countRows("SELECT COUNT(*) AS n FROM payments WHERE order_id = ? AND kind = 'charge' AND status = 'succeeded'", orderId);
const vouchersOf = (orderId: string) => countRows("SELECT COUNT(*) AS n FROM vouchers WHERE order_id = ?", orderId);
const teamObject = (teamId: string) => env.GROUP_TEAM.get(env.GROUP_TEAM.idFromName(teamId));

/** The session holding `cookie` signs in with `phone`, whose account exists already: its guest is attached to it. */
async function signInAs(slug: string, phone: string, cookie: string) {
  // The per-phone resend wait: the account's own code counts as long ago.
  await env.DB.prepare("UPDATE otp_codes SET created_at = '2000-01-01T00:00:00.000Z'").run();
  expect((await shop(slug, "/otp", { method: "POST", cookie, json: { phone } })).status).toBe(200);
  const code = /(\d{6})/.exec((await shop(slug, `/dev/sms?phone=${phone}`)).body.messages[0].body)![1];
  const r = await shop(slug, "/otp/verify", { method: "POST", cookie, json: { phone, code, consent: { version: currentConsentVersion("phone_sign_in"), accepted: true } } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.cookie ?? cookie;
}

describe("group buy: open, join, pay, fill", () => {
  it("holds paid seats undelivered until the team is full, then delivers every member's keys once", async () => {
    const s = await groupShop(3, 5);
    const leader = await openTeam(s.slug, s.groupBuyId);
    expect((await pay(leader.checkoutUrl)).body.orderStatus).toBe("paid");
    expect(await vouchersOf(leader.orderId)).toBe(0);
    const view = await shop(s.slug, `/group-teams/${leader.teamId}`);
    expect(view.body.team).toMatchObject({ status: "open", size: 3, members: [{ name: "会员A", leader: true }] });
    expect(view.body.groupBuy).toMatchObject({ groupPriceCents: 990, priceCents: 1990, autoComplete: false });

    const a = await join(s.slug, leader.teamId);
    const again = await join(s.slug, leader.teamId, a.cookie);
    expect(again.orderId).toBe(a.orderId); // one seat per buyer
    const b = await join(s.slug, leader.teamId);
    expect((await pay(a.checkoutUrl)).body.orderStatus).toBe("paid");
    expect((await pay(b.checkoutUrl)).body.orderStatus).toBe("delivered");

    for (const o of [leader.orderId, a.orderId, b.orderId]) {
      expect(await orderStatus(s.tenant.id, o)).toBe("delivered");
      expect(await vouchersOf(o)).toBe(1);
    }
    const mine = await shop(s.slug, `/orders/${a.orderId}`, { cookie: a.cookie });
    expect(mine.body.vouchers[0].secret).toMatch(/^KEY-/);
    const done = await shop(s.slug, `/group-teams/${leader.teamId}`, { cookie: b.cookie });
    expect(done.body.team.status).toBe("completed");
    expect(done.body.team.members.map((m: { you: boolean }) => m.you)).toEqual([false, false, true]);
    expect((await recordedOfType(s.tenant.id, "group_team_opened")).length).toBe(1);
    expect((await recordedOfType(s.tenant.id, "group_team_joined")).map((e) => e.payload.members)).toEqual([1, 2, 3]);
    expect((await recordedOfType(s.tenant.id, "group_team_completed"))[0]!.payload).toMatchObject({ members: 3, amountCents: 2970 });
    expect((await join(s.slug, leader.teamId)).status).toBe(409);
    // Run the sweep: nothing left to do for this team, nothing delivered twice.
    await sweepGroupTeams(env, new Date(Date.now() + HOUR));
    for (const o of [leader.orderId, a.orderId, b.orderId]) expect(await vouchersOf(o)).toBe(1);
  });

  it("the console's list counts each group buy's teams: filling, full and failed, of this tenant only", async () => {
    const s = await groupShop(2, 6);
    const full = await openTeam(s.slug, s.groupBuyId);
    await pay(full.checkoutUrl);
    expect((await pay((await join(s.slug, full.teamId)).checkoutUrl)).body.orderStatus).toBe("delivered");
    const filling = await openTeam(s.slug, s.groupBuyId);
    await pay(filling.checkoutUrl);
    const expiring = await openTeam(s.slug, s.groupBuyId);
    await pay(expiring.checkoutUrl);
    // Its deadline: the object's alarm seals it, and the sweep finds it due.
    expect(await runDurableObjectAlarm(teamObject(expiring.teamId))).toBe(true);
    await env.DB.prepare("UPDATE group_teams SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").bind(expiring.teamId).run();
    await sweepGroupTeams(env, new Date());
    const other = await groupShop(2, 1);
    await openTeam(other.slug, other.groupBuyId);

    const list = await api("/group-buys", { token: s.adminKey });
    expect(list.status).toBe(200);
    expect(list.body.groupBuys).toEqual([expect.objectContaining({ id: s.groupBuyId, teamCounts: { open: 1, completed: 1, failed: 1 } })]);
    const theirs = await api("/group-buys", { token: other.adminKey });
    expect(theirs.body.groupBuys).toEqual([expect.objectContaining({ id: other.groupBuyId, teamCounts: { open: 1, completed: 0, failed: 0 } })]);
  });

  it("a guest who opens a team and signs in to an existing account before paying keeps the seat: paid, theirs, the team opened once", async () => {
    const s = await groupShop(2, 3);
    const leader = await openTeam(s.slug, s.groupBuyId);
    const phone = `139${String(Date.now()).slice(-8)}`;
    await phoneBuyer(s.slug, phone);
    const account = await signInAs(s.slug, phone, leader.cookie);
    // The order moved to the account with the guest; its payment still takes the guest's seat (it was refunded as
    // group_seat_refused: the seat was looked up by the order's new buyer).
    expect((await pay(leader.checkoutUrl)).body.orderStatus).toBe("paid");
    const view = await shop(s.slug, `/group-teams/${leader.teamId}`, { cookie: account });
    expect(view.body.team.members).toEqual([expect.objectContaining({ leader: true, you: true })]);
    expect(view.body.mine).toMatchObject({ orderId: leader.orderId, status: "paid" });
    // Joining again from the account is the same seat, not a second one.
    expect((await join(s.slug, leader.teamId, account)).orderId).toBe(leader.orderId);
    const friend = await join(s.slug, leader.teamId);
    expect((await pay(friend.checkoutUrl)).body.orderStatus).toBe("delivered");
    expect(await orderStatus(s.tenant.id, leader.orderId)).toBe("delivered");
    expect(await refundsOf(leader.orderId)).toBe(0);
    expect(await recordedOfType(s.tenant.id, "group_team_opened")).toHaveLength(1);
  });

  it("a 3-seat team with 50 buyers paying at once: exactly 3 fulfilled, every other payer refunded once", async () => {
    const s = await groupShop(3, 60);
    const leader = await openTeam(s.slug, s.groupBuyId);
    expect((await pay(leader.checkoutUrl)).status).toBe(200);
    const joined = await Promise.all(Array.from({ length: 50 }, () => join(s.slug, leader.teamId)));
    expect(joined.every((j) => j.status === 200)).toBe(true);
    const paid = await Promise.all(joined.map((j) => pay(j.checkoutUrl)));
    // A payment taken before the team filled is refused and refunded; one still unpaid when it filled finds its order
    // closed with it (409 at the cashier, nothing taken).
    expect(paid.every((p) => p.status === 200 || p.status === 409)).toBe(true);
    const statuses = await Promise.all(joined.map((j) => orderStatus(s.tenant.id, j.orderId)));
    expect(statuses.filter((x) => x === "delivered").length).toBe(2);
    const refunded = joined.filter((_j, i) => statuses[i] === "refunded");
    const closed = joined.filter((_j, i) => statuses[i] === "cancelled");
    expect(refunded.length + closed.length).toBe(48);
    expect(await orderStatus(s.tenant.id, leader.orderId)).toBe("delivered");
    for (const j of refunded) expect(await refundsOf(j.orderId)).toBe(1);
    for (const j of closed) expect(await chargesOf(j.orderId)).toBe(0);
    expect((await recordedOfType(s.tenant.id, "group_seat_refused")).length).toBe(refunded.length);
    expect(await countRows("SELECT COUNT(*) AS n FROM group_members WHERE team_id = ? AND status = 'paid'", leader.teamId)).toBe(3);
    const state = await runInDurableObject(teamObject(leader.teamId), (_o, st) => st.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM seats").one().n);
    expect(state).toBe(3);
  });
});

describe("group buy: a team that fills closes its unpaid seats", () => {
  it("a friend still at the cashier when the team fills: the order is closed (group_team_full), nothing can be paid, the stock is back", async () => {
    const s = await groupShop(2, 5);
    const leader = await openTeam(s.slug, s.groupBuyId);
    await pay(leader.checkoutUrl);
    const a = await join(s.slug, leader.teamId);
    const late = await join(s.slug, leader.teamId); // joined, went to the cashier, has not paid yet
    expect((await pay(a.checkoutUrl)).body.orderStatus).toBe("delivered");
    expect(await orderStatus(s.tenant.id, late.orderId)).toBe("cancelled");
    const order = await shop(s.slug, `/orders/${late.orderId}`, { cookie: late.cookie });
    expect(order.body.order).toMatchObject({ status: "cancelled", failureReason: "group_team_full" });
    expect(order.body.order.checkoutUrl).toBeUndefined();
    expect((await recordedOfType(s.tenant.id, "order_cancelled")).map((e) => e.payload)).toEqual([expect.objectContaining({ orderId: late.orderId, reason: "group_team_full" })]);
    expect((await pay(late.checkoutUrl)).status).toBe(409);
    expect(await chargesOf(late.orderId)).toBe(0);
    const view = await shop(s.slug, `/group-teams/${leader.teamId}`, { cookie: late.cookie });
    expect(view.body.team).toMatchObject({ status: "completed", waiting: 0 });
    expect(view.body.mine).toMatchObject({ orderStatus: "cancelled", status: "held" });
    // Its key went back on sale: 5 keys, 2 delivered.
    expect((await shop(s.slug, `/products/${s.productId}`)).body.stock.available).toBe(3);
    await sweepGroupTeams(env, new Date());
    expect(await orderStatus(s.tenant.id, late.orderId)).toBe("cancelled");
  });

  it("a payment the gateway took while the team filled is left to its notice and refunded once", async () => {
    const { settlePaymentNotice } = await import("../../worker/services/payment-callback");
    const { sandboxProvider } = await import("../../worker/payments/sandbox");
    const s = await groupShop(2, 5);
    const leader = await openTeam(s.slug, s.groupBuyId);
    await pay(leader.checkoutUrl);
    const a = await join(s.slug, leader.teamId);
    const late = await join(s.slug, leader.teamId);
    // The late friend's charge is paid at the gateway; its notice has not reached us when the team fills.
    const paymentId = late.checkoutUrl.split("/").pop()!;
    const notice = await paidAtSandbox(env, { type: "payment.succeeded" as const, gatewayTxnId: `sbx_txn_late_${paymentId}`, paymentId, orderId: late.orderId, amountCents: 990, currency: "CNY" });
    expect((await pay(a.checkoutUrl)).body.orderStatus).toBe("delivered");
    expect(await orderStatus(s.tenant.id, late.orderId)).toBe("created"); // not closed over a payment
    await sweepGroupTeams(env, new Date());
    expect(await orderStatus(s.tenant.id, late.orderId)).toBe("created");
    const first = await settlePaymentNotice(env, sandboxProvider(env), null, notice, () => undefined);
    expect(first.orderStatus).toBe("refunded");
    await settlePaymentNotice(env, sandboxProvider(env), null, notice, () => undefined).catch(() => undefined);
    await sweepGroupTeams(env, new Date(Date.now() + HOUR));
    expect(await refundsOf(late.orderId)).toBe(1);
    expect(await vouchersOf(late.orderId)).toBe(0);
  });

  it("a team the brand completes at its deadline (auto-completion) closes its unpaid seats too", async () => {
    const s = await groupShop(3, 5, { autoComplete: true });
    const leader = await openTeam(s.slug, s.groupBuyId);
    await pay(leader.checkoutUrl);
    const friend = await join(s.slug, leader.teamId);
    await sweepGroupTeams(env, new Date(Date.now() + HOUR));
    expect(await orderStatus(s.tenant.id, leader.orderId)).toBe("delivered");
    expect(await orderStatus(s.tenant.id, friend.orderId)).toBe("cancelled");
    expect((await shop(s.slug, `/orders/${friend.orderId}`, { cookie: friend.cookie })).body.order.failureReason).toBe("group_team_ended");
    expect((await pay(friend.checkoutUrl)).status).toBe(409);
  });

  it("the sweep closes an ended team's unpaid seat that the filling request left open", async () => {
    const s = await groupShop(2, 5);
    const leader = await openTeam(s.slug, s.groupBuyId);
    await pay(leader.checkoutUrl);
    const a = await join(s.slug, leader.teamId);
    const late = await join(s.slug, leader.teamId);
    await pay(a.checkoutUrl);
    // As if the request that filled the team died before closing the other seats.
    await env.DB.prepare("UPDATE orders SET status = 'created', failure_reason = NULL WHERE id = ?").bind(late.orderId).run();
    await sweepGroupTeams(env, new Date());
    expect(await orderStatus(s.tenant.id, late.orderId)).toBe("cancelled");
  });
});

describe("group buy: expiry and recovery", () => {
  it("a team past its deadline refunds every paid member once and delivers nothing; a payment after that is refunded at once", async () => {
    const s = await groupShop(3, 5);
    const leader = await openTeam(s.slug, s.groupBuyId);
    const a = await join(s.slug, leader.teamId);
    const late = await join(s.slug, leader.teamId);
    await pay(leader.checkoutUrl);
    await pay(a.checkoutUrl);
    // The object's alarm at the deadline seals the team before any cron runs …
    expect(await runDurableObjectAlarm(teamObject(leader.teamId))).toBe(true);
    // … so the late payer is refused and refunded at once, and the team is settled with it.
    expect((await pay(late.checkoutUrl)).body.orderStatus).toBe("refunded");
    expect((await recordedOfType(s.tenant.id, "group_seat_refused"))[0]!.payload.reason).toBe("team_failed");
    await sweepGroupTeams(env, new Date(Date.now() + HOUR));
    await sweepGroupTeams(env, new Date(Date.now() + HOUR));
    for (const o of [leader.orderId, a.orderId, late.orderId]) {
      expect(await orderStatus(s.tenant.id, o)).toBe("refunded");
      expect(await refundsOf(o)).toBe(1);
      expect(await vouchersOf(o)).toBe(0);
    }
    const failed = await recordedOfType(s.tenant.id, "group_team_failed");
    expect(failed.length).toBe(1);
    expect(failed[0]!.payload).toMatchObject({ members: 2, refunded: 2, reason: "expired" });
    expect((await shop(s.slug, `/group-teams/${leader.teamId}`)).body.team.status).toBe("failed");
    // A team that did not fill is how a group buy works, not an operational failure: no order_failed alert per member.
    expect((await recordedOfType(s.tenant.id, "alert")).filter((e) => e.payload.kind === "order_failed")).toEqual([]);
  });

  it("a failed team closes its unpaid seats: a friend still at the cashier is not charged for a team that is over", async () => {
    const s = await groupShop(3, 5);
    const leader = await openTeam(s.slug, s.groupBuyId);
    await pay(leader.checkoutUrl);
    const friend = await join(s.slug, leader.teamId); // joined, went to the cashier, has not paid yet
    await sweepGroupTeams(env, new Date(Date.now() + HOUR));
    expect(await orderStatus(s.tenant.id, leader.orderId)).toBe("refunded");
    // The seat's order is closed with the team (stock back), not left payable until its own 15 minutes run out.
    expect(await orderStatus(s.tenant.id, friend.orderId)).toBe("cancelled");
    const order = await shop(s.slug, `/orders/${friend.orderId}`, { cookie: friend.cookie });
    expect(order.body.order).toMatchObject({ status: "cancelled", failureReason: "group_team_ended" });
    expect((await recordedOfType(s.tenant.id, "order_cancelled")).map((e) => e.payload)).toEqual([expect.objectContaining({ orderId: friend.orderId, reason: "group_team_ended" })]);
    // The cashier's pay takes no money for it.
    expect((await pay(friend.checkoutUrl)).status).toBe(409);
    expect(await countRows("SELECT COUNT(*) AS n FROM payments WHERE order_id = ? AND kind = 'charge' AND status = 'succeeded'", friend.orderId)).toBe(0);
    const view = await shop(s.slug, `/group-teams/${leader.teamId}`, { cookie: friend.cookie });
    expect(view.body.mine).toMatchObject({ orderStatus: "cancelled" });
    expect(view.body.mine.checkoutUrl).toBeUndefined();
  });

  it("the cron alone expires a team at an injected time (no alarm), refunding its paid member", async () => {
    const s = await groupShop(2, 4);
    const leader = await openTeam(s.slug, s.groupBuyId);
    await pay(leader.checkoutUrl);
    // A friend's seat whose order lapsed unpaid is freed: joining again gives a new order; the old one paid late is refunded.
    const friend = await join(s.slug, leader.teamId);
    await env.DB.prepare("UPDATE orders SET status = 'expired' WHERE id = ?").bind(friend.orderId).run();
    const again = await join(s.slug, leader.teamId, friend.cookie);
    expect(again.orderId).not.toBe(friend.orderId);
    expect(again.checkoutUrl).toMatch(/checkout/);
    expect((await pay(friend.checkoutUrl)).body.orderStatus).toBe("expired"); // the money goes straight back
    expect(await refundsOf(friend.orderId)).toBe(1);
    expect((await shop(s.slug, `/group-teams/${leader.teamId}`)).body.team.members.length).toBe(1);
    await sweepGroupTeams(env, new Date(Date.now() + 10 * 60_000)); // not due yet (30 min)
    expect(await orderStatus(s.tenant.id, leader.orderId)).toBe("paid");
    await sweepGroupTeams(env, new Date(Date.now() + HOUR));
    expect(await orderStatus(s.tenant.id, leader.orderId)).toBe("refunded");
    expect(await refundsOf(leader.orderId)).toBe(1);
  });

  it("a payment whose seat was never settled, with the team object's storage lost, still completes the team once", async () => {
    const s = await groupShop(2, 3);
    const leader = await openTeam(s.slug, s.groupBuyId);
    await pay(leader.checkoutUrl);
    const a = await join(s.slug, leader.teamId);
    // The request that took a's payment died right after the order was paid (before asking the team) …
    await env.DB.prepare("UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ?").bind(new Date(Date.now() - 60_000).toISOString(), a.orderId).run();
    // … and the object restarted with nothing in its storage.
    await runInDurableObject(teamObject(leader.teamId), async (_o, st) => st.storage.deleteAll());
    await sweepGroupTeams(env, new Date());
    await sweepGroupTeams(env, new Date());
    for (const o of [leader.orderId, a.orderId]) {
      expect(await orderStatus(s.tenant.id, o)).toBe("delivered");
      expect(await vouchersOf(o)).toBe(1);
    }
    expect((await recordedOfType(s.tenant.id, "group_team_completed")).length).toBe(1);
    expect((await recordedOfType(s.tenant.id, "group_team_joined")).length).toBe(2);
  });
});

describe("group buy: which are offered", () => {
  it("answers the group buys running now and those not started yet, per product or per group buy; one not started cannot be joined", async () => {
    const s = await groupShop(2, 3);
    const later = await api("/group-buys", {
      method: "POST", token: s.adminKey,
      json: { productId: s.productId, name: "明天的团", groupPriceCents: 890, teamSize: 3, teamMinutes: 30, startsAt: new Date(Date.now() + 2 * HOUR).toISOString(), endsAt: new Date(Date.now() + 24 * HOUR).toISOString() },
    });
    const ofProduct = await shop(s.slug, `/group-buys?productId=${s.productId}`);
    expect(ofProduct.body.groupBuys.map((g: { id: string }) => g.id)).toEqual([s.groupBuyId]);
    expect(ofProduct.body.upcoming.map((g: { id: string }) => g.id)).toEqual([later.body.id]);
    const one = await shop(s.slug, `/group-buys?groupBuyId=${later.body.id}`);
    expect(one.body).toMatchObject({ groupBuys: [], upcoming: [{ id: later.body.id, groupPriceCents: 890 }] });
    expect((await shop(s.slug, `/group-buys?groupBuyId=${s.groupBuyId}`)).body).toMatchObject({ groupBuys: [{ id: s.groupBuyId }], upcoming: [] });
    const early = await shop(s.slug, `/group-buys/${later.body.id}/teams`, { method: "POST" });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("group_buy_inactive");
    // Another store sees none of them.
    const other = await createTenant("Other");
    expect((await shop(other.tenant.slug, `/group-buys?groupBuyId=${later.body.id}`)).body).toEqual({ groupBuys: [], upcoming: [] });
  });
});

describe("group buy: a team opened just before the group buy ends", () => {
  it("still takes friends until its own deadline and completes; no new team can be opened; the operator's close still ends it", async () => {
    const s = await groupShop(2, 5);
    const leader = await openTeam(s.slug, s.groupBuyId);
    expect((await pay(leader.checkoutUrl)).body.orderStatus).toBe("paid");
    const other = await openTeam(s.slug, s.groupBuyId);
    // The group buy's window closes (its endsAt passes) while both teams have most of their 30 minutes left.
    await env.DB.prepare("UPDATE group_buys SET ends_at = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), s.groupBuyId).run();

    const friend = await join(s.slug, leader.teamId);
    expect(friend.status).toBe(200);
    expect((await pay(friend.checkoutUrl)).body.orderStatus).toBe("delivered");
    expect(await orderStatus(s.tenant.id, leader.orderId)).toBe("delivered");
    expect(await vouchersOf(friend.orderId)).toBe(1);

    const late = await shop(s.slug, `/group-buys/${s.groupBuyId}/teams`, { method: "POST" });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("group_buy_inactive");

    expect((await api(`/group-buys/${s.groupBuyId}/close`, { method: "POST", token: s.adminKey })).status).toBe(200);
    const afterClose = await join(s.slug, other.teamId);
    expect(afterClose.status).toBe(409);
    expect(afterClose.body.error.code).toBe("team_ended");
  });
});

describe("group buy: input and tenants", () => {
  it("refuses bad definitions with field paths, and other tenants' group buys and teams are invisible", async () => {
    const s = await groupShop(2, 3);
    const bad = await api("/group-buys", { method: "POST", token: s.adminKey, json: { productId: s.productId, name: "x", groupPriceCents: 990, teamSize: 11, teamMinutes: 3, endsAt: "soon" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["json.endsAt", "json.teamMinutes", "json.teamSize"]);
    const dear = await api("/group-buys", { method: "POST", token: s.adminKey, json: { productId: s.productId, name: "x", groupPriceCents: 5000, teamSize: 2, teamMinutes: 5, endsAt: new Date(Date.now() + HOUR).toISOString() } });
    expect(dear.status).toBe(422);
    expect(dear.body.error.issues[0].path).toBe("json.groupPriceCents");
    const leader = await openTeam(s.slug, s.groupBuyId);
    const other = await createTenant("Other");
    expect((await api(`/group-buys/${s.groupBuyId}`, { token: other.adminKey })).status).toBe(404);
    expect((await api(`/group-buys/${s.groupBuyId}/close`, { method: "POST", token: other.adminKey })).status).toBe(404);
    expect((await shop(other.tenant.slug, `/group-teams/${leader.teamId}`)).status).toBe(404);
    expect((await shop(other.tenant.slug, `/group-teams/${leader.teamId}/join`, { method: "POST" })).status).toBe(404);
    expect((await shop(other.tenant.slug, `/group-buys/${s.groupBuyId}/teams`, { method: "POST" })).status).toBe(404);
    expect((await api(`/group-buys/${s.groupBuyId}`)).status).toBe(401);
    // The operator's view: the team with its masked leader; closing fails the open team.
    await pay(leader.checkoutUrl);
    const closed = await api(`/group-buys/${s.groupBuyId}/close`, { method: "POST", token: s.adminKey });
    expect(closed.body).toMatchObject({ status: "closed", teams: [{ id: leader.teamId, status: "failed", failReason: "closed", members: [{ name: "会员A" }] }] });
    expect(await orderStatus(s.tenant.id, leader.orderId)).toBe("refunded");
    expect((await shop(s.slug, `/group-buys/${s.groupBuyId}/teams`, { method: "POST" })).status).toBe(409);
  });
});
