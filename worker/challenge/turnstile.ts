import type { Challenge, SiteverifyRequest, SiteverifyResponse } from "../../schema/risk";
import { SiteverifyResponse as Answer } from "../../schema/risk";
import type { ChallengeContext, ChallengeProvider } from "./provider";

const SITEVERIFY = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/** Cloudflare Turnstile: the page renders the widget with `siteKey` (action, cdata) and sends its token back. */
export function turnstileProvider(siteKey: string, secret: string): ChallengeProvider {
  return {
    name: "turnstile",
    secret,
    async issue(ctx: ChallengeContext): Promise<Challenge> {
      return { provider: "turnstile", action: ctx.action, siteKey, expiresAt: new Date(Date.now() + 300_000).toISOString(), answerHeader: "X-Kaquan-Challenge" };
    },
    async siteverify(req: SiteverifyRequest): Promise<SiteverifyResponse> {
      const res = await fetch(SITEVERIFY, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(req) });
      const parsed = Answer.safeParse(await res.json().catch(() => null));
      return parsed.success ? parsed.data : { success: false, "error-codes": ["internal-error"] };
    },
  };
}
