import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { dispatchEvents } from "../../worker/queue/dispatch";
import { notifyDeliveries } from "../../worker/services/buyer-notices";
import { sweepOverdueTickets } from "../../worker/services/tickets";
import { api, createTenant, recordedOfType } from "./helpers";
import { FUTURE, pay, phoneBuyer, shop, shopWithKeys } from "./commerce-helpers";
import { couponProductOf } from "./campaign-helpers";

async function paidOrder(slug: string, productId: string, idem: string, cookie?: string, quantity = 1) {
  const o = await shop(slug, "/orders", { method: "POST", idem, cookie, json: { productId, quantity } });
  if (o.status !== 201) throw new Error(`order: ${o.status} ${JSON.stringify(o.body)}`);
  const p = await pay(o.body.checkoutUrl);
  expect(p.body.orderStatus).toBe("delivered");
  return { id: o.body.id as string, cookie: o.cookie! };
}

const smsOf = async (tenantId: string) =>
  (await env.DB.prepare("SELECT body FROM sms_outbox WHERE tenant_id = ? ORDER BY created_at, id").bind(tenantId).all<{ body: string }>()).results.map((r) => r.body);

describe("console orders: search, snapshot, isolation", { timeout: 60_000 }, () => {
  it("finds orders by id, whole phone, product name, status and date, in keyset pages; the detail keeps the product as sold", async () => {
    const { slug, productId, adminKey, tenant } = await shopWithKeys(4);
    const cookie = await phoneBuyer(slug, "13912345678");
    const mine = await paidOrder(slug, productId, "as-search-1", cookie);
    const guest = await paidOrder(slug, productId, "as-search-2");
    // The product changes after the sale: the order still says what was bought.
    const edit = await api(`/products/${productId}`, { method: "PATCH", token: adminKey, json: { name: "改名后的月卡", tutorial: "新教程", validity: FUTURE, scope: "视频平台会员" } });
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);

    const q = (s: string) => api(`/orders?${s}`, { token: adminKey });
    expect((await q(`q=${mine.id}`)).body.orders.map((o: any) => o.id)).toEqual([mine.id]);
    const byPhone = await q("q=139-1234-5678");
    expect(byPhone.body.orders.map((o: any) => o.id)).toEqual([mine.id]);
    expect(byPhone.body.orders[0].buyerPhoneMasked).toContain("*");
    expect((await q("q=13912345670")).body.orders).toEqual([]);
    // The name at purchase and the name now both find it.
    expect((await q(`q=${encodeURIComponent("视频会员")}`)).body.orders).toHaveLength(2);
    expect((await q(`q=${encodeURIComponent("改名后")}`)).body.orders).toHaveLength(2);
    expect((await q(`q=${encodeURIComponent("%")}`)).body.orders).toEqual([]);
    expect((await q("status=delivered")).body.orders).toHaveLength(2);
    expect((await q("status=refunded")).body.orders).toEqual([]);
    expect((await q(`productId=${productId}&from=2020-01-01T00:00:00.000Z`)).body.orders).toHaveLength(2);
    expect((await q("to=2020-01-01T00:00:00.000Z")).body.orders).toEqual([]);
    const first = await q("limit=1");
    const second = await q(`limit=1&cursor=${first.body.nextCursor}`);
    expect([first.body.orders[0].id, second.body.orders[0].id].sort()).toEqual([mine.id, guest.id].sort());
    expect(second.body.nextCursor).toBeNull();
    const bad = await q("status=lost");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain("status");
    expect((await q("cursor=nonsense")).status).toBe(400);

    await dispatchEvents(env);
    const detail = await vi.waitFor(async () => {
      const d = await api(`/orders/${mine.id}/detail`, { token: adminKey });
      expect(d.body.ledger.length).toBeGreaterThan(0);
      return d;
    }, { timeout: 10_000, interval: 200 });
    expect(detail.body.snapshot).toMatchObject({ name: "视频会员月卡", tutorial: "打开 App → 我的 → 兑换", priceCents: 1990, kind: "card_key", fromProduct: false });
    expect(detail.body.payments.map((p: any) => [p.kind, p.status])).toEqual([["charge", "succeeded"]]);
    expect(detail.body.refundableCents).toBe(1990);
    expect(detail.body.ledger.map((e: any) => e.kind)).toEqual(expect.arrayContaining(["issuance", "delivery"]));
    expect(detail.body.vouchers).toHaveLength(1);

    // An order from before snapshots falls back to the product as it is now.
    await env.DB.prepare("DELETE FROM order_snapshots WHERE tenant_id = ? AND order_id = ?").bind(tenant.id, guest.id).run();
    const old = await api(`/orders/${guest.id}/detail`, { token: adminKey });
    expect(old.body.snapshot).toMatchObject({ name: "改名后的月卡", tutorial: "新教程", fromProduct: true });

    // Another brand sees none of it.
    const other = await createTenant();
    expect((await api(`/orders?q=${mine.id}`, { token: other.adminKey })).body.orders).toEqual([]);
    expect((await api("/orders?q=13912345678", { token: other.adminKey })).body.orders).toEqual([]);
    expect((await api(`/orders/${mine.id}/detail`, { token: other.adminKey })).status).toBe(404);
    expect((await api(`/orders/${mine.id}/refunds`, { method: "POST", token: other.adminKey, json: { reason: "x" } })).status).toBe(404);
  });
});

describe("console refunds: partial, race-safe, audited", { timeout: 90_000 }, () => {
  it("twenty operators refunding ¥10 at once on a ¥59.70 order: exactly five succeed, never more than was charged", async () => {
    const { slug, productId, adminKey, tenant } = await shopWithKeys(3);
    const order = await paidOrder(slug, productId, "as-race-1", undefined, 3);
    const attempts = await Promise.all(Array.from({ length: 20 }, () =>
      api(`/orders/${order.id}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 1000, reason: "客户投诉补偿" } })));
    expect(attempts.filter((a) => a.status === 201)).toHaveLength(5);
    expect(attempts.filter((a) => a.status === 409).every((a) => a.body.error.code === "over_refund")).toBe(true);
    expect(attempts.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    const sum = await env.DB.prepare("SELECT SUM(amount_cents) AS s, COUNT(*) AS n FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' AND status = 'succeeded'").bind(tenant.id, order.id).first<{ s: number; n: number }>();
    expect(sum).toEqual({ s: 5000, n: 5 });
    // Money only: every right is still usable.
    const d1 = await api(`/orders/${order.id}/detail`, { token: adminKey });
    expect(d1.body.order.status).toBe("delivered");
    expect(d1.body.refundableCents).toBe(970);
    expect(d1.body.vouchers.every((v: any) => v.status === "issued")).toBe(true);
    // The buyer's 我的订单 says what came back (it read 已发放 · ¥59.70 as if nothing had).
    const mine = (await shop(slug, "/orders", { cookie: order.cookie })).body.orders.find((o: any) => o.id === order.id);
    expect(mine).toMatchObject({ status: "delivered", amountCents: 5970, refundedCents: 5000 });

    // One unit back with ¥5: one right refunded (voucher_refunded for the ledger).
    const touched = () => env.DB.prepare("SELECT updated_at FROM orders WHERE id = ?").bind(order.id).first<string>("updated_at");
    const before = await touched();
    await new Promise((r) => setTimeout(r, 5));
    const one = await api(`/orders/${order.id}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 500, units: 1, reason: "退一张" } });
    expect(one.status).toBe(201);
    // The order changed (its export's refundedCents): updatedAt moves, so a sync keyed on it picks the refund up.
    expect((await touched())! > before!).toBe(true);
    expect(one.body.voidedVoucherIds).toHaveLength(1);
    expect(one.body.refundableCents).toBe(470);
    expect((await api(`/orders/${order.id}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 100, units: 3, reason: "太多" } })).body.error.code).toBe("units_unavailable");
    expect((await api(`/orders/${order.id}/refunds`, { method: "POST", token: adminKey, json: { amountCents: 471, reason: "超额" } })).body.error.code).toBe("over_refund");
    const badInput = await api(`/orders/${order.id}/refunds`, { method: "POST", token: adminKey, json: { amountCents: -5, reason: "" } });
    expect(badInput.status).toBe(400);

    // The rest: the order is refunded and every right left is taken back.
    const rest = await api(`/orders/${order.id}/refunds`, { method: "POST", token: adminKey, json: { reason: "全部退款" } });
    expect(rest.status).toBe(201);
    expect(rest.body.refund.amountCents).toBe(470);
    expect(rest.body.order.status).toBe("refunded");
    expect(rest.body.voidedVoucherIds).toHaveLength(2);
    expect((await api(`/orders/${order.id}/refunds`, { method: "POST", token: adminKey, json: { reason: "again" } })).status).toBe(409);
    const total = await env.DB.prepare("SELECT SUM(amount_cents) AS s FROM payments WHERE tenant_id = ? AND order_id = ? AND kind = 'refund' AND status = 'succeeded'").bind(tenant.id, order.id).first<{ s: number }>();
    expect(total!.s).toBe(5970);
    expect((await recordedOfType(tenant.id, "order_partially_refunded")).filter((e) => e.payload.orderId === order.id)).toHaveLength(7);
    expect((await recordedOfType(tenant.id, "voucher_refunded")).filter((e) => e.payload.orderId === order.id)).toHaveLength(3);
    expect((await recordedOfType(tenant.id, "order_refunded")).filter((e) => e.payload.orderId === order.id)).toHaveLength(1);
    // Audited: every refund that happened, with the key and the reason.
    const audit = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = ? AND method = 'POST' AND path LIKE ? AND status = 201").bind(tenant.id, `%/orders/${order.id}/refunds`).first<{ n: number }>();
    expect(audit!.n).toBe(7);
  });

  it("refunding everything with no refund before is the order refund (rights refunded, order refunded)", async () => {
    const { slug, productId, adminKey } = await shopWithKeys(1);
    const order = await paidOrder(slug, productId, "as-full-1");
    const r = await api(`/orders/${order.id}/refunds`, { method: "POST", token: adminKey, json: { reason: "不想要了" } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ refund: { amountCents: 1990, status: "succeeded" }, order: { status: "refunded" }, refundableCents: 0 });
    expect(r.body.voidedVoucherIds).toHaveLength(1);
  });
});

describe("after-sale tickets", { timeout: 90_000 }, () => {
  it("buyer opens, operator replies and resolves; SLA alerts once per deadline; buyer notified by SMS; strangers see nothing", async () => {
    const { slug, productId, adminKey, tenant } = await shopWithKeys(3);
    const cookie = await phoneBuyer(slug, "13700001111");
    const order = await paidOrder(slug, productId, "as-ticket-1", cookie);

    // Delivery notice: once, with the order page link (the consumer may already have sent it; a redelivery sends nothing).
    const delivered = (await recordedOfType(tenant.id, "order_delivered")).filter((e) => e.payload.orderId === order.id);
    await notifyDeliveries(env, delivered);
    await notifyDeliveries(env, delivered);
    const notices = (await smsOf(tenant.id)).filter((b) => b.includes("已发货"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`/shop/order/?t=${slug}&o=${order.id}`);

    const path = `/orders/${order.id}/tickets`;
    const opened = await shop(slug, path, { method: "POST", cookie, json: { reason: "key_invalid", body: "卡密无效，提示已被使用", contact: "wx:abc" } });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ status: "open", reason: "key_invalid", overdue: false, firstRespondedAt: null });
    const ticketId = opened.body.id as string;
    expect((await shop(slug, path, { method: "POST", cookie, json: { reason: "other", body: "again" } })).body.error.code).toBe("ticket_open");
    const badReason = await shop(slug, path, { method: "POST", cookie, json: { reason: "angry", body: "x" } });
    expect(badReason.status).toBe(400);
    expect(JSON.stringify(badReason.body.error)).toContain("reason");
    const stranger = await shop(slug, "/guest", { method: "POST" });
    expect((await shop(slug, path, { cookie: stranger.cookie })).status).toBe(404);
    expect((await shop(slug, path, { method: "POST", cookie: stranger.cookie, json: { reason: "other", body: "hijack" } })).status).toBe(404);
    const other = await createTenant();
    expect((await api(`/tickets/${ticketId}`, { token: other.adminKey })).status).toBe(404);
    expect((await api("/tickets", { token: other.adminKey })).body.tickets).toEqual([]);

    // SLA: 5 hours on with no reply → one "response" alert, however often the cron runs.
    const later = new Date(Date.now() + 5 * 3_600_000);
    await sweepOverdueTickets(env, later);
    await sweepOverdueTickets(env, later);
    const alerts = () => recordedOfType(tenant.id, "alert").then((a) => a.filter((e) => e.payload.kind === "ticket_overdue" && e.payload.ticketId === ticketId));
    expect((await alerts()).map((a) => a.payload.deadline)).toEqual(["response"]);
    await env.DB.prepare("UPDATE after_sale_tickets SET first_response_due = '2020-01-01T00:00:00.000Z' WHERE id = ?").bind(ticketId).run();
    const overdue = await api("/tickets?overdue=1", { token: adminKey });
    expect(overdue.body.tickets.map((t: any) => [t.id, t.overdue])).toEqual([[ticketId, true]]);
    // A cursor no page gave is refused, not answered as page one (a client with a damaged cursor would start over).
    const damaged = await api("/tickets?limit=1&cursor=zzz", { token: adminKey });
    expect([damaged.status, damaged.body.error.code, damaged.body.error.issues[0].path]).toEqual([400, "invalid_cursor", "query.cursor"]);

    const reply = await api(`/tickets/${ticketId}/replies`, { method: "POST", token: adminKey, json: { body: "您好，已核实，正在为您处理" } });
    expect(reply.status).toBe(201);
    expect(reply.body.firstRespondedAt).not.toBeNull();
    expect(reply.body.overdue).toBe(false);
    expect((await smsOf(tenant.id)).filter((b) => b.includes("新回复"))).toHaveLength(1);
    const buyerReply = await shop(slug, `${path}/${ticketId}/replies`, { method: "POST", cookie, json: { body: "好的谢谢" } });
    expect(buyerReply.body.messages.map((m: any) => m.author)).toEqual(["operator", "buyer"]);

    // 49 hours on, unresolved → the resolution alert too (the response one is not raised again).
    await sweepOverdueTickets(env, new Date(Date.now() + 49 * 3_600_000));
    expect((await alerts()).map((a) => a.payload.deadline).sort()).toEqual(["resolution", "response"]);

    // Replace: a new key from stock, the old right voided, both in the ledger's events.
    const before = (await shop(slug, `/orders/${order.id}`, { cookie })).body.vouchers[0];
    const resolved = await api(`/tickets/${ticketId}/resolve`, { method: "POST", token: adminKey, json: { action: "replace", note: "已补发新卡密" } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: "resolved", resolution: "replace" });
    expect((await api(`/tickets/${ticketId}/resolve`, { method: "POST", token: adminKey, json: { action: "reject", note: "x" } })).body.error.code).toBe("ticket_closed");
    const after = (await shop(slug, `/orders/${order.id}`, { cookie })).body.vouchers;
    expect(after.map((v: any) => v.status).sort()).toEqual(["issued", "voided"]);
    const fresh = after.find((v: any) => v.status === "issued");
    expect(fresh.id).toBe(resolved.body.resolutionRef);
    expect(fresh.secret).not.toBe(before.secret);
    const compensated = (await recordedOfType(tenant.id, "voucher_compensated")).filter((e) => e.payload.complaintId === ticketId);
    expect(compensated.map((e) => e.payload.action)).toEqual(["ticket_replace"]);
    expect((await recordedOfType(tenant.id, "ticket_resolved")).filter((e) => e.payload.ticketId === ticketId)).toHaveLength(1);
    expect((await smsOf(tenant.id)).filter((b) => b.includes("已处理"))).toHaveLength(1);

    // A second ticket on the same order, refunded in part through the console refund.
    const second = await shop(slug, path, { method: "POST", cookie, json: { reason: "other", body: "买多了一张，想退一张" } });
    expect(second.status).toBe(201);
    const refunded = await api(`/tickets/${second.body.id}/resolve`, { method: "POST", token: adminKey, json: { action: "refund", amountCents: 990, note: "部分退款" } });
    expect(refunded.body).toMatchObject({ status: "resolved", resolution: "refund" });
    const detail = await api(`/orders/${order.id}/detail`, { token: adminKey });
    expect(detail.body.payments.filter((p: any) => p.kind === "refund").map((p: any) => [p.amountCents, p.status, p.reason])).toEqual([[990, "succeeded", "部分退款"]]);
    expect(detail.body.tickets.map((t: any) => t.status)).toEqual(["resolved", "resolved"]);
    expect(detail.body.refundableCents).toBe(1000);

    // A third, rejected with a reason the buyer reads in the thread.
    const third = await shop(slug, path, { method: "POST", cookie, json: { reason: "other", body: "再送我一张" } });
    const rejected = await api(`/tickets/${third.body.id}/resolve`, { method: "POST", token: adminKey, json: { action: "reject", note: "不符合售后政策" } });
    expect(rejected.body).toMatchObject({ status: "rejected", resolution: "reject" });
    const mine = await shop(slug, path, { cookie });
    expect(mine.body.tickets.find((t: any) => t.id === third.body.id).messages.at(-1).body).toBe("不符合售后政策");
    expect((await shop(slug, `${path}/${third.body.id}/replies`, { method: "POST", cookie, json: { body: "为什么" } })).body.error.code).toBe("ticket_closed");
  });

  it("an order of three keys: the buyer names the one that fails, 补发 replaces that one (or the one the operator picks)", async () => {
    const { slug, productId, adminKey } = await shopWithKeys(6);
    const order = await paidOrder(slug, productId, "as-three-keys", undefined, 3);
    const keys = (await shop(slug, `/orders/${order.id}`, { cookie: order.cookie })).body.vouchers as { id: string; status: string }[];
    expect(keys).toHaveLength(3);
    const path = `/orders/${order.id}/tickets`;
    // A right of another order is refused with its field, and no ticket is opened.
    const other = await paidOrder(slug, productId, "as-three-keys-other");
    const stranger = (await shop(slug, `/orders/${other.id}`, { cookie: other.cookie })).body.vouchers[0].id;
    const refused = await shop(slug, path, { method: "POST", cookie: order.cookie, json: { reason: "key_invalid", body: "第二张用不了", voucherId: stranger } });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: "voucher_not_in_order", issues: [expect.objectContaining({ path: "json.voucherId" })] });

    const opened = await shop(slug, path, { method: "POST", cookie: order.cookie, json: { reason: "key_invalid", body: "第二张用不了", voucherId: keys[1]!.id } });
    expect(opened.status).toBe(201);
    expect(opened.body.voucherId).toBe(keys[1]!.id);
    const replaced = await api(`/tickets/${opened.body.id}/resolve`, { method: "POST", token: adminKey, json: { action: "replace" } });
    expect(replaced.status).toBe(200);
    const status = async () => Object.fromEntries(((await shop(slug, `/orders/${order.id}`, { cookie: order.cookie })).body.vouchers as { id: string; status: string }[]).map((v) => [v.id, v.status]));
    expect(await status()).toMatchObject({ [keys[0]!.id]: "issued", [keys[1]!.id]: "voided", [keys[2]!.id]: "issued", [replaced.body.resolutionRef]: "issued" });

    // A ticket naming none: the operator picks the third.
    const second = await shop(slug, path, { method: "POST", cookie: order.cookie, json: { reason: "key_invalid", body: "又有一张不行" } });
    expect(second.body.voucherId).toBeNull();
    expect((await api(`/tickets/${second.body.id}/resolve`, { method: "POST", token: adminKey, json: { action: "replace", voucherId: stranger } })).status).toBe(422);
    expect((await api(`/tickets/${second.body.id}`, { token: adminKey })).body.status).toBe("open");
    const picked = await api(`/tickets/${second.body.id}/resolve`, { method: "POST", token: adminKey, json: { action: "replace", voucherId: keys[2]!.id } });
    expect(picked.status).toBe(200);
    expect(await status()).toMatchObject({ [keys[0]!.id]: "issued", [keys[2]!.id]: "voided", [picked.body.resolutionRef]: "issued" });
  });

  it("one consumer batch of deliveries: each buyer told once on their own channel, an unknown order skipped, a repeat sends nothing", async () => {
    const { slug, productId, tenant } = await shopWithKeys(2);
    const cookie = await phoneBuyer(slug, "13700002222");
    const byPhone = await paidOrder(slug, productId, "as-batch-1", cookie);
    const guest = await paidOrder(slug, productId, "as-batch-2");
    const delivered = (await recordedOfType(tenant.id, "order_delivered")).filter((e) => [byPhone.id, guest.id].includes(String(e.payload.orderId)));
    expect(delivered).toHaveLength(2);
    const unknown = { ...delivered[0]!, eventId: "ev_unknown_order", payload: { ...delivered[0]!.payload, orderId: "ord_not_there" } };
    await notifyDeliveries(env, [...delivered, unknown]);
    await notifyDeliveries(env, [unknown, ...delivered]);
    await dispatchEvents(env);
    const sms = (await smsOf(tenant.id)).filter((b) => b.includes("已发货"));
    expect(sms).toHaveLength(1);
    expect(sms[0]).toContain(`o=${byPhone.id}`);
    const sent = (await recordedOfType(tenant.id, "message_sent")).filter((e) => e.payload.trigger === "delivered");
    expect(sent.map((e) => [e.payload.orderId, e.payload.channel]).sort()).toEqual([[byPhone.id, "sms"], [guest.id, "webhook"]].sort());
  });

  it("a guest's ticket compensated with a coupon: the coupon is theirs, the notice goes to the brand's webhook; a failed action reopens the ticket", async () => {
    const { slug, productId, adminKey, tenant } = await shopWithKeys(1);
    const order = await paidOrder(slug, productId, "as-comp-1");
    const opened = await shop(slug, `/orders/${order.id}/tickets`, { method: "POST", cookie: order.cookie, json: { reason: "not_received", body: "没收到" } });
    expect(opened.status).toBe(201);
    const ticketId = opened.body.id as string;
    const wrong = await api(`/tickets/${ticketId}/resolve`, { method: "POST", token: adminKey, json: { action: "compensate", couponProductId: productId } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.issues[0].path).toBe("json.couponProductId");
    expect((await api(`/tickets/${ticketId}`, { token: adminKey })).body.status).toBe("open");
    const missingNote = await api(`/tickets/${ticketId}/resolve`, { method: "POST", token: adminKey, json: { action: "reject" } });
    expect(missingNote.status).toBe(400);

    const coupon = await couponProductOf(tenant.id, "售后补偿券");
    const done = await api(`/tickets/${ticketId}/resolve`, { method: "POST", token: adminKey, json: { action: "compensate", couponProductId: coupon } });
    expect(done.body).toMatchObject({ status: "resolved", resolution: "compensate" });
    const held = await env.DB.prepare("SELECT v.holder_id, v.product_id, o.buyer_id FROM vouchers v, orders o WHERE v.tenant_id = ? AND v.id = ? AND o.id = ?").bind(tenant.id, done.body.resolutionRef, order.id).first<{ holder_id: string; product_id: string; buyer_id: string }>();
    expect(held).toMatchObject({ product_id: coupon });
    expect(held!.holder_id).toBe(held!.buyer_id);
    // A guest has no phone: the notice is a message_sent event the brand's webhooks receive, no SMS.
    const notices = (await recordedOfType(tenant.id, "message_sent")).filter((e) => e.payload.flow === "service" && e.payload.orderId === order.id);
    expect(notices.filter((e) => e.payload.trigger === "ticket_resolved").map((e) => e.payload.channel)).toEqual(["webhook"]);
    // (the events consumer may already have sent the delivery notice too: also by webhook, at most once)
    expect(notices.filter((e) => e.payload.trigger === "delivered").every((e) => e.payload.channel === "webhook")).toBe(true);
    expect(await smsOf(tenant.id)).toEqual([]);
  });
});
