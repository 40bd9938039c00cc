/**
 * A lottery publishes SHA-256 of its secret seed (hex, of the seed's text; worker/domain/draw.ts `sha256`) before it
 * opens and the seed after it ends. The pages recompute the hash in the browser rather than take the server's word.
 */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** Whether the revealed seed is the one committed to; no commitment (or no seed) never counts as a match. */
export async function seedMatchesCommitment(seed: string | null | undefined, commitment: string | null | undefined): Promise<boolean> {
  if (!seed || !commitment) return false;
  return (await sha256Hex(seed)) === commitment;
}

/** The verdict's words, [zh, en], for the lottery page. */
export const SEED_VERDICT = {
  pass: ["✔ 种子与承诺一致", "✔ The seed matches its commitment"],
  fail: ["✘ 种子与承诺不一致", "✘ The seed does not match its commitment"],
  failDetail: [
    "公布的种子不是开奖前承诺的那个：本次活动的抽奖结果无法验证，请联系主办方。",
    "The published seed is not the one committed to before opening: this lottery's draws cannot be verified. Contact the organiser.",
  ],
} as const;
