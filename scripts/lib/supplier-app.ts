/**
 * The sandbox upstream supplier: several fake suppliers behind one Node service, each under /{supplier}/v1/…,
 * each with its own price list, stock, latency and failure profile. Business calls (/v1/…) must be signed in the
 * supplier's own scheme (worker/domain/supplier-sign.ts: cheapco speaks sorted_md5, steadyco hmac_header, any other
 * name kaquan_v1 with the shared secret unless a test sets credentials); bad, expired and replayed signatures are
 * refused. Admin calls (/admin/…) are signed kaquan_v1 with the shared secret. Calls are idempotent by orderRef; a
 * simulated timeout may still go through (the worker asks /orders/{ref} before falling back), as real upstreams do.
 * A profile with delivery "async" answers a recharge "processing" and settles it later — after callbackDelayMs
 * (posting the signed callback to the order's notifyUrl), or when told through /admin/settle. With a journal every
 * order's state (accepted, failed, completed) is kept, so a restart forgets none; /admin/forget loses one on purpose.
 * Cancel (撤单, POST /v1/cancel {orderRef}) withdraws an accepted order still queued; one it has started recharging
 * (startAfterMs after accepting, or /admin/start) or finished it refuses, answering how it ended. An order it does not
 * know it marks cancelled, so that should it still arrive it is refused: "cancelled" is a promise never to recharge it.
 */
import { Hono } from "hono";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { SupplierCardKeyRequest, SupplierRechargeRequest } from "../../schema/suppliers";
import { verifyBody } from "../../worker/domain/signature";
import { signRequest, verifyRequest, type SupplierCredentials } from "../../worker/domain/supplier-sign";
import { toCsv } from "../../worker/domain/statement-csv";
import { SUPPLIER_STATEMENT_HEADER } from "../../worker/suppliers/statement";

export interface Faults {
  latencyMs: [number, number];
  errorRate: number;
  timeoutRate: number;
  /** How long a "timeout" hangs; longer than the worker's client timeout. */
  hangMs: number;
  /** Share of hung calls that still complete upstream (only a status query tells). */
  hangCompletesRate: number;
  /** Share of error answers (502) given after the order went through upstream: the answer is lost, not the recharge. */
  errorCompletesRate?: number;
  outOfStock: boolean;
}

export interface SupplierProfile {
  faults: Faults;
  prices: Record<string, number>;
  stock: Record<string, number>;
  /** The scheme and key this supplier verifies (and signs its callbacks with); default kaquan_v1 + the shared secret. */
  credentials?: SupplierCredentials;
  /** async: a recharge is answered "processing" and settled later (callback to its notifyUrl). */
  delivery?: "sync" | "async";
  /** With async delivery: settle (succeeded) and call back this long after accepting; unset = only via /admin/settle. */
  callbackDelayMs?: number | null;
  /** With async delivery: start recharging (from then on it cannot be cancelled) this long after accepting; unset = queued until settled or /admin/start. */
  startAfterMs?: number | null;
  /** Each catalogue read moves every price by up to ± this around its list price (a live price list). */
  priceDriftCents?: number;
}

/** The demo suppliers' own test keys (sandbox only): the seed registers them with these. */
export const SANDBOX_SUPPLIER_CREDENTIALS: Record<"cheapco" | "steadyco", SupplierCredentials> = {
  cheapco: { scheme: "sorted_md5", appId: "kaquan-demo", secret: "cheapco-sandbox-md5-key-2026" },
  steadyco: { scheme: "hmac_header", appId: "kaquan-demo", secret: "steadyco-sandbox-hmac-key-2026" },
};

const DEFAULT_FAULTS: Faults = { latencyMs: [40, 160], errorRate: 0.02, timeoutRate: 0.01, hangMs: 5_000, hangCompletesRate: 0.5, outOfStock: false };

/** Demo suppliers: a cheap flaky one and a dearer steady one, so routing and fallback show up in practice. */
export function defaultProfiles(): Record<string, SupplierProfile> {
  const skus = ["VIDEO-M1", "MUSIC-M1", "GAME-50", "PHONE-30"];
  const stock = (n: number) => Object.fromEntries(skus.map((s) => [s, n]));
  return {
    cheapco: { faults: { ...DEFAULT_FAULTS, latencyMs: [80, 400], errorRate: 0.15, timeoutRate: 0.05 }, prices: { "VIDEO-M1": 1500, "MUSIC-M1": 1000, "GAME-50": 4700, "PHONE-30": 2950 }, stock: stock(500), credentials: SANDBOX_SUPPLIER_CREDENTIALS.cheapco, priceDriftCents: 20 },
    steadyco: { faults: { ...DEFAULT_FAULTS }, prices: { "VIDEO-M1": 1700, "MUSIC-M1": 1150, "GAME-50": 4850, "PHONE-30": 2970 }, stock: stock(1_000_000), credentials: SANDBOX_SUPPLIER_CREDENTIALS.steadyco },
  };
}

/** A completed upstream order; sku, cost and time are what the daily statement lists (older journal lines lack them). */
type Done = { status: "succeeded"; supplierRef: string; keys?: string[]; sku?: string; quantity?: number; costCents?: number; at?: string };

/**
 * An accepted asynchronous order not settled yet; settleAt: when its timer settles it (null: only /admin/settle);
 * startAt: when it starts recharging — from then on it can no longer be cancelled (null: queued until /admin/start).
 */
type Pending = { status: "processing"; supplierRef: string; notifyUrl: string | null; sku: string; quantity: number; settleAt?: string | null; startAt?: string | null };
type Failed = { status: "failed"; supplierRef: string; reason: string };
/** The admin "forget" hook: the supplier lost the order (answers `unknown` for it from then on). */
type Forgotten = { status: "forgotten" };
/** Cancelled (撤单): never to be recharged; supplierRef null when the supplier did not know the order when asked. */
type Cancelled = { status: "cancelled"; supplierRef: string | null };
type ProfileChange = Partial<Pick<SupplierProfile, "credentials" | "delivery" | "callbackDelayMs" | "startAfterMs" | "priceDriftCents" | "prices" | "stock">>;
/** A demo's or test's change to a supplier's settings (key: the supplier's name), kept so a restart keeps them too. */
type Settings = { status: "settings"; profile?: ProfileChange; faults?: Partial<Faults> };
/**
 * One journal line: the order's state from then on (the last line of an order wins; older journals hold only Done),
 * or a change to a supplier's settings (replayed in order).
 */
export type JournalEntry = Done | Pending | Failed | Forgotten | Cancelled | Settings;

/**
 * Where upstream orders are kept — accepted, failed and completed — so idempotency by orderRef holds across a
 * restart of the sandbox too, and an order it accepted is still known (and settled by its timer) after one.
 */
export interface SupplierJournal {
  load(): [string, JournalEntry][];
  append(key: string, value: JournalEntry): void;
}

export function fileJournal(file: string): SupplierJournal {
  mkdirSync(dirname(file), { recursive: true });
  return {
    load: () => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as [string, JournalEntry]) : []),
    append: (key, value) => appendFileSync(file, `${JSON.stringify([key, value])}\n`),
  };
}

/** A journal kept in memory (tests: a "restart" is a new app over the same journal). */
export function memoryJournal(): SupplierJournal & { lines: [string, JournalEntry][] } {
  const lines: [string, JournalEntry][] = [];
  return { lines, load: () => lines.map(([k, v]) => [k, structuredClone(v)]), append: (key, value) => void lines.push([key, structuredClone(value)]) };
}

export function createSupplierApp(secret: string, profiles = defaultProfiles(), rand = Math.random, journal?: SupplierJournal) {
  const app = new Hono();
  const done = new Map<string, Done>();
  // Accepted asynchronous orders not settled yet, and settled failures (successes are in `done`).
  const pending = new Map<string, Omit<Pending, "status">>();
  const failed = new Map<string, { supplierRef: string; reason: string }>();
  const cancelled = new Map<string, { supplierRef: string | null }>();
  const notifyUrls = new Map<string, string>();
  // A supplier name not in the profiles gets the steady price list and no injected faults (tests set their own).
  const base = defaultProfiles().steadyco!;
  const profile = (name: string) =>
    (profiles[name] ??= { faults: { ...DEFAULT_FAULTS, latencyMs: [5, 20], errorRate: 0, timeoutRate: 0 }, prices: { ...base.prices }, stock: { ...base.stock } });
  const listPrices = new Map<string, Record<string, number>>();
  const changeSettings = (name: string, v: Settings) => {
    const p = profile(name);
    if (v.faults) p.faults = { ...p.faults, ...v.faults };
    const body = v.profile ?? {};
    if (body.prices) {
      p.prices = { ...p.prices, ...body.prices };
      listPrices.delete(name);
    }
    if (body.stock) p.stock = { ...p.stock, ...body.stock };
    for (const k of ["credentials", "delivery", "callbackDelayMs", "startAfterMs", "priceDriftCents"] as const) if (k in body) (p as unknown as Record<string, unknown>)[k] = body[k];
    return p;
  };
  /** Puts an order in its state (the maps) — from the journal at start, or as it happens (then journalled too). */
  const apply = (key: string, v: JournalEntry) => {
    if (v.status === "settings") return void changeSettings(key, v);
    done.delete(key);
    pending.delete(key);
    failed.delete(key);
    cancelled.delete(key);
    if (v.status === "succeeded") done.set(key, v);
    else if (v.status === "processing") {
      const { status: _, ...job } = v;
      pending.set(key, job);
      if (v.notifyUrl) notifyUrls.set(key, v.notifyUrl);
    } else if (v.status === "failed") failed.set(key, { supplierRef: v.supplierRef, reason: v.reason });
    else if (v.status === "cancelled") cancelled.set(key, { supplierRef: v.supplierRef });
    else notifyUrls.delete(key);
  };
  const record = (key: string, value: JournalEntry) => {
    apply(key, value);
    journal?.append(key, value);
  };
  const complete = (key: string, value: Done) => record(key, value);
  for (const [key, value] of journal?.load() ?? []) apply(key, value);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const credsOf = (name: string): SupplierCredentials => profile(name).credentials ?? { scheme: "kaquan_v1", appId: null, secret };
  const seenNonces = new Map<string, number>();

  app.get("/health", (c) => c.json({ ok: true, suppliers: Object.keys(profiles) }));

  app.use("/:supplier/*", async (c, next) => {
    const raw = c.req.method === "GET" ? "" : await c.req.text();
    const name = c.req.param("supplier");
    if (c.req.path.startsWith(`/${name}/admin/`)) {
      const sig = await verifyBody(secret, raw, c.req.header("x-supplier-signature"));
      if (!sig.ok) return c.json({ error: "bad_signature", message: sig.reason }, 401);
      c.set("raw" as never, raw as never);
      return next();
    }
    // Business calls: the supplier's own scheme, each one-time value accepted once.
    const url = new URL(c.req.url);
    const v = await verifyRequest(credsOf(name), { method: c.req.method, path: `${url.pathname}${url.search}`, header: (h) => c.req.header(h), body: raw });
    if (!v.ok) return c.json({ error: "bad_signature", message: v.reason }, 401);
    const nonceKey = v.nonce === null ? null : `${name}|${v.nonce}`;
    if (nonceKey && seenNonces.has(nonceKey)) return c.json({ error: "bad_signature", message: "replayed" }, 401);
    if (nonceKey) seenNonces.set(nonceKey, Date.now());
    if (seenNonces.size > 50_000) for (const [k, at] of seenNonces) if (at < Date.now() - 600_000) seenNonces.delete(k);
    c.set("raw" as never, JSON.stringify(v.params) as never);
    await next();
  });

  /** Test and demo controls: credentials, delivery mode, price list and stock of one supplier. */
  app.post("/:supplier/admin/profile", async (c) => {
    const change: Settings = { status: "settings", profile: JSON.parse(c.get("raw" as never) as string) as ProfileChange };
    journal?.append(c.req.param("supplier"), change);
    const p = changeSettings(c.req.param("supplier"), change);
    return c.json({ delivery: p.delivery ?? "sync", scheme: credsOf(c.req.param("supplier")).scheme, prices: p.prices, stock: p.stock });
  });

  /** The live price list: cost and stock per SKU (prices drift when the profile says so). */
  app.get("/:supplier/v1/catalogue", (c) => {
    const name = c.req.param("supplier");
    const p = profile(name);
    if (!listPrices.has(name)) listPrices.set(name, { ...p.prices });
    const list = listPrices.get(name)!;
    const drift = p.priceDriftCents ?? 0;
    if (drift > 0) for (const sku of Object.keys(list)) p.prices[sku] = list[sku]! + Math.round((rand() * 2 - 1) * drift);
    return c.json({ items: Object.keys(p.prices).map((sku) => ({ sku, costCents: p.prices[sku]!, stock: p.faults.outOfStock ? 0 : Math.max(0, p.stock[sku] ?? 0) })) });
  });

  /** The signed callback for an order's outcome, in the supplier's scheme; sent to the order's notifyUrl when asked. */
  async function callbackFor(name: string, orderRef: string, status: "succeeded" | "failed" | "processing", supplierRef: string, notifyUrl: string | null, reason?: string) {
    if (!notifyUrl) return null;
    const url = new URL(notifyUrl);
    // A success says what the supplier charged for the order (what its statement bills).
    const costCents = status === "succeeded" ? done.get(`${name}|${orderRef}`)?.costCents : undefined;
    const signed = await signRequest(credsOf(name), "POST", `${url.pathname}${url.search}`, { orderRef, status, supplierRef, ...(reason ? { reason } : {}), ...(costCents !== undefined ? { costCents } : {}) });
    return { url: `${url.origin}${signed.path}`, method: "POST", headers: signed.headers, body: signed.body ?? "" };
  }

  async function settle(name: string, orderRef: string, outcome: "succeeded" | "failed", reason = "upstream_rejected") {
    const key = `${name}|${orderRef}`;
    const job = pending.get(key);
    if (!job) return null;
    if (outcome === "succeeded") {
      const p = profile(name);
      p.stock[job.sku] = (p.stock[job.sku] ?? 0) - job.quantity;
      // Booked when settled: the day's statement lists it with its cost.
      complete(key, { status: "succeeded", supplierRef: job.supplierRef, sku: job.sku, quantity: job.quantity, costCents: (p.prices[job.sku] ?? 0) * job.quantity, at: new Date().toISOString() });
    } else record(key, { status: "failed", supplierRef: job.supplierRef, reason });
    return job;
  }

  /** Settles an accepted order (succeeded) at settleAt and posts its callback. */
  function settleLater(name: string, orderRef: string, settleAt: string) {
    setTimeout(() => {
      void settle(name, orderRef, "succeeded").then((job) => job && callbackFor(name, orderRef, "succeeded", job.supplierRef, job.notifyUrl)).then(send);
    }, Math.max(0, Date.parse(settleAt) - Date.now()));
  }
  // Accepted orders journalled before a restart are settled by their timers still.
  for (const [key, job] of pending) if (job.settleAt) settleLater(key.slice(0, key.indexOf("|")), key.slice(key.indexOf("|") + 1), job.settleAt);

  async function send(cb: Awaited<ReturnType<typeof callbackFor>>) {
    if (!cb) return null;
    try {
      const res = await fetch(cb.url, { method: cb.method, headers: cb.headers, body: cb.body, signal: AbortSignal.timeout(5_000) });
      return res.status;
    } catch {
      return null;
    }
  }

  /**
   * Settles an accepted asynchronous order: {orderRef, outcome: succeeded | failed | processing, send?}. Answers the
   * signed callback (so a test can deliver it, twice or out of order); send: true also posts it to the notifyUrl.
   * outcome processing changes nothing and answers a "still processing" callback.
   */
  app.post("/:supplier/admin/settle", async (c) => {
    const name = c.req.param("supplier");
    const body = JSON.parse(c.get("raw" as never) as string) as { orderRef: string; outcome: "succeeded" | "failed" | "processing"; send?: boolean; reason?: string };
    const key = `${name}|${body.orderRef}`;
    const job = body.outcome === "processing" ? pending.get(key) : await settle(name, body.orderRef, body.outcome, body.reason);
    const ref = job?.supplierRef ?? done.get(key)?.supplierRef ?? failed.get(key)?.supplierRef;
    if (!ref) return c.json({ error: "internal", message: "no such order" }, 404);
    const notifyUrl = job?.notifyUrl ?? notifyUrls.get(key) ?? null;
    const callback = await callbackFor(name, body.orderRef, body.outcome, ref, notifyUrl, body.outcome === "failed" ? (body.reason ?? "upstream_rejected") : undefined);
    return c.json({ callback, sent: body.send ? await send(callback) : null });
  });

  /** Test hook: the supplier loses an order ({orderRef}) — from then on it answers `unknown` for it, as if never placed. */
  app.post("/:supplier/admin/forget", (c) => {
    const key = `${c.req.param("supplier")}|${(JSON.parse(c.get("raw" as never) as string) as { orderRef: string }).orderRef}`;
    if (!done.has(key) && !pending.has(key) && !failed.has(key)) return c.json({ error: "internal", message: "no such order" }, 404);
    record(key, { status: "forgotten" });
    return c.json({ ok: true });
  });

  /** Fault injection for demos and tests: POST /{supplier}/admin/faults with any Faults fields. */
  app.post("/:supplier/admin/faults", async (c) => {
    const change: Settings = { status: "settings", faults: JSON.parse(c.get("raw" as never) as string) as Partial<Faults> };
    journal?.append(c.req.param("supplier"), change);
    return c.json(changeSettings(c.req.param("supplier"), change).faults);
  });

  // Every business call: latency, then maybe a hang (timeout) or an error, per the supplier's profile.
  async function behave(p: SupplierProfile): Promise<"ok" | "error" | "hang"> {
    const [lo, hi] = p.faults.latencyMs;
    await sleep(lo + rand() * (hi - lo));
    const r = rand();
    if (r < p.faults.timeoutRate) return "hang";
    if (r < p.faults.timeoutRate + p.faults.errorRate) return "error";
    return "ok";
  }

  app.get("/:supplier/v1/stock/:sku", async (c) => {
    const p = profile(c.req.param("supplier"));
    const sku = c.req.param("sku");
    if (!(sku in p.prices)) return c.json({ error: "unknown_sku", message: sku }, 404);
    return c.json({ sku, available: p.faults.outOfStock ? 0 : (p.stock[sku] ?? 0), priceCents: p.prices[sku]! });
  });

  /** Every order this supplier completed (for tests: one recharge per order reference, at one supplier). */
  app.get("/:supplier/admin/orders", (c) => {
    const prefix = `${c.req.param("supplier")}|`;
    return c.json({ orders: [...done].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => ({ orderRef: k.slice(prefix.length), supplierRef: v.supplierRef })) });
  });

  /** The day's statement (China time): every order completed that day, with its cost, as CSV. */
  app.get("/:supplier/v1/statement", (c) => {
    const day = c.req.query("day") ?? "";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return c.json({ error: "bad_day", message: "day=YYYY-MM-DD" }, 400);
    const prefix = `${c.req.param("supplier")}|`;
    const chinaDay = (at: string) => new Date(Date.parse(at) + 8 * 3_600_000).toISOString().slice(0, 10);
    const rows = [...done]
      .filter(([k, v]) => k.startsWith(prefix) && v.at && chinaDay(v.at) === day)
      .map(([k, v]) => [v.supplierRef, k.slice(prefix.length), v.sku ?? "", String(v.quantity ?? 1), String(v.costCents ?? 0), v.at!]);
    return c.body(toCsv([SUPPLIER_STATEMENT_HEADER, ...rows], "machine"), 200, { "content-type": "text/csv; charset=utf-8" });
  });

  /** Test hook: books an order this supplier says it completed (to plant a statement line we never asked for). */
  app.post("/:supplier/admin/book", (c) => {
    const b = JSON.parse(c.get("raw" as never) as string) as { orderRef: string } & Omit<Done, "status">;
    complete(`${c.req.param("supplier")}|${b.orderRef}`, { status: "succeeded", supplierRef: b.supplierRef, sku: b.sku, quantity: b.quantity, costCents: b.costCents, at: b.at });
    return c.json({ ok: true });
  });

  app.get("/:supplier/v1/orders/:ref", async (c) => {
    const key = `${c.req.param("supplier")}|${c.req.param("ref")}`;
    const hit = done.get(key);
    const waiting = pending.get(key);
    const lost = failed.get(key) ?? cancelled.get(key);
    const status = hit ? "succeeded" : waiting ? "processing" : lost ? "failed" : "unknown";
    return c.json({ orderRef: c.req.param("ref"), status, supplierRef: hit?.supplierRef ?? waiting?.supplierRef ?? lost?.supplierRef ?? null, ...(hit?.costCents !== undefined ? { costCents: hit.costCents } : {}) });
  });

  async function fulfil(c: import("hono").Context, kind: "recharge" | "card-keys") {
    const name = c.req.param("supplier")!;
    const p = profile(name);
    const parsed = (kind === "recharge" ? SupplierRechargeRequest : SupplierCardKeyRequest).safeParse(JSON.parse((c.get("raw" as never) as string) || "null"));
    if (!parsed.success) return c.json({ error: "internal", message: "bad request" }, 400);
    const req = parsed.data;
    const key = `${name}|${req.orderRef}`;
    const prior = done.get(key);
    if (prior) return c.json({ orderRef: req.orderRef, ...prior });
    const accepted = pending.get(key);
    if (accepted) return c.json({ orderRef: req.orderRef, supplierRef: accepted.supplierRef, status: "processing" });
    if (failed.has(key)) return c.json({ error: "internal", message: "order failed upstream" }, 502);
    if (cancelled.has(key)) return c.json({ error: "internal", message: "order cancelled" }, 502);
    if (!(req.sku in p.prices)) return c.json({ error: "unknown_sku", message: req.sku }, 404);
    const outcome = await behave(p);
    if (p.faults.outOfStock || (p.stock[req.sku] ?? 0) < req.quantity) return c.json({ error: "out_of_stock", message: req.sku }, 409);
    const result = {
      status: "succeeded" as const,
      supplierRef: `${name}-${randomBytes(8).toString("hex")}`,
      sku: req.sku, quantity: req.quantity, costCents: p.prices[req.sku]! * req.quantity, at: new Date().toISOString(),
      ...(kind === "card-keys" ? { keys: Array.from({ length: req.quantity }, () => `SUP-${randomBytes(8).toString("hex").toUpperCase()}`) } : {}),
    };
    if (kind === "recharge" && p.delivery === "async") {
      // Accepted: settled later, by timer (with a callback to notifyUrl) or through /admin/settle.
      // Journalled with the time its timer settles it, so a restart neither forgets it nor its timer.
      const notifyUrl = (req as { notifyUrl?: string }).notifyUrl ?? null;
      const settleAt = p.callbackDelayMs != null ? new Date(Date.now() + p.callbackDelayMs).toISOString() : null;
      const startAt = p.startAfterMs != null ? new Date(Date.now() + p.startAfterMs).toISOString() : null;
      record(key, { status: "processing", supplierRef: result.supplierRef, notifyUrl, sku: req.sku, quantity: req.quantity, settleAt, startAt });
      if (settleAt) settleLater(name, req.orderRef, settleAt);
      return c.json({ orderRef: req.orderRef, supplierRef: result.supplierRef, status: "processing" });
    }
    if (outcome === "error") {
      if (rand() < (p.faults.errorCompletesRate ?? 0)) {
        p.stock[req.sku] = (p.stock[req.sku] ?? 0) - req.quantity;
        complete(key, result);
      }
      return c.json({ error: "internal", message: "upstream error (injected)" }, 502);
    }
    if (outcome === "hang") {
      if (rand() < p.faults.hangCompletesRate) {
        p.stock[req.sku] = (p.stock[req.sku] ?? 0) - req.quantity;
        complete(key, result);
      }
      await sleep(p.faults.hangMs);
      return c.json({ error: "internal", message: "late" }, 504);
    }
    p.stock[req.sku] = (p.stock[req.sku] ?? 0) - req.quantity;
    complete(key, result);
    return c.json({ orderRef: req.orderRef, ...result });
  }

  /** Cancels an order now (the state change of a cancel request); what the supplier answers. */
  function cancelNow(name: string, orderRef: string) {
    const key = `${name}|${orderRef}`;
    const hit = done.get(key);
    if (hit) return { orderRef, status: "succeeded" as const, supplierRef: hit.supplierRef, ...(hit.costCents !== undefined ? { costCents: hit.costCents } : {}) };
    const lost = failed.get(key);
    if (lost) return { orderRef, status: "failed" as const, supplierRef: lost.supplierRef, reason: lost.reason };
    const was = cancelled.get(key);
    if (was) return { orderRef, status: "cancelled" as const, supplierRef: was.supplierRef };
    const job = pending.get(key);
    if (job?.startAt && Date.parse(job.startAt) <= Date.now()) return { orderRef, status: "refused" as const, supplierRef: job.supplierRef, reason: "in_progress" };
    record(key, { status: "cancelled", supplierRef: job?.supplierRef ?? null });
    // A withdrawn order's failure is called back too (as real upstreams do); one it never had has nowhere to go.
    if (job) void callbackFor(name, orderRef, "failed", job.supplierRef, job.notifyUrl, "cancelled").then(send);
    return { orderRef, status: "cancelled" as const, supplierRef: job?.supplierRef ?? null, ...(job ? {} : { reason: "not_found" }) };
  }

  app.post("/:supplier/v1/cancel", async (c) => {
    const name = c.req.param("supplier");
    const p = profile(name);
    const orderRef = (JSON.parse((c.get("raw" as never) as string) || "null") as { orderRef?: unknown } | null)?.orderRef;
    if (typeof orderRef !== "string" || !orderRef || orderRef.length > 100) return c.json({ error: "internal", message: "bad request" }, 400);
    const outcome = await behave(p);
    if (outcome === "error") return c.json({ error: "internal", message: "upstream error (injected)" }, 502);
    if (outcome === "hang") {
      // Like a hung recharge, a hung cancel may still take effect upstream: only asking again tells.
      if (rand() < p.faults.hangCompletesRate) cancelNow(name, orderRef);
      await sleep(p.faults.hangMs);
      return c.json({ error: "internal", message: "late" }, 504);
    }
    return c.json(cancelNow(name, orderRef));
  });

  /** Test hook: the supplier starts recharging an accepted order ({orderRef}); from then on it cannot be cancelled. */
  app.post("/:supplier/admin/start", (c) => {
    const key = `${c.req.param("supplier")}|${(JSON.parse(c.get("raw" as never) as string) as { orderRef: string }).orderRef}`;
    const job = pending.get(key);
    if (!job) return c.json({ error: "internal", message: "no such order" }, 404);
    record(key, { status: "processing", ...job, startAt: new Date().toISOString() });
    return c.json({ ok: true });
  });

  app.post("/:supplier/v1/recharge", (c) => fulfil(c, "recharge"));
  app.post("/:supplier/v1/card-keys", (c) => fulfil(c, "card-keys"));
  return app;
}
