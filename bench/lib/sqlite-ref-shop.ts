/**
 * The reference for bench:orders: the same buyer journey as a one-box 发卡 shop would build it — a plain Node HTTP
 * server on one SQLite file in WAL mode (node:sqlite). Guest cookie, idempotent order with a key reserved by a guarded
 * UPDATE, a payment, a sandbox gateway that signs the callback (HMAC-SHA256 over "t.body") and posts it in-process,
 * the callback verified and applied in one transaction (payment → succeeded, order → paid, key → delivered, voucher
 * inserted, order → delivered), keys AES-GCM encrypted at rest, and the buyer's order read with its key decrypted.
 * Same URL shapes as kaquan's shop API, so bench/orders.ts drives both with one client.
 *   PORT, DB_FILE, KEYS (how many keys to load)
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { DatabaseSync } from "node:sqlite";

const db = new DatabaseSync(process.env.DB_FILE!);
db.exec(`
  PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
  CREATE TABLE products (id TEXT PRIMARY KEY, price_cents INTEGER NOT NULL);
  CREATE TABLE buyers (id TEXT PRIMARY KEY, created_at TEXT NOT NULL);
  CREATE TABLE card_keys (id INTEGER PRIMARY KEY, product_id TEXT NOT NULL, secret_enc BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'available', order_id TEXT);
  CREATE INDEX card_keys_available ON card_keys (product_id, status);
  CREATE TABLE orders (id TEXT PRIMARY KEY, buyer_id TEXT NOT NULL, product_id TEXT NOT NULL, idem TEXT UNIQUE,
    amount_cents INTEGER NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, paid_at TEXT);
  CREATE TABLE payments (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, amount_cents INTEGER NOT NULL,
    status TEXT NOT NULL, provider_ref TEXT);
  CREATE TABLE vouchers (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, card_key_id INTEGER NOT NULL UNIQUE, created_at TEXT NOT NULL);
`);
const encKey = randomBytes(32);
const gatewaySecret = randomBytes(32);
const seal = (plain: string) => {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", encKey, iv);
  return Buffer.concat([iv, c.update(plain, "utf8"), c.final(), c.getAuthTag()]);
};
const open = (box: Uint8Array) => {
  const b = Buffer.from(box);
  const d = createDecipheriv("aes-256-gcm", encKey, b.subarray(0, 12));
  d.setAuthTag(b.subarray(b.length - 16));
  return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]).toString("utf8");
};

const PRODUCT = "prd_ref";
db.prepare("INSERT INTO products VALUES (?, 990)").run(PRODUCT);
const insertKey = db.prepare("INSERT INTO card_keys (product_id, secret_enc) VALUES (?, ?)");
db.exec("BEGIN");
for (let i = 0; i < Number(process.env.KEYS ?? 1000); i++) insertKey.run(PRODUCT, seal(`REF-${i}-${randomUUID()}`));
db.exec("COMMIT");

const now = () => new Date().toISOString();
const q = {
  buyer: db.prepare("INSERT INTO buyers VALUES (?, ?)"),
  product: db.prepare("SELECT * FROM products WHERE id = ?"),
  orderByIdem: db.prepare("SELECT * FROM orders WHERE idem = ?"),
  insertOrder: db.prepare("INSERT INTO orders VALUES (?, ?, ?, ?, ?, 'created', ?, NULL)"),
  reserve: db.prepare(
    `UPDATE card_keys SET status = 'reserved', order_id = ?
     WHERE id = (SELECT id FROM card_keys WHERE product_id = ? AND status = 'available' LIMIT 1) AND status = 'available'`,
  ),
  insertPayment: db.prepare("INSERT INTO payments VALUES (?, ?, ?, 'pending', NULL)"),
  payment: db.prepare("SELECT * FROM payments WHERE id = ?"),
  completePayment: db.prepare("UPDATE payments SET status = 'succeeded', provider_ref = ? WHERE id = ? AND status = 'pending'"),
  paid: db.prepare("UPDATE orders SET status = 'paid', paid_at = ? WHERE id = ? AND status = 'created'"),
  keyOfOrder: db.prepare("SELECT id FROM card_keys WHERE order_id = ? AND status = 'reserved'"),
  deliverKey: db.prepare("UPDATE card_keys SET status = 'delivered' WHERE id = ? AND status = 'reserved'"),
  voucher: db.prepare("INSERT INTO vouchers VALUES (?, ?, ?, ?)"),
  delivered: db.prepare("UPDATE orders SET status = 'delivered' WHERE id = ? AND status = 'paid'"),
  order: db.prepare("SELECT * FROM orders WHERE id = ? AND buyer_id = ?"),
  orderKeys: db.prepare("SELECT k.secret_enc FROM vouchers v JOIN card_keys k ON k.id = v.card_key_id WHERE v.order_id = ?"),
};
const tx = <T>(fn: () => T): T => {
  db.exec("BEGIN IMMEDIATE");
  try {
    const r = fn();
    db.exec("COMMIT");
    return r;
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
};

type Answer = { status: number; body: unknown; cookie?: string };
const err = (status: number, code: string): Answer => ({ status, body: { error: { code } } });

function placeOrder(buyerId: string | null, idem: string | undefined, body: { productId?: string }): Answer {
  if (!idem) return err(400, "idempotency_key_required");
  return tx(() => {
    let cookie: string | undefined;
    if (!buyerId) {
      buyerId = `buy_${randomUUID()}`;
      q.buyer.run(buyerId, now());
      cookie = `ref_buyer=${buyerId}`;
    }
    const seen = q.orderByIdem.get(idem) as { id: string } | undefined;
    if (seen) return { status: 201, body: { id: seen.id }, cookie };
    const product = q.product.get(body.productId ?? "") as { price_cents: number } | undefined;
    if (!product) return err(404, "not_found");
    const orderId = `ord_${randomUUID()}`;
    q.insertOrder.run(orderId, buyerId, body.productId!, idem, product.price_cents, now());
    if (q.reserve.run(orderId, body.productId!).changes !== 1) throw Object.assign(new Error("sold_out"), { status: 409 });
    const paymentId = `pay_${randomUUID()}`;
    q.insertPayment.run(paymentId, orderId, product.price_cents);
    return { status: 201, body: { id: orderId, checkoutUrl: `/api/v1/pay/sandbox/checkout/${paymentId}` }, cookie };
  });
}

function callback(raw: string, signature: string): Answer {
  const [t, v1] = signature.split(",").map((p) => p.split("=")[1] ?? "");
  const want = createHmac("sha256", gatewaySecret).update(`${t}.${raw}`).digest();
  if (!v1 || !timingSafeEqual(Buffer.from(v1, "hex"), want) || Math.abs(Date.now() / 1000 - Number(t)) > 300) return err(401, "bad_signature");
  const n = JSON.parse(raw) as { paymentId: string; orderId: string; amountCents: number; txn: string };
  return tx(() => {
    const p = q.payment.get(n.paymentId) as { order_id: string; amount_cents: number; status: string } | undefined;
    if (!p || p.order_id !== n.orderId || p.amount_cents !== n.amountCents) return err(400, "mismatch");
    if (p.status !== "pending") return { status: 200, body: { ok: true } };
    q.completePayment.run(n.txn, n.paymentId);
    if (q.paid.run(now(), n.orderId).changes !== 1) throw new Error("order not payable");
    for (const k of q.keyOfOrder.all(n.orderId) as { id: number }[]) {
      if (q.deliverKey.run(k.id).changes !== 1) throw new Error("key lost");
      q.voucher.run(`vc_${randomUUID()}`, n.orderId, k.id, now());
    }
    q.delivered.run(n.orderId);
    return { status: 200, body: { ok: true } };
  });
}

function pay(paymentId: string): Answer {
  const p = q.payment.get(paymentId) as { order_id: string; amount_cents: number } | undefined;
  if (!p) return err(404, "not_found");
  const raw = JSON.stringify({ paymentId, orderId: p.order_id, amountCents: p.amount_cents, txn: `txn_${randomUUID()}` });
  const t = Math.floor(Date.now() / 1000);
  const callbackSentAt = Date.now();
  const ack = callback(raw, `t=${t},v1=${createHmac("sha256", gatewaySecret).update(`${t}.${raw}`).digest("hex")}`);
  return { status: ack.status, body: { status: "paid", callbackSentAt } };
}

function readOrder(buyerId: string | null, id: string): Answer {
  const o = q.order.get(id, buyerId ?? "") as { id: string; status: string } | undefined;
  if (!o) return err(404, "not_found");
  const vouchers = (q.orderKeys.all(id) as { secret_enc: Uint8Array }[]).map((k) => ({ secret: open(k.secret_enc) }));
  return { status: 200, body: { id: o.id, status: o.status, vouchers } };
}

function route(req: IncomingMessage, raw: string): Answer {
  const buyerId = /ref_buyer=([^;]+)/.exec(req.headers.cookie ?? "")?.[1] ?? null;
  const url = req.url ?? "";
  let m: RegExpExecArray | null;
  if (req.method === "POST" && /^\/api\/v1\/shop\/[^/]+\/orders$/.test(url)) {
    return placeOrder(buyerId, req.headers["idempotency-key"] as string | undefined, raw ? JSON.parse(raw) : {});
  }
  if (req.method === "POST" && (m = /^\/api\/v1\/pay\/sandbox\/checkout\/([^/]+)\/pay$/.exec(url))) return pay(m[1]!);
  if (req.method === "POST" && url === "/api/v1/pay/callback/sandbox") return callback(raw, String(req.headers["x-sandbox-signature"] ?? ""));
  if (req.method === "GET" && (m = /^\/api\/v1\/shop\/[^/]+\/orders\/([^/]+)$/.exec(url))) return readOrder(buyerId, m[1]!);
  return err(404, "not_found");
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let raw = "";
  req.on("data", (d) => (raw += d));
  req.on("end", () => {
    let a: Answer;
    try {
      a = route(req, raw);
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      a = err(status, e instanceof Error ? e.message : "error");
    }
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (a.cookie) headers["set-cookie"] = `${a.cookie}; Path=/; HttpOnly; SameSite=Lax`;
    res.writeHead(a.status, headers).end(JSON.stringify(a.body));
  });
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("ready"));
