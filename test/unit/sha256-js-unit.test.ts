import { createHash, randomBytes } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { leadingZeroBits, meetsDifficulty, powDigest, solvePow } from "../../worker/domain/pow";
import { sha256Bytes } from "../../worker/domain/sha256-js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("SHA-256 without WebCrypto (the widget on a page that is not a secure context)", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("matches node:crypto on every padding edge and longer inputs", () => {
    expect(hex(sha256Bytes(new TextEncoder().encode("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const m = randomBytes(n);
      expect(hex(sha256Bytes(new Uint8Array(m))), `${n} bytes`).toBe(createHash("sha256").update(m).digest("hex"));
    }
  });

  it("solves the proof of work when crypto.subtle is missing, and the answer holds where WebCrypto checks it", async () => {
    const g = globalThis as unknown as { crypto: { subtle?: unknown } };
    const subtle = g.crypto.subtle;
    expect(hex(await powDigest("n0nce", 42))).toBe(createHash("sha256").update("n0nce42").digest("hex"));
    vi.stubGlobal("crypto", { getRandomValues: (a: Uint8Array) => a });
    expect(g.crypto.subtle).toBeUndefined();
    expect(hex(await powDigest("n0nce", 42))).toBe(createHash("sha256").update("n0nce42").digest("hex"));
    const counter = await solvePow("a1b2c3", 10);
    vi.unstubAllGlobals();
    expect(g.crypto.subtle).toBe(subtle);
    expect(await meetsDifficulty("a1b2c3", counter, 10)).toBe(true);
    expect(leadingZeroBits(await powDigest("a1b2c3", counter))).toBeGreaterThanOrEqual(10);
  });
});
