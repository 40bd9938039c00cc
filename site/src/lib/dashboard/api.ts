/** The analyst key lives in this browser only (localStorage); every request sends it as a bearer token. */
import { errorText } from "../error-text";
import { toQuery } from "./filters";

const KEY = "kq-analyst-key";

export const getKey = () => localStorage.getItem(KEY) ?? "";
export const setKey = (k: string) => (k ? localStorage.setItem(KEY, k.trim()) : localStorage.removeItem(KEY));

export type Row = Record<string, unknown>;
export class ApiFailure extends Error {
  /** message: already in the page's language (error-text.ts). */
  constructor(readonly status: number, message: string, readonly code = "") {
    super(message);
  }
}

export async function metric(name: string, params: Record<string, string>): Promise<Row[]> {
  return (await get<{ rows: Row[] }>(`/analytics/${name}?${toQuery(params)}`)).rows;
}

export type Names = { campaigns: Record<string, string>; products: Record<string, string>; suppliers: Record<string, string>; tiers: Record<string, string>; segments: Record<string, string>; issuances: Record<string, string> };
/** Display names for the ids in rows (the worker reads them from D1; the warehouse keeps ids only). */
export const names = () => get<Names>("/analytics/names");

async function get<T>(path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { headers: { authorization: `Bearer ${getKey()}` } });
  } catch {
    throw new ApiFailure(0, errorText(null, ["网络连接失败，请检查网络后重试", "Network error; check the connection and retry"]), "network");
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiFailure(res.status, errorText(body?.error, ["请求出错", `HTTP ${res.status}`]), body?.error?.code ?? "");
  return body as T;
}
