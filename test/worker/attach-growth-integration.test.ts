import { env } from "cloudflare:workers";
import { retryAssistRewards } from "../../worker/services/assists";
import { createOrder, requestHashOf } from "../../worker/services/orders";
import { describe, expect, it } from "vitest";
import { api, countRows, settleOutbox } from "./helpers";
import { assist, brand, inviteCode, Phone, programme } from "./growth-helpers";

const newPhone = () => `139${String(Date.now()).slice(-6)}${Math.floor(Math.random() * 90 + 10)}`;
const idOf = async (p: Phone) => (await p.call("/me")).body.buyer.id as string;
const productsOf = async (p: Phone) => (await p.call("/vouchers")).body.vouchers.map((v: { productId: string }) => v.productId) as string[];
const heldBy = (tenantId: string, buyerId: string) =>
  countRows("SELECT (SELECT COUNT(*) FROM vouchers WHERE tenant_id = ?1 AND holder_id = ?2) + (SELECT COUNT(*) FROM orders WHERE tenant_id = ?1 AND buyer_id = ?2) AS n", tenantId, buyerId);

/** A friend's help, from a phone of their own. */
async function help(slug: string, code: string) {
  const r = await (await new Phone(slug).guest()).post(`/assist-requests/${code}/help`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

/** A friend takes the invite and pays their first order. */
async function inviteePays(slug: string, code: string, productId: string) {
  const friend = await new Phone(slug).guest();
  expect((await friend.post("/invites/accept", { code })).body.status).toBe("accepted");
  await friend.buyAndPay(productId, `wallet_${crypto.randomUUID().slice(0, 8)}`);
}

/** A brand with an invite programme and an assist, and a member's account signed in on a laptop. */
async function anAccount() {
  const b = await brand(10);
  await programme(b);
  const assistId = await assist(b.adminKey, b.reward);
  const phone = newPhone();
  const laptop = await (await new Phone(b.slug).member()).signIn(phone);
  return { b, assistId, phone, laptop, account: await idOf(laptop) };
}

// Someone with an account signs in on a new phone where they already began, as a guest, a help link (助力), an
// invite link (邀请有礼) and an after-sale ticket. What those bring in afterwards is the account's: nothing may land on
// the guest id, which no session shows any more.
describe("a guest's growth links after it signs in to an existing account", { timeout: 180_000 }, () => {
  it("the help request, the invite link and the ticket go on under the account, and what they bring lands in its 我的卡券", async () => {
    const { b, assistId, phone, laptop, account } = await anAccount();

    const mobile = await new Phone(b.slug).member();
    const guest = await idOf(mobile);
    const started = await mobile.post(`/assists/${assistId}/requests`);
    expect(started.status).toBe(201);
    const link = started.body.code as string;
    const code = await inviteCode(mobile);
    await help(b.slug, link);
    // And a purchase with an after-sale ticket still open.
    const orderId = await mobile.buyAndPay(b.productId, "wallet_mobile");
    const opened = await mobile.post(`/orders/${orderId}/tickets`, { reason: "key_invalid", body: "卡密提示已被使用" });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    await mobile.signIn(phone);
    expect(await idOf(mobile)).toBe(account);
    expect((await laptop.call(`/orders/${orderId}/tickets`)).body.tickets).toEqual([expect.objectContaining({ id: opened.body.id, status: "open" })]);

    // The account sees its request, with the help it had, from either device.
    for (const device of [laptop, mobile]) {
      const home = await device.call(`/assists/${assistId}`);
      expect(home.body.mine).toMatchObject({ code: link, helps: 1, viewer: "requester" });
    }
    // The invite link is the account's now (it had none of its own).
    expect(await inviteCode(laptop)).toBe(code);

    for (let i = 0; i < 4; i++) await help(b.slug, link);
    await inviteePays(b.slug, code, b.productId);

    // The store settles the ticket with a coupon: the account's too.
    const settled = await api(`/tickets/${opened.body.id}/resolve`, { method: "POST", token: b.adminKey, json: { action: "compensate", couponProductId: b.reward } });
    expect(settled.status, JSON.stringify(settled.body)).toBe(200);

    expect((await productsOf(laptop)).filter((p) => p === b.reward)).toHaveLength(3);
    expect((await laptop.call("/member/invites")).body).toMatchObject({ invited: 1, rewarded: 1 });
    expect(await heldBy(b.tenant.id, guest)).toBe(0);
  });

  it("an account with links of its own keeps them; what the guest's links bring in still reaches the account", async () => {
    const { b, assistId, phone, laptop, account } = await anAccount();
    const own = await laptop.post(`/assists/${assistId}/requests`);
    const ownCode = await inviteCode(laptop);

    const mobile = await new Phone(b.slug).member();
    const guest = await idOf(mobile);
    const link = (await mobile.post(`/assists/${assistId}/requests`)).body.code as string;
    const code = await inviteCode(mobile);
    await mobile.signIn(phone);

    // One open request per person and activity, one invite link per person: the account's stay its own.
    expect((await laptop.call(`/assists/${assistId}`)).body.mine.code).toBe(own.body.code);
    expect(await inviteCode(mobile)).toBe(ownCode);
    // The account cannot help the guest's request from another device: it is its own.
    const self = await laptop.post(`/assist-requests/${link}/help`);
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe("assist_self_help");
    // The guest's link was shared already: friends still help on it, and friends still accept it.
    for (let i = 0; i < 5; i++) await help(b.slug, link);
    await inviteePays(b.slug, code, b.productId);

    expect((await productsOf(laptop)).filter((p) => p === b.reward)).toHaveLength(2);
    expect(await heldBy(b.tenant.id, guest)).toBe(0);
    const rewards = await env.DB.prepare("SELECT buyer_id FROM invite_rewards WHERE tenant_id = ? AND role = 'inviter'").bind(b.tenant.id).all<{ buyer_id: string }>();
    expect(rewards.results).toEqual([{ buyer_id: account }]);
  });

  it("a reward order an earlier release made (hashed on the buyer, not the request) and a crash left unrecorded is taken up", async () => {
    const b = await brand(10);
    const assistId = await assist(b.adminKey, b.reward);
    const requester = await new Phone(b.slug).member();
    const link = (await requester.post(`/assists/${assistId}/requests`)).body.code as string;
    for (let i = 0; i < 5; i++) await help(b.slug, link);
    const r = (await env.DB.prepare("SELECT * FROM assist_requests WHERE code = ?").bind(link).first<{ id: string; requester_id: string; reward_order_id: string }>())!;
    // As the old release left it: the order's hash on the requester, the request without its reward.
    const legacy = await requestHashOf({ tenantId: b.tenant.id, buyerId: r.requester_id, productId: b.reward, idempotencyKey: `assist:${r.id}`, source: `assist:${assistId}`, unitPriceCents: 0 });
    await env.DB.batch([
      env.DB.prepare("UPDATE orders SET request_hash = ? WHERE id = ?").bind(legacy, r.reward_order_id),
      env.DB.prepare("UPDATE assist_requests SET reward_order_id = NULL WHERE id = ?").bind(r.id),
    ]);
    expect(await retryAssistRewards(env, b.tenant.id)).toBe(1);
    const after = await env.DB.prepare("SELECT reward_order_id FROM assist_requests WHERE id = ?").bind(r.id).first<{ reward_order_id: string }>();
    expect(after!.reward_order_id).toBe(r.reward_order_id);
    expect((await productsOf(requester)).filter((p) => p === b.reward)).toHaveLength(1);
  });

  it("a reward whose holder was read before the attachment and written after it still lands on the account", async () => {
    const { b, phone, laptop, account } = await anAccount();
    const mobile = await new Phone(b.slug).member();
    const guest = await idOf(mobile);
    await mobile.signIn(phone);
    // The window: issueReward read the holder (the guest) a few round trips before the sign-in attached it, and
    // inserts the order after. Without the trigger (D1 0238) the order and its voucher stay on the guest id.
    const { order } = await createOrder(env, {
      tenantId: b.tenant.id, buyerId: guest, winnerId: `late-${guest}`, productId: b.reward, idempotencyKey: `assist:late-${guest}`, source: "assist:late",
      unitPriceCents: 0, requirePublished: false, purchaseLimit: false,
    });
    await settleOutbox();
    const row = await env.DB.prepare("SELECT buyer_id, status FROM orders WHERE id = ?").bind(order.id).first<{ buyer_id: string; status: string }>();
    expect(row).toEqual({ buyer_id: account, status: "delivered" });
    // A voucher written for the guest after the attachment (a delivery that read its order before the sign-in).
    await env.DB.prepare("INSERT INTO vouchers (id, tenant_id, holder_id, product_id, kind, code, source_key, title, valid_from, valid_to) SELECT 'v-late', tenant_id, ?, product_id, kind, 'late-code-' || ?, 'late:' || ?, title, valid_from, valid_to FROM vouchers WHERE order_id = ?")
      .bind(guest, guest, guest, order.id).run();
    expect((await env.DB.prepare("SELECT holder_id FROM vouchers WHERE id = 'v-late'").first<{ holder_id: string }>())!.holder_id).toBe(account);
    expect((await productsOf(laptop)).filter((p) => p === b.reward)).toHaveLength(2);
    expect(await heldBy(b.tenant.id, guest)).toBe(0);
  });

  it("rewards written for the guest while its sign-in runs all land on the account, whatever the interleaving", async () => {
    const { b, phone, laptop, account } = await anAccount();
    const mobile = await new Phone(b.slug).member();
    const guest = await idOf(mobile);
    // Twelve writes that read the holder (the guest) before the attachment, racing the sign-in that attaches it.
    const late = Array.from({ length: 12 }, (_, i) => async () => {
      await new Promise((r) => setTimeout(r, i * 3));
      return createOrder(env, {
        tenantId: b.tenant.id, buyerId: guest, winnerId: `race-${guest}-${i}`, productId: b.reward, idempotencyKey: `assist:race-${guest}-${i}`, source: "assist:race",
        unitPriceCents: 0, requirePublished: false, purchaseLimit: false,
      });
    });
    await Promise.all([mobile.signIn(phone), ...late.map((f) => f())]);
    await settleOutbox();
    expect(await heldBy(b.tenant.id, guest)).toBe(0);
    expect((await productsOf(laptop)).filter((p) => p === b.reward)).toHaveLength(12);
  });
});
