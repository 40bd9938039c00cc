/** The analyst key lives in this browser only (localStorage); every request sends it as a bearer token. */
import { errorText } from "../error-text";

const KEY = "kq-analyst-key";

export const getKey = () => localStorage.getItem(KEY) ?? "";
export const setKey = (k: string) => (k ? localStorage.setItem(KEY, k.trim()) : localStorage.removeItem(KEY));

export type Row = Record<string, unknown>;
export class ApiFailure extends Error {
  /** message: already in the page's language (error-text.ts). */
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function metric(name: string, params: Record<string, string>): Promise<Row[]> {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ""));
  const res = await fetch(`/api/v1/analytics/${name}?${qs}`, { headers: { authorization: `Bearer ${getKey()}` } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiFailure(res.status, errorText(body?.error, ["请求出错", `HTTP ${res.status}`]));
  return body.rows as Row[];
}
