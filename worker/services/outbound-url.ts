import { isDevelopment } from "../domain/deploy-config";
import { targetProblem } from "../domain/webhook-target";
import { ApiError } from "../errors";

/** A URL a brand gives us to call (webhook, payment gateway, supplier): refused with a 400 at `path` when it fails the SSRF guard. */
export function assertOutboundUrl(env: Pick<Env, "ENVIRONMENT">, url: string, path: string, code: string, what: string): void {
  const problem = targetProblem(url, isDevelopment(env));
  if (problem) throw ApiError.badRequest(code, `${what} refused: ${problem}`, [{ path, message: problem, code }]);
}
