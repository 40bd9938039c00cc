/**
 * The sandbox upstream supplier: several fake suppliers behind one Node service, each under /{supplier}/v1/…,
 * each with its own price list, stock, latency and failure profile. Requests must carry a valid
 * `x-supplier-signature` (same scheme as our webhooks). Calls are idempotent by orderRef; a simulated timeout may
 * still go through (the worker asks /orders/{ref} before falling back), as real upstreams do.
 */
import { Hono } from "hono";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { SupplierCardKeyRequest, SupplierRechargeRequest } from "../../schema/suppliers";
import { verifyBody } from "../../worker/domain/signature";
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
  outOfStock: boolean;
}

export interface SupplierProfile {
  faults: Faults;
  prices: Record<string, number>;
  stock: Record<string, number>;
}

const DEFAULT_FAULTS: Faults = { latencyMs: [40, 160], errorRate: 0.02, timeoutRate: 0.01, hangMs: 5_000, hangCompletesRate: 0.5, outOfStock: false };

/** Demo suppliers: a cheap flaky one and a dearer steady one, so routing and fallback show up in practice. */
export function defaultProfiles(): Record<string, SupplierProfile> {
  const skus = ["VIDEO-M1", "MUSIC-M1", "GAME-50", "PHONE-30"];
  const stock = (n: number) => Object.fromEntries(skus.map((s) => [s, n]));
  return {
    cheapco: { faults: { ...DEFAULT_FAULTS, latencyMs: [80, 400], errorRate: 0.15, timeoutRate: 0.05 }, prices: { "VIDEO-M1": 1500, "MUSIC-M1": 1000, "GAME-50": 4700, "PHONE-30": 2950 }, stock: stock(500) },
    steadyco: { faults: { ...DEFAULT_FAULTS }, prices: { "VIDEO-M1": 1700, "MUSIC-M1": 1150, "GAME-50": 4850, "PHONE-30": 2990 }, stock: stock(1_000_000) },
  };
}

/** A completed upstream order; sku, cost and time are what the daily statement lists (older journal lines lack them). */
type Done = { status: "succeeded"; supplierRef: string; keys?: string[]; sku?: string; quantity?: number; costCents?: number; at?: string };

/** Where completed upstream orders are kept, so idempotency by orderRef holds across a restart of the sandbox too. */
export interface SupplierJournal {
  load(): [string, Done][];
  append(key: string, value: Done): void;
}

export function fileJournal(file: string): SupplierJournal {
  mkdirSync(dirname(file), { recursive: true });
  return {
    load: () => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as [string, Done]) : []),
    append: (key, value) => appendFileSync(file, `${JSON.stringify([key, value])}\n`),
  };
}

export function createSupplierApp(secret: string, profiles = defaultProfiles(), rand = Math.random, journal?: SupplierJournal) {
  const app = new Hono();
  const done = new Map<string, Done>(journal?.load() ?? []);
  const complete = (key: string, value: Done) => {
    done.set(key, value);
    journal?.append(key, value);
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // A supplier name not in the profiles gets the steady price list and no injected faults (tests set their own).
  const base = defaultProfiles().steadyco!;
  const profile = (name: string) =>
    (profiles[name] ??= { faults: { ...DEFAULT_FAULTS, latencyMs: [5, 20], errorRate: 0, timeoutRate: 0 }, prices: { ...base.prices }, stock: { ...base.stock } });

  app.get("/health", (c) => c.json({ ok: true, suppliers: Object.keys(profiles) }));

  app.use("/:supplier/*", async (c, next) => {
    const raw = c.req.method === "GET" ? "" : await c.req.text();
    const sig = await verifyBody(secret, raw, c.req.header("x-supplier-signature"));
    if (!sig.ok) return c.json({ error: "bad_signature", message: sig.reason }, 401);
    c.set("raw" as never, raw as never);
    await next();
  });

  /** Fault injection for demos and tests: POST /{supplier}/admin/faults with any Faults fields. */
  app.post("/:supplier/admin/faults", async (c) => {
    const p = profile(c.req.param("supplier"));
    p.faults = { ...p.faults, ...(JSON.parse(c.get("raw" as never) as string) as Partial<Faults>) };
    return c.json(p.faults);
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
    return c.body(toCsv([SUPPLIER_STATEMENT_HEADER, ...rows]), 200, { "content-type": "text/csv; charset=utf-8" });
  });

  /** Test hook: books an order this supplier says it completed (to plant a statement line we never asked for). */
  app.post("/:supplier/admin/book", (c) => {
    const b = JSON.parse(c.get("raw" as never) as string) as { orderRef: string } & Omit<Done, "status">;
    complete(`${c.req.param("supplier")}|${b.orderRef}`, { status: "succeeded", supplierRef: b.supplierRef, sku: b.sku, quantity: b.quantity, costCents: b.costCents, at: b.at });
    return c.json({ ok: true });
  });

  app.get("/:supplier/v1/orders/:ref", async (c) => {
    const hit = done.get(`${c.req.param("supplier")}|${c.req.param("ref")}`);
    return c.json({ orderRef: c.req.param("ref"), status: hit ? "succeeded" : "unknown", supplierRef: hit?.supplierRef ?? null });
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
    if (!(req.sku in p.prices)) return c.json({ error: "unknown_sku", message: req.sku }, 404);
    const outcome = await behave(p);
    if (p.faults.outOfStock || (p.stock[req.sku] ?? 0) < req.quantity) return c.json({ error: "out_of_stock", message: req.sku }, 409);
    if (outcome === "error") return c.json({ error: "internal", message: "upstream error (injected)" }, 502);
    const result = {
      status: "succeeded" as const,
      supplierRef: `${name}-${randomBytes(8).toString("hex")}`,
      sku: req.sku, quantity: req.quantity, costCents: p.prices[req.sku]! * req.quantity, at: new Date().toISOString(),
      ...(kind === "card-keys" ? { keys: Array.from({ length: req.quantity }, () => `SUP-${randomBytes(8).toString("hex").toUpperCase()}`) } : {}),
    };
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

  app.post("/:supplier/v1/recharge", (c) => fulfil(c, "recharge"));
  app.post("/:supplier/v1/card-keys", (c) => fulfil(c, "card-keys"));
  return app;
}
