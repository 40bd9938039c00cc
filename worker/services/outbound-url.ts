import { isDevelopment } from "../domain/deploy-config";
import { TARGET_PROBLEMS, targetProblemCode } from "../domain/webhook-target";
import { ApiError } from "../errors";

/** A URL a brand gives us to call (webhook, payment gateway, supplier): refused with a 400 at `path` when it fails the SSRF guard. */
export function assertOutboundUrl(env: Pick<Env, "ENVIRONMENT">, url: string, path: string, code: string, what: string): void {
  const problem = targetProblemCode(url, isDevelopment(env));
  if (problem) throw ApiError.badRequest(code, `${what} refused: ${TARGET_PROBLEMS[problem]}`, [{ path, message: TARGET_PROBLEMS[problem], code: problem }]);
}
