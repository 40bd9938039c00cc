import { parseCsv } from "../domain/statement-csv";
import { signRequest, type SupplierCredentials } from "../domain/supplier-sign";
import type { TheirLine } from "../domain/reconcile";
import { isTimeout } from "./client";

/** The supplier statement's columns (GET /v1/statement?day=YYYY-MM-DD, China time). */
export const SUPPLIER_STATEMENT_HEADER = ["supplier_ref", "order_ref", "sku", "quantity", "cost_cents", "completed_at"];

/**
 * Downloads a supplier's statement of a day, signed in the supplier's own scheme like every supplier call
 * (domain/supplier-sign.ts), over the full path the supplier sees (its base path included).
 */
export async function fetchSupplierStatement(baseUrl: string, creds: SupplierCredentials, day: string, timeoutMs = 10_000): Promise<string> {
  const prefix = new URL(baseUrl).pathname.replace(/\/$/, "");
  // The day is a signed parameter: a sorted-params supplier checks every query parameter against the signature.
  const signed = await signRequest(creds, "GET", `${prefix}/v1/statement`, { day });
  // Said in both languages ("中文 / English"): the console shows a failed run's reason to the operator.
  let res: Response;
  try {
    res = await fetch(`${new URL(baseUrl).origin}${signed.path}`, { headers: signed.headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new Error(isTimeout(e) ? `供应商 ${timeoutMs / 1000} 秒内未返回账单 / supplier statement: no answer within ${timeoutMs / 1000} s` : "无法连接供应商，请检查其接口地址 / supplier statement: could not reach the supplier (check its base URL)");
  }
  if (!res.ok) throw new Error(`供应商拒绝提供账单（HTTP ${res.status}） / supplier statement: HTTP ${res.status}`);
  return res.text();
}

/** The statement's lines; throws on a file that is not a supplier statement. */
export function parseSupplierStatement(text: string): TheirLine[] {
  const [head, ...rows] = parseCsv(text);
  if (!head || head.join(",") !== SUPPLIER_STATEMENT_HEADER.join(",")) throw new Error("not a supplier statement");
  return rows.map((r, i) => {
    const [externalRef, ref, , quantity, cost, at] = r;
    const cents = Number(cost);
    if (r.length !== SUPPLIER_STATEMENT_HEADER.length || !ref || !Number.isInteger(cents) || !Number.isInteger(Number(quantity))) throw new Error(`supplier statement line ${i + 2} is malformed`);
    return { kind: "delivery" as const, ref, externalRef: externalRef!, amountCents: cents, feeCents: 0, at: at! };
  });
}
