import { ClaimInput } from "../../schema/campaigns";
import { errorBody } from "../../schema/errors";
import { requestIdFrom } from "../domain/request-id";
import { ApiError } from "../errors";
import { PUBLIC_MAX_BYTES, publicBodyTooLarge } from "../middleware/body-limit";
import { platformOrigins } from "../domain/origins";
import { claimOpen, openCampaign } from "../services/claim";
import { edgeCityOf } from "../domain/edge-city";
import { publicCampaign } from "../services/campaigns";
import type { RequestScope } from "../queue/request-events";

// A sold-out campaign looks at the body's requestId only (no parse): a retry of an answered claim is let through.
const REQUEST_ID = /"requestId"\s*:\s*"([^"\\]{1,128})"/;
// Matched on the raw URL (scheme://host/path?query): no URL object on the hottest path.
const PATH = /^[a-z]+:\/\/[^/]+\/api\/v1\/public\/campaigns\/([\w-]{1,64})\/claims(?:\?[^#]*)?$/;

/**
 * The hottest route, served before the Hono app: the same contract (ClaimInput, ClaimResult, the error shape,
 * X-Request-Id, tenant CORS) and the same claim service (`openCampaign` + `claimOpen`) as the documented route in campaign-public.ts, without the
 * middleware stack. One difference in order: the campaign's public refusals (404, origin, preview, sold out) are
 * answered before the body is read, so a malformed body to a sold-out campaign gets 409, not 400. Measured in
 * bench:claims; anything it does not match (e.g. CORS preflight) goes to Hono.
 */
export async function fastClaim(request: Request, env: Env, inRequest: RequestScope): Promise<Response | null> {
  if (request.method !== "POST") return null;
  const m = PATH.exec(request.url);
  if (!m) return null;
  const requestId = requestIdFrom(request.headers.get("x-request-id"));
  // A plain record (not a Headers object) until the Response is built: one allocation fewer per answer.
  const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": requestId, "x-content-type-options": "nosniff" };
  const origin = request.headers.get("origin");
  if (origin) {
    const ok = platformOrigins(env).includes(origin) || (await publicCampaign(env, m[1]!))?.allowedOrigins.includes(origin);
    if (ok) {
      headers["access-control-allow-origin"] = origin;
      headers["access-control-allow-credentials"] = "true";
      headers["access-control-expose-headers"] = "X-Request-Id,Retry-After,X-Kaquan-Pass";
      headers["vary"] = "Origin";
    }
  }
  try {
    // The body is read in full (an unread body held the connection back: sold-out p99 60 → 110 ms in bench:claims),
    // but parsed and checked only past the public refusals (sold out above all): they depend on neither it nor the buyer.
    // The anonymous routes' body limit (middleware/body-limit.ts), here without the middleware.
    if (Number(request.headers.get("content-length") ?? 0) > PUBLIC_MAX_BYTES) throw publicBodyTooLarge();
    const text = await request.text();
    if (text.length > PUBLIC_MAX_BYTES) throw publicBodyTooLarge();
    const open = await openCampaign(env, m[1]!, request.headers, () => REQUEST_ID.exec(text)?.[1]);
    if (open instanceof ApiError) throw open;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ApiError(400, "invalid_body", "Malformed JSON in request body");
    }
    const input = ClaimInput.safeParse(raw);
    if (!input.success) throw ApiError.fromZod(input.error, "json");
    const result = await claimOpen(env, open, input.data, request.headers, headers, inRequest, edgeCityOf(request));
    return new Response(JSON.stringify(result), { status: 200, headers });
  } catch (thrown) {
    const e = thrown instanceof ApiError ? thrown : internalError(requestId, thrown);
    if (e.headers) Object.assign(headers, e.headers);
    return new Response(JSON.stringify(errorBody(e.code, e.message, requestId, e.issues, e.detail)), { status: e.status, headers });
  }
}

function internalError(requestId: string, thrown: unknown): ApiError {
  console.error(JSON.stringify({ at: "fastClaim", requestId, error: thrown instanceof Error ? thrown.message : String(thrown) }));
  return new ApiError(500, "internal", "Internal error; quote the request id when reporting it");
}

