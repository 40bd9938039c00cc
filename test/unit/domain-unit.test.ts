import { describe, expect, it } from "vitest";
import { generateApiKey, hashKeySecret, hasScope, parseApiKey } from "../../worker/domain/api-keys";
import { retryDelaySeconds } from "../../worker/domain/backoff";
import { newId, randomToken } from "../../worker/domain/crypto";
import { signBody, verifyBody } from "../../worker/domain/signature";

describe("api keys", () => {
  it("generates keys that parse back, and hashes them with the pepper", async () => {
    const k = generateApiKey();
    expect(parseApiKey(k.full)).toEqual({ prefix: k.prefix, secret: k.secret });
    expect(parseApiKey(k.full + "x")).toBeNull();
    expect(parseApiKey("Bearer nonsense")).toBeNull();
    const a = await hashKeySecret("pepper-a", k.secret);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashKeySecret("pepper-b", k.secret)).not.toBe(a);
  });

  it("treats admin as every scope and the others literally", () => {
    expect(hasScope(["admin"], "redeemer")).toBe(true);
    expect(hasScope(["analyst"], "analyst")).toBe(true);
    expect(hasScope(["analyst"], "operator")).toBe(false);
  });
});

describe("signatures", () => {
  it("verifies its own signature and refuses tampering, other secrets and old timestamps", async () => {
    const now = 1_800_000_000;
    const sig = await signBody("s3cret", '{"a":1}', now);
    expect(await verifyBody("s3cret", '{"a":1}', sig, now)).toEqual({ ok: true });
    expect(await verifyBody("s3cret", '{"a":2}', sig, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifyBody("other", '{"a":1}', sig, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifyBody("s3cret", '{"a":1}', sig, now + 301)).toEqual({ ok: false, reason: "expired" });
    expect(await verifyBody("s3cret", '{"a":1}', "garbage", now)).toEqual({ ok: false, reason: "malformed" });
    expect(await verifyBody("s3cret", '{"a":1}', null, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("signs bytes as sent: a text and its UTF-8 bytes sign alike, and one changed byte is refused", async () => {
    const now = 1_800_000_000;
    const text = '{"path":"/压缩"}';
    const bytes = new TextEncoder().encode(text);
    const sig = await signBody("s3cret", bytes, now);
    expect(sig).toBe(await signBody("s3cret", text, now));
    expect(await verifyBody("s3cret", text, sig, now)).toEqual({ ok: true });
    const flipped = bytes.slice();
    flipped[3] = flipped[3]! ^ 1;
    expect(await verifyBody("s3cret", flipped, sig, now)).toEqual({ ok: false, reason: "mismatch" });
  });
});

describe("ids and back-off", () => {
  it("makes unguessable, time-ordered ids", () => {
    const a = newId("ord");
    const b = newId("ord");
    expect(a).toMatch(/^ord_[0-9a-f]{12}[0-9a-zA-Z]{14}$/);
    expect(a).not.toBe(b);
    expect(new Set(Array.from({ length: 1000 }, () => randomToken(22))).size).toBe(1000);
  });

  it("backs off exponentially with jitter, within the cap", () => {
    expect(retryDelaySeconds(1, 2, 300, () => 0)).toBe(1);
    expect(retryDelaySeconds(1, 2, 300, () => 1)).toBe(2);
    expect(retryDelaySeconds(5, 2, 300, () => 1)).toBe(32);
    expect(retryDelaySeconds(20, 2, 300, () => 1)).toBe(300);
    expect(retryDelaySeconds(20, 2, 300, () => 0)).toBe(150);
  });
});
