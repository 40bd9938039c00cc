import { describe, expect, it } from "vitest";
import { api, createTenant } from "./helpers";

const PAD = "x".repeat(200_000);
const ago = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe("anonymous routes refuse a large body before reading it", () => {
  it("shop, campaign and tracking routes answer 413 body_too_large and change nothing; keyed imports keep the larger limit", async () => {
    const { tenant, adminKey } = await createTenant();
    const slug = tenant.slug;
    const huge = [
      await api(`/shop/${slug}/guest`, { method: "POST", json: { pad: PAD } }),
      await api("/track", { method: "POST", json: { tenant: slug, deviceId: "d-big", events: [{ type: "page_view", path: "/shop/" }], pad: PAD } }),
      await api("/public/campaigns/cmp_none/claims", { method: "POST", json: { pad: PAD } }),
    ];
    expect(huge.map((r) => [r.status, r.body.error?.code, typeof r.body.error?.requestId])).toEqual(Array(3).fill([413, "body_too_large", "string"]));
    // The same calls with a normal body go through.
    const guest = await api(`/shop/${slug}/guest`, { method: "POST", json: {} });
    expect(guest.status).toBe(200);
    expect((await api("/track", { method: "POST", json: { tenant: slug, deviceId: "d-ok", events: [{ type: "page_view", path: "/shop/" }] } })).status).toBe(202);
    // A brand's backfill of 600 events (~140 KB) with its key is not an anonymous body.
    const events = Array.from({ length: 600 }, (_, i) => ({ type: "page_view", occurredAt: ago(1), actor: { userId: null, deviceId: `dev-${i}` }, payload: { path: `/shop/${"p".repeat(150)}/${i}` } }));
    const body = JSON.stringify({ events });
    expect(body.length).toBeGreaterThan(128 * 1024);
    const imported = await api("/events/import", { method: "POST", token: adminKey, body, headers: { "content-type": "application/json" } });
    expect(imported.status).toBe(202);
  });
});
