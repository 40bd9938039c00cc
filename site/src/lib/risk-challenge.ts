/**
 * The client half of "challenge on suspicion": risk hints sent with a claim, solving the server's challenge
 * (the sandbox proof-of-work with Web Crypto, in batches that yield to the page), and keeping the pass a solved
 * challenge earns. Shared by the campaign pages; the widget bundles the same solver (worker/domain/pow.ts).
 */
import { powResponse, solvePow } from "../../../worker/domain/pow";

export interface Challenge {
  provider: "sandbox_pow" | "turnstile";
  token?: string;
  nonce?: string;
  difficulty?: number;
  siteKey?: string;
  expiresAt: string;
}

const PASS_KEY = "kq-pass";

/** The page's own automation flag and the pass, if any. */
export function riskHeaders(): Record<string, string> {
  const h: Record<string, string> = { "x-kaquan-webdriver": navigator.webdriver ? "1" : "0" };
  try {
    const pass = localStorage.getItem(PASS_KEY);
    if (pass) h["x-kaquan-pass"] = pass;
  } catch {}
  return h;
}

export function savePass(pass: string) {
  try {
    localStorage.setItem(PASS_KEY, pass);
  } catch {}
}

export async function answerChallenge(c: Challenge): Promise<string> {
  if (c.provider === "sandbox_pow" && c.token && c.nonce && c.difficulty) return powResponse(c.token, await solvePow(c.nonce, c.difficulty));
  throw new Error(`unsupported challenge ${c.provider}`);
}
