/**
 * The typed kaquan API client for brands and for this project's own scripts and benches: openapi-fetch over the
 * types generated from the API's OpenAPI document (`npm run api:client` → openapi.json, openapi.d.ts). Paths, params,
 * bodies and answers are checked by TypeScript against the API's zod contracts.
 *
 *   const kq = kaquanClient("https://kaquan.example", process.env.KAQUAN_KEY);
 *   const product = await must(kq.POST("/products", { body: { kind: "card_key", name: "视频月卡", … } }));
 */
import createClient from "openapi-fetch";
import type { paths } from "./openapi";

export type { paths };

export function kaquanClient(baseUrl: string, token?: string) {
  const client = createClient<paths>({ baseUrl: `${baseUrl.replace(/\/$/, "")}/api/v1` });
  if (token) {
    client.use({
      onRequest({ request }) {
        request.headers.set("authorization", `Bearer ${token}`);
        return request;
      },
    });
  }
  return client;
}

export class KaquanApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

/** The answer's data, or a KaquanApiError with the API's error code, message and request id. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) {
    const e = (error as { error?: { code?: string; message?: string; requestId?: string } } | undefined)?.error;
    throw new KaquanApiError(response.status, e?.code ?? "http_error", e?.message ?? response.statusText, e?.requestId);
  }
  return data;
}
