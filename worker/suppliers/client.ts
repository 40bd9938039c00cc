import { SupplierCardKeyResult, SupplierOrderStatus, SupplierRechargeResult, SupplierStock } from "../../schema/suppliers";
import { signBody } from "../domain/signature";

export type SupplierCallResult<T> =
  | { ok: true; value: T }
  | { ok: false; outcome: "out_of_stock" | "error" | "timeout"; detail: string };

/** An upstream rights supplier. Calls are idempotent by orderRef, so a retry after a timeout is safe. */
export interface SupplierClient {
  stock(sku: string): Promise<SupplierCallResult<{ available: number; priceCents: number }>>;
  recharge(req: { orderRef: string; sku: string; account: string; quantity: number }): Promise<SupplierCallResult<{ supplierRef: string }>>;
  fetchCardKeys(req: { orderRef: string; sku: string; quantity: number }): Promise<SupplierCallResult<{ supplierRef: string; keys: string[] }>>;
  status(orderRef: string): Promise<SupplierCallResult<{ status: "succeeded" | "failed" | "unknown"; supplierRef: string | null }>>;
}

export const SUPPLIER_TIMEOUT_MS = 2_000;

/** The HTTP supplier protocol (sandbox and real): JSON, signed like our webhooks with a shared secret. */
export function httpSupplierClient(baseUrl: string, secret: string, timeoutMs = SUPPLIER_TIMEOUT_MS): SupplierClient {
  async function call<T>(method: string, path: string, body: unknown, parse: (x: unknown) => T): Promise<SupplierCallResult<T>> {
    const raw = body === undefined ? "" : JSON.stringify(body);
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { "content-type": "application/json", "x-supplier-signature": await signBody(secret, raw) },
        body: method === "GET" ? undefined : raw,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const name = e instanceof Error ? e.name : "";
      return { ok: false, outcome: name === "TimeoutError" || name === "AbortError" ? "timeout" : "error", detail: name || "network" };
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {}
    if (res.status === 409 && (json as { error?: string })?.error === "out_of_stock") return { ok: false, outcome: "out_of_stock", detail: "out_of_stock" };
    if (!res.ok) return { ok: false, outcome: "error", detail: `http_${res.status}` };
    try {
      return { ok: true, value: parse(json) };
    } catch {
      return { ok: false, outcome: "error", detail: "bad_response" };
    }
  }
  return {
    stock: (sku) => call("GET", `/v1/stock/${encodeURIComponent(sku)}`, undefined, (x) => SupplierStock.parse(x)),
    recharge: (req) => call("POST", "/v1/recharge", req, (x) => SupplierRechargeResult.parse(x)),
    fetchCardKeys: (req) => call("POST", "/v1/card-keys", req, (x) => SupplierCardKeyResult.parse(x)),
    status: (ref) => call("GET", `/v1/orders/${encodeURIComponent(ref)}`, undefined, (x) => SupplierOrderStatus.parse(x)),
  };
}
