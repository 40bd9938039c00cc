import { signBody } from "../domain/signature";
import { ApiError } from "../errors";

type WarehouseEnv = Pick<Env, "WAREHOUSE_URL" | "WAREHOUSE_QUERY_SECRET">;
type WarehouseError = { error?: { code: string; message: string; issues?: { path: string; message: string; code: string }[] } };

/**
 * A read from the warehouse, signed with the query key (the tenant travels inside the signed body). A 400 from the
 * warehouse is the caller's input (its field paths are moved under `query.`); anything else is the warehouse's fault.
 */
export async function warehouseRead<T>(env: WarehouseEnv, path: string, payload: unknown): Promise<T> {
  const body = JSON.stringify(payload);
  let res: Response;
  try {
    res = await fetch(new URL(path, env.WAREHOUSE_URL), {
      method: "POST",
      headers: { "content-type": "application/json", "x-kaquan-signature": await signBody(env.WAREHOUSE_QUERY_SECRET, body) },
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
