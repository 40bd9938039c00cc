import { describe, expect, it } from "vitest";
import { SEED_VERDICT, seedMatchesCommitment, sha256Hex } from "../../site/src/lib/seed-commitment";
import { sha256 } from "../../worker/domain/draw";

describe("lottery page: the revealed seed against its commitment (D4)", () => {
  const seed = "a3".repeat(32);

  it("hashes in the browser's way exactly as the coordinator commits", async () => {
    expect(await sha256Hex(seed)).toBe(sha256(seed));
    expect(await seedMatchesCommitment(seed, sha256(seed))).toBe(true);
  });

  it("a swapped seed, a missing seed or a missing commitment is not a match", async () => {
    expect(await seedMatchesCommitment("b4".repeat(32), sha256(seed))).toBe(false);
    expect(await seedMatchesCommitment(seed, sha256(seed).toUpperCase().replace(/^./, "0"))).toBe(false);
    expect(await seedMatchesCommitment(null, sha256(seed))).toBe(false);
    expect(await seedMatchesCommitment(seed, null)).toBe(false);
    expect(await seedMatchesCommitment("", sha256(""))).toBe(false);
  });

  it("words the verdict in both languages", () => {
    expect(SEED_VERDICT.pass).toEqual(["✔ 种子与承诺一致", "✔ The seed matches its commitment"]);
    expect(SEED_VERDICT.fail[0]).toBe("✘ 种子与承诺不一致");
  });
});
