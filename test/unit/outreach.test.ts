import { describe, expect, it } from "vitest";
import { EventEnvelope } from "../../schema/events";
import { DEFAULT_OUTREACH } from "../../schema/outreach";
import { decideSend, inHoldout, quietUntil, readUnsubscribeToken, unsubscribeToken } from "../../worker/domain/outreach";
import { simulateFlows } from "../../scripts/lib/seed-outreach";
import { buildEvent } from "../../worker/queue/emit";

describe("outreach rules", () => {
  it("holdout is deterministic per (issuance, buyer) and near its share", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `b_${i}`);
    const picked = ids.filter((b) => inHoldout("iss_1", b, 10));
    expect(picked.length).toBeGreaterThan(400);
    expect(picked.length).toBeLessThan(600);
    expect(ids.filter((b) => inHoldout("iss_1", b, 10))).toEqual(picked);
    expect(ids.filter((b) => inHoldout("iss_2", b, 10))).not.toEqual(picked);
    expect(ids.some((b) => inHoldout("iss_1", b, 0))).toBe(false);
  });

  it("quiet hours 21:00–09:00 Shanghai defer to the next 09:00, and only SMS", () => {
    const q = { start: 21, end: 9 };
    expect(quietUntil(new Date("2026-06-01T12:59:00Z"), q)).toBeNull(); // 20:59
    expect(quietUntil(new Date("2026-06-01T13:00:00Z"), q)).toBe("2026-06-02T01:00:00.000Z"); // 21:00 → 09:00 next day
    expect(quietUntil(new Date("2026-06-01T18:00:00Z"), q)).toBe("2026-06-02T01:00:00.000Z"); // 02:00 → 09:00 same day
    expect(quietUntil(new Date("2026-06-02T01:00:00Z"), q)).toBeNull();
    expect(quietUntil(new Date("2026-06-01T13:00:00Z"), { start: 0, end: 0 })).toBeNull();
    const p = { marketingConsent: true, unsubscribed: new Set<string>(), sentLast7Days: 0, hasPhone: true };
    const night = new Date("2026-06-01T15:00:00Z");
    expect(decideSend("win_back", p, DEFAULT_OUTREACH, night)).toMatchObject({ status: "deferred", channel: "sms" });
    expect(decideSend("win_back", { ...p, hasPhone: false }, DEFAULT_OUTREACH, night)).toMatchObject({ status: "sent", channel: "webhook" });
    expect(decideSend("win_back", { ...p, marketingConsent: false }, DEFAULT_OUTREACH, night)).toMatchObject({ reason: "no_consent" });
    expect(decideSend("win_back", { ...p, unsubscribed: new Set(["all"]) }, DEFAULT_OUTREACH, night)).toMatchObject({ reason: "unsubscribed" });
    expect(decideSend("win_back", { ...p, sentLast7Days: 3 }, DEFAULT_OUTREACH, night)).toMatchObject({ reason: "frequency_cap" });
  });

  it("an unsubscribe token binds tenant, buyer and scope", async () => {
    const tok = await unsubscribeToken("s3cret", "t1", "b_abc", "win_back");
    expect(await readUnsubscribeToken("s3cret", "t1", tok)).toEqual({ buyerId: "b_abc", scope: "win_back" });
    expect(await readUnsubscribeToken("s3cret", "t2", tok)).toBeNull();
    expect(await readUnsubscribeToken("s3cret", "t1", tok.replace("win_back", "all"))).toBeNull();
    expect(await readUnsubscribeToken("other", "t1", tok)).toBeNull();
  });

  it("the demo flow history is valid events", () => {
    const events = simulateFlows(Date.parse("2026-11-01T00:00:00Z"), "p1");
    expect(events.length).toBeGreaterThan(100);
    for (const e of events) expect(EventEnvelope.safeParse(buildEvent({ tenantId: "t", ...e, occurredAt: new Date(e.occurredAt) } as never)).success).toBe(true);
    // The 核销 card reads "redeemed" among the vouchers issued: no used or expired voucher without its issue before it.
    const issuedAt = new Map(events.filter((e) => e.type === "voucher_issued").map((e) => [(e.payload as { voucherId: string }).voucherId, e.occurredAt]));
    const ended = events.filter((e) => e.type === "voucher_redeemed" || e.type === "voucher_expired");
    expect(ended.length).toBeGreaterThan(0);
    for (const e of ended) expect(issuedAt.get((e.payload as { voucherId: string }).voucherId)! < e.occurredAt).toBe(true);
  });
});
