import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { couponProductOf, liveCampaign } from "./campaign-helpers";
import { api, createTenant } from "./helpers";

describe("lottery display option (大转盘 / 九宫格)", () => {
  it("defaults to wheel, takes grid, refuses anything else with the field path, and stays editable after the start", async () => {
    const { tenant, adminKey } = await createTenant("Display Brand");
    const productId = await couponProductOf(tenant.id);
    const body = { kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "转盘", prizes: [{ id: "p", name: "券", productId, stock: 5, weight: 1 }], noPrizeWeight: 1 };
    const wheel = await liveCampaign(adminKey, body, { wait: false });
    expect((await api(`/public/campaigns/${wheel.id}`)).body.display).toBe("wheel");

    const grid = await liveCampaign(adminKey, { ...body, display: "grid" });
    expect((await api(`/public/campaigns/${grid.id}`)).body.display).toBe("grid");

    const bad = await api("/campaigns", {
      method: "POST", token: adminKey,
      json: { ...body, display: "slot", startsAt: new Date(Date.now() + 60_000).toISOString(), endsAt: new Date(Date.now() + 120_000).toISOString() },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain("display");

    // Started: odds are locked, the display is not.
    const patched = await api(`/campaigns/${grid.id}`, { method: "PATCH", token: adminKey, json: { display: "wheel" } });
    expect(patched.status).toBe(200);
    expect(patched.body.display).toBe("wheel");
    expect((await api(`/campaigns/${grid.id}`, { method: "PATCH", token: adminKey, json: { noPrizeWeight: 5 } })).status).toBe(409);

    // A definition stored before the option existed reads as a wheel.
    await env.DB.prepare("UPDATE campaigns SET definition = json_remove(definition, '$.display') WHERE id = ?").bind(wheel.id).run();
    expect((await api(`/campaigns/${wheel.id}`, { token: adminKey })).body.display).toBe("wheel");
  });
});
