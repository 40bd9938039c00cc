import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signSession, verifySessionFacts } from "../../worker/domain/buyer-session";
import { issueDeviceToken, verifyDeviceToken } from "../../worker/domain/device-token";
import { signMemberToken, verifyMemberToken } from "../../worker/domain/member-token";

describe("session tokens carry the entry facts", () => {
  it("round-trips the facts, refuses a flipped flag or date, and still verifies the first format", async () => {
    const facts = { phone: true, member: false, createdS: 1_700_000_000 };
    const tok = await signSession("s", "t1", "byr_1", 1_800_000_000, facts);
    expect(tok).toMatch(/^byr_1\.\d+\.p1700000000\.[0-9a-f]{64}$/);
    expect(await verifySessionFacts("s", "t1", tok, 1_800_000_001)).toEqual({ buyerId: "byr_1", facts });
    expect(await verifySessionFacts("s", "t1", tok.replace(".p17", ".pm17"), 1_800_000_001)).toBeNull();
    expect(await verifySessionFacts("s", "t1", tok.replace(".p1700000000.", ".p1600000000."), 1_800_000_001)).toBeNull();
    expect(await verifySessionFacts("s", "t2", tok, 1_800_000_001)).toBeNull();
    const exp = 1_800_000_100;
    const v1 = `byr_2.${exp}.${createHmac("sha256", "s").update(`buyer|t1|byr_2|${exp}`).digest("hex")}`;
    expect(await verifySessionFacts("s", "t1", v1, 1_800_000_001)).toEqual({ buyerId: "byr_2", facts: null });
  });
});

describe("device tokens", () => {
  it("verify only for the tenant and secret that issued them", async () => {
    const { deviceId, token } = await issueDeviceToken("s", "t1");
    expect(await verifyDeviceToken("s", "t1", token)).toBe(deviceId);
    expect(await verifyDeviceToken("s", "t2", token)).toBeNull();
    expect(await verifyDeviceToken("x", "t1", token)).toBeNull();
    expect(await verifyDeviceToken("s", "t1", deviceId)).toBeNull();
    expect(await verifyDeviceToken("s", "t1", "d_made_up")).toBeNull();
  });
});

describe("brand member tokens", () => {
  it("match the documented Node signing example byte for byte", async () => {
    const payload = Buffer.from(JSON.stringify({ aud: "demo", sub: "M1", exp: 2_000_000_000 })).toString("base64url");
    const node = `kqm1.${payload}.${createHmac("sha256", "sec").update(`kqm1.${payload}`).digest("base64url")}`;
    expect(await signMemberToken("sec", "demo", "M1", 2_000_000_000)).toBe(node);
    expect(await verifyMemberToken(["sec"], "demo", node, 1_900_000_000)).toEqual({ ok: true, memberId: "M1", exp: 2_000_000_000 });
  });

  it("names what is wrong", async () => {
    const tok = await signMemberToken("sec", "demo", "M1", 2_000_000_000);
    expect(await verifyMemberToken(["sec"], "demo", tok, 2_000_000_000)).toMatchObject({ ok: false, code: "member_token_expired" });
    expect(await verifyMemberToken(["sec"], "other", tok, 1)).toMatchObject({ ok: false, code: "member_token_audience" });
    expect(await verifyMemberToken(["old", "new"], "demo", tok, 1)).toMatchObject({ ok: false, code: "member_token_invalid" });
    expect(await verifyMemberToken(["new", "sec"], "demo", tok, 1)).toMatchObject({ ok: true });
    const bad = await signMemberToken("sec", "demo", "not valid!", 2_000_000_000);
    expect(await verifyMemberToken(["sec"], "demo", bad, 1)).toMatchObject({ ok: false, code: "member_token_invalid" });
    expect(await verifyMemberToken(["sec"], "demo", "garbage", 1)).toMatchObject({ ok: false, code: "member_token_invalid" });
  });
});
