import { SupplierCancelResult, SupplierCardKeyResult, SupplierCatalogue, SupplierOrderStatus, SupplierRechargeResult, SupplierStock } from "../../schema/suppliers";
import { signRequest, type Params, type SupplierCredentials } from "../domain/supplier-sign";

export type SupplierCallResult<T> =
  | { ok: true; value: T }
  | { ok: false; outcome: "out_of_stock" | "error" | "timeout"; detail: string };

/** costCents: what the supplier says it charged for the order, when it says. */
export type SupplierOrderState = { status: "succeeded" | "failed" | "processing" | "unknown"; supplierRef: string | null; costCents?: number };

/** An upstream rights supplier. Calls are idempotent by orderRef, so a retry after a timeout is safe. */
export interface SupplierClient {
  stock(sku: string): Promise<SupplierCallResult<{ available: number; priceCents: number }>>;
  /** status processing: accepted; the outcome comes by callback to notifyUrl (or a status query). */
  recharge(req: { orderRef: string; sku: string; account: string; quantity: number; notifyUrl?: string }): Promise<SupplierCallResult<{ supplierRef: string; status: "succeeded" | "processing"; costCents?: number }>>;
  fetchCardKeys(req: { orderRef: string; sku: string; quantity: number }): Promise<SupplierCallResult<{ supplierRef: string; keys: string[]; costCents?: number }>>;
  status(orderRef: string): Promise<SupplierCallResult<SupplierOrderState>>;
  /** 撤单: asks the supplier not to recharge the order (idempotent by orderRef; see SupplierCancelResult). */
  cancel(orderRef: string): Promise<SupplierCallResult<SupplierCancelResult>>;
  /** The live price list: cost and stock per SKU. */
  catalogue(): Promise<SupplierCallResult<{ items: { sku: string; costCents: number; stock: number }[] }>>;
}

export const SUPPLIER_TIMEOUT_MS = 2_000;

/** A fetch that gave up waiting (its AbortSignal.timeout fired), as opposed to one that could not connect. */
export const isTimeout = (e: unknown) => e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");

// The body-signature scheme (kaquan_v1) has no nonce: the same request signed twice in one second is the same request,
// which the supplier refuses as a replay. So a repeat (asking again after an unreadable answer, or two operators pressing
// 不再等待 within a second — each with its own client) waits for the next second. Module-wide, not per client: clients
// are made per request. Across isolates a collision can remain; the supplier's refusal then reads as "no answer", and
// asking again settles it.
let sentIn = 0;
const sentThisSecond = new Set<string>();
/** Waits until `request` was not yet sent in the current second; answers that second, to sign it with. */
async function ownSecond(request: string): Promise<number> {
  for (;;) {
    const s = Math.floor(Date.now() / 1000);
    if (s !== sentIn) {
      sentIn = s;
      sentThisSecond.clear();
    }
    if (!sentThisSecond.has(request)) {
      sentThisSecond.add(request);
      return s;
    }
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
  }
}

/** The HTTP supplier protocol (sandbox and real): requests signed in the supplier's own scheme (domain/supplier-sign). */
export function httpSupplierClient(baseUrl: string, creds: SupplierCredentials, timeoutMs = SUPPLIER_TIMEOUT_MS): SupplierClient {
  const prefix = new URL(baseUrl).pathname.replace(/\/$/, "");
  const origin = new URL(baseUrl).origin;
  async function call<T>(method: "GET" | "POST", path: string, params: Params | null, parse: (x: unknown) => T): Promise<SupplierCallResult<T>> {
    let res: Response;
    const second = creds.scheme === "kaquan_v1" && params ? await ownSecond(`${origin}${prefix} ${method} ${path} ${JSON.stringify(params)}`) : undefined;
    try {
      // Signed over the full path the supplier sees (its base path included).
      const signed = await signRequest(creds, method, `${prefix}${path}`, params, second);
      res = await fetch(`${origin}${signed.path}`, { method, headers: signed.headers, body: signed.body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      return { ok: false, outcome: isTimeout(e) ? "timeout" : "error", detail: (e instanceof Error && e.name) || "network" };
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {}
    if (res.status === 409 && (json as { error?: string })?.error === "out_of_stock") return { ok: false, outcome: "out_of_stock", detail: "out_of_stock" };
    if (!res.ok) return { ok: false, outcome: "error", detail: `http_${res.status}${(json as { error?: string })?.error ? `:${(json as { error: string }).error}` : ""}` };
    try {
      return { ok: true, value: parse(json) };
    } catch {
      return { ok: false, outcome: "error", detail: "bad_response" };
    }
  }
  return {
    stock: (sku) => call("GET", `/v1/stock/${encodeURIComponent(sku)}`, null, (x) => SupplierStock.parse(x)),
    recharge: (req) => call("POST", "/v1/recharge", Object.fromEntries(Object.entries(req).filter(([, v]) => v !== undefined)) as Params, (x) => SupplierRechargeResult.parse(x)),
    fetchCardKeys: (req) => call("POST", "/v1/card-keys", req, (x) => SupplierCardKeyResult.parse(x)),
    status: (ref) => call("GET", `/v1/orders/${encodeURIComponent(ref)}`, null, (x) => SupplierOrderStatus.parse(x)),
    cancel: (ref) => call("POST", "/v1/cancel", { orderRef: ref }, (x) => SupplierCancelResult.parse(x)),
    catalogue: () => call("GET", "/v1/catalogue", null, (x) => SupplierCatalogue.parse(x)),
  };
}
