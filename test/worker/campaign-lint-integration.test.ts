import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { couponProductOf } from "./campaign-helpers";
import { api, createTenant } from "./helpers";

const inAnHour = () => ({ startsAt: new Date(Date.now() + 3_600_000).toISOString(), endsAt: new Date(Date.now() + 7_200_000).toISOString() });

async function lottery(adminKey: string, productId: string, extra: Record<string, unknown> = {}) {
  return api("/campaigns", {
    method: "POST", token: adminKey,
    json: { kind: "lottery", name: "周末大转盘", description: "每人每天免费抽 1 次", ...inAnHour(), drawsPerDay: 1, noPrizeWeight: 50, perUserLimit: 1,
      prizes: [{ id: "p1", name: "5元代金券", productId, stock: 10, weight: 10 }], ...extra },
  });
}

describe("campaign copy and prize lint", () => {
  it("refuses promised wins, absolute claims and share-gating with each field and position, and creates nothing", async () => {
    const { tenant, adminKey } = await createTenant("Lint");
    const productId = await couponProductOf(tenant.id);
    const res = await lottery(adminKey, productId, {
      name: "100%中奖大转盘",
      description: "全网最低价！分享后才能抽奖",
      prizes: [{ id: "p1", name: "必中好礼", productId, stock: 10, weight: 10 }],
      tasks: [{ id: "share", name: "转发给好友才可参与", extraChances: 1 }],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("campaign_copy_refused");
    expect(res.body.error.issues.map((i: any) => [i.path, i.code])).toEqual([
      ["json.description", "banned_phrase"],
      ["json.description", "share_gated"],
      ["json.name", "promised_win"],
      ["json.prizes.0.name", "promised_win"],
      ["json.tasks.0.name", "share_gated"],
    ]);
    expect(res.body.error.issues[1].message).toContain("分享后才能抽奖");
    expect(res.body.error.issues[1].message).toContain("at 6");
    const n = await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE tenant_id = ?").bind(tenant.id).first<{ n: number }>();
    expect(n!.n).toBe(0);
  });

  it("refuses a prize worth more than the 50,000-yuan cap of prize promotions", async () => {
    const { tenant, adminKey } = await createTenant("Cap");
    const car = await couponProductOf(tenant.id, "汽车");
    await env.DB.prepare("UPDATE products SET face_value_cents = 6000000 WHERE id = ?").bind(car).run();
    const res = await lottery(adminKey, car);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "prize_above_legal_cap", issues: [{ path: "json.prizes.0.productId", code: "prize_above_legal_cap" }] });
    await env.DB.prepare("UPDATE products SET face_value_cents = 5000000 WHERE id = ?").bind(car).run();
    expect((await lottery(adminKey, car)).status).toBe(201);
  });

  it("lints edits too: sharing offered as an extra chance passes, sharing required does not", async () => {
    const { tenant, adminKey } = await createTenant("Edit");
    const productId = await couponProductOf(tenant.id);
    const created = await lottery(adminKey, productId, { tasks: [{ id: "share", name: "分享得额外抽奖机会", extraChances: 1 }] });
    expect(created.status).toBe(201);
    const bad = await api(`/campaigns/${created.body.id}`, { method: "PATCH", token: adminKey, json: { description: "邀请好友后才能参与抽奖" } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues[0]).toMatchObject({ path: "json.description", code: "share_gated" });
    const ok = await api(`/campaigns/${created.body.id}`, { method: "PATCH", token: adminKey, json: { description: "分享给好友可多抽一次，不分享也能抽" } });
    expect(ok.status).toBe(200);
  });
});
