import { signBody } from "../domain/signature";
import { ApiError } from "../errors";

type WarehouseEnv = Pick<Env, "WAREHOUSE_URL" | "WAREHOUSE_QUERY_SECRET">;
type WarehouseWriteEnv = Pick<Env, "WAREHOUSE_URL" | "WAREHOUSE_INGEST_SECRET">;
type WarehouseError = { error?: { code: string; message: string; issues?: { path: string; message: string; code: string }[] } };

/**
 * A read from the warehouse, signed with the query key (the tenant travels inside the signed body). A 400 from the
 * warehouse is the caller's input (its field paths are moved under `query.`); anything else is the warehouse's fault.
 */
export function warehouseRead<T>(env: WarehouseEnv, path: string, payload: unknown): Promise<T> {
  return warehouseCall<T>(env.WAREHOUSE_URL, env.WAREHOUSE_QUERY_SECRET, path, payload);
}

/** A change in the warehouse (erasure re-keying, retention deletes), signed with the writer's (ingest) key. */
export function warehouseWrite<T>(env: WarehouseWriteEnv, path: string, payload: unknown): Promise<T> {
  return warehouseCall<T>(env.WAREHOUSE_URL, env.WAREHOUSE_INGEST_SECRET, path, payload);
}

async function warehouseCall<T>(base: string, secret: string, path: string, payload: unknown): Promise<T> {
  const body = JSON.stringify(payload);
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method: "POST",
      headers: { "content-type": "application/json", "x-kaquan-signature": await signBody(secret, body) },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    console.warn(JSON.stringify({ at: "warehouse", path, problem: "warehouse_unreachable", detail: String(e) }));
    throw new ApiError(503, "warehouse_unavailable", "The analytics warehouse is not reachable; retry shortly");
  }
  const answer = (await res.json().catch(() => null)) as (T & WarehouseError) | null;
  if (res.status === 400 && answer?.error) {
    throw ApiError.badRequest(answer.error.code, answer.error.message, answer.error.issues?.map((i) => ({ ...i, path: `query.${i.path}` })));
  }
  if (!res.ok || !answer) throw new ApiError(503, "warehouse_unavailable", `The analytics warehouse answered ${res.status}`);
  return answer;
}
