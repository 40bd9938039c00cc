import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

import type { ErrorIssue } from "../schema/errors";

export type { ErrorIssue };

/** The one error class. Anything else that reaches onError is a bug and becomes an opaque 500. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly headers?: Record<string, string>,
    /** Extra fields of the error object (e.g. `challenge` on 403 challenge_required). */
    readonly detail?: Record<string, unknown>,
  ) {
    // A client error needs no stack trace, and capturing one is a large share of a refusal's cost on the hot path
    // (measured: ~6% of the sold-out answer's CPU).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = "ApiError";
  }

  /**
   * A refusal that still acted outside (a supplier asked to cancel, which may take effect there): nothing changed
   * here, but the audit log records it (otherwise it writes only answers below 400).
   */
  actedOutside = false;

  static badRequest(code: string, message: string, issues?: ErrorIssue[]) {
    return new ApiError(400, code, message, issues);
  }
  static unauthorized(message = "A valid API key is required") {
    return new ApiError(401, "unauthorized", message, undefined, { "WWW-Authenticate": 'Bearer realm="kaquan"' });
  }
  /** A shop route for a buyer, called with no (or a lapsed) session. */
  static noBuyer() {
    return ApiError.unauthorized("Sign in or start a guest checkout first");
  }
  static forbidden(message = "This key may not do that") {
    return new ApiError(403, "forbidden", message);
  }
  static notFound(what = "Resource") {
    return new ApiError(404, "not_found", `${what} not found`);
  }
  static conflict(code: string, message: string) {
    return new ApiError(409, code, message);
  }
  static tooManyRequests(retryAfterS: number, message = "Too many requests") {
    return new ApiError(429, "rate_limited", message, undefined, { "Retry-After": String(Math.ceil(retryAfterS)) });
  }
  static fromZod(error: z.ZodError, where: string) {
    // A field the contract does not know (an operator's typo would otherwise change nothing and answer 200): one
    // issue per field, at its own path.
    const issues = error.issues.flatMap((i): z.core.$ZodIssue[] => (i.code === "unrecognized_keys" ? i.keys.map((k) => ({ ...i, path: [...i.path, k], message: `Unknown field "${k}"` })) : [i])).map((i) => ({
      path: [where, ...i.path.map(String)].join("."),
      message: i.message,
      code: issueCode(i),
    }));
    return new ApiError(400, "validation_failed", validationMessage(where, issues), issues);
  }
}

const PART: Record<string, string> = { json: "request body", query: "query string", param: "path", header: "headers", form: "form", cookie: "cookies" };

/**
 * A developer reading only `message` (a CLI, a log line) learns which field is wrong and why, not just "Invalid json":
 * the first two issues inline, the rest counted. Pages speak from `code` and `issues` (site/src/lib/error-text.ts).
 */
export function validationMessage(where: string, issues: ErrorIssue[]): string {
  const shown = issues.slice(0, 2).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > 2 ? ` (and ${issues.length - 2} more, see issues)` : "";
  return `Invalid ${PART[where] ?? where}${shown.length ? ` — ${shown.join("; ")}` : ""}${more}`;
}

/** A schema's own check names its reason (`params.reason`), so pages can say why; zod's checks keep zod's code. */
function issueCode(i: z.core.$ZodIssue): string {
  const reason = i.code === "custom" ? i.params?.reason : undefined;
  return typeof reason === "string" ? reason : i.code;
}
