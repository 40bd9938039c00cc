import { describe, expect, it } from "vitest";
import { MASK, maskSecrets } from "../../worker/domain/audit";

describe("audit masking", () => {
  it("hides secrets by field name and by value, but keeps references to keys readable", () => {
    const body = {
      name: "门店核销",
      secret: "abc",
      apiKeyId: "key_01abc",
      apiKeyIds: ["key_1", "key_2"],
      signing_key_id: "sk-ref-1",
      passwordHash: "h",
      nested: { token: "t", note: "kq_live_xyz", privateKeyPem: "-----BEGIN", ok: true },
      tokenRequired: false,
    };
    expect(maskSecrets(body)).toEqual({
      name: "门店核销",
      secret: MASK,
      apiKeyId: "key_01abc",
      apiKeyIds: ["key_1", "key_2"],
      signing_key_id: "sk-ref-1",
      passwordHash: MASK,
      nested: { token: MASK, note: MASK, privateKeyPem: MASK, ok: true },
      tokenRequired: false,
    });
  });
});
