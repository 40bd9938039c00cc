import { describe, expect, it } from "vitest";
import { classifySearch, decodeListCursor, encodeListCursor, likePattern, refundPlan, ticketDeadlines, ticketOverdue } from "../../worker/domain/after-sale";

describe("after-sale rules", () => {
  it("reads the search box: order id, a whole mainland mobile number, else product text", () => {
    expect(classifySearch("ord_01abcDEF")).toEqual({ kind: "order", id: "ord_01abcDEF" });
    expect(classifySearch(" +86 139-1234-5678 ")).toEqual({ kind: "phone", phone: "13912345678" });
    expect(classifySearch("1391234")).toEqual({ kind: "product", text: "1391234" });
    expect(classifySearch("月卡")).toEqual({ kind: "product", text: "月卡" });
    expect(classifySearch("  ")).toBeNull();
    expect(likePattern("50%_off\\")).toBe("%50\\%\\_off\\\\%");
  });

  it("round-trips the list cursor and refuses a made-up one", () => {
    const c = encodeListCursor("2026-11-30T10:00:00.000Z", "ord_x");
    expect(decodeListCursor(c)).toEqual({ createdAt: "2026-11-30T10:00:00.000Z", id: "ord_x" });
    expect(decodeListCursor("nonsense")).toBeNull();
    expect(decodeListCursor(undefined)).toBeNull();
  });

  it("SLA: 4 h to a first reply, 48 h to resolve; only open tickets are overdue", () => {
    const opened = new Date("2026-11-30T00:00:00.000Z");
    const d = ticketDeadlines(opened);
    expect(d).toEqual({ firstResponseDue: "2026-11-30T04:00:00.000Z", resolutionDue: "2026-12-02T00:00:00.000Z" });
    const t = { status: "open", first_response_due: d.firstResponseDue, resolution_due: d.resolutionDue, first_responded_at: null };
    expect(ticketOverdue(t, new Date("2026-11-30T03:59:00.000Z"))).toEqual({ response: false, resolution: false });
    expect(ticketOverdue(t, new Date("2026-11-30T04:01:00.000Z"))).toEqual({ response: true, resolution: false });
    expect(ticketOverdue({ ...t, first_responded_at: "2026-11-30T05:00:00.000Z" }, new Date("2026-12-02T01:00:00.000Z"))).toEqual({ response: false, resolution: true });
    expect(ticketOverdue({ ...t, status: "resolved" }, new Date("2027-01-01T00:00:00.000Z"))).toEqual({ response: false, resolution: false });
  });

  it("plans a refund against what is left: everything by default, units only as many as unredeemed", () => {
    expect(refundPlan({ units: 0 }, { refundableCents: 1990, issuedUnits: 2 })).toEqual({ ok: true, amountCents: 1990, units: 2, full: true });
    expect(refundPlan({ amountCents: 500, units: 0 }, { refundableCents: 1990, issuedUnits: 2 })).toEqual({ ok: true, amountCents: 500, units: 0, full: false });
    expect(refundPlan({ amountCents: 500, units: 3 }, { refundableCents: 1990, issuedUnits: 2 })).toMatchObject({ ok: false, code: "units_unavailable" });
    // A whole refund takes back every right left; asking for more than are left is still refused, not ignored.
    expect(refundPlan({ units: 2 }, { refundableCents: 1990, issuedUnits: 2 })).toEqual({ ok: true, amountCents: 1990, units: 2, full: true });
    expect(refundPlan({ units: 5 }, { refundableCents: 1990, issuedUnits: 1 })).toMatchObject({ ok: false, code: "units_unavailable" });
    expect(refundPlan({ amountCents: 1991, units: 0 }, { refundableCents: 1990, issuedUnits: 2 })).toMatchObject({ ok: false, code: "over_refund" });
    expect(refundPlan({ units: 0 }, { refundableCents: 0, issuedUnits: 0 })).toMatchObject({ ok: false, code: "nothing_refundable" });
  });
});
