import { createHash } from "node:crypto";
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DrawExport } from "../../schema/campaigns";
import { entryHash, verifyDrawExport, windowDrawProof } from "../../worker/domain/draw";
import { api, createTenant } from "./helpers";
import { claim, couponProductOf, evictCampaign, liveCampaign, sessionHeader, sleep } from "./campaign-helpers";

describe("lottery draws", { timeout: 60_000 }, () => {
  it("draws fairly under concurrency, never over-awards, and publishes a log the verifier accepts", async () => {
    const { adminKey, tenant } = await createTenant();
    const productId = await couponProductOf(tenant.id);
    const c = await liveCampaign(
      adminKey,
      {
        kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" },
        name: "幸运抽奖",
        prizes: [
          { id: "big", name: "100元券", productId, stock: 3, weight: 10 },
          { id: "small", name: "5元券", productId, stock: 8, weight: 40 },
        ],
        noPrizeWeight: 50,
        drawsPerDay: 1,
        perUserLimit: 1,
        tasks: [{ id: "share", name: "分享给好友", extraChances: 2, perDay: 1 }],
        shards: 3,
      },
      // Room for 200 draws and their voucher deliveries before the campaign ends, on a machine running every test lane
      // at once (15 s was once not enough: the draws came after the end and were refused as "ended").
      { runMs: 30_000 },
    );
    expect(c.seedCommitment).toMatch(/^[0-9a-f]{64}$/);
    const pub = await api(`/public/campaigns/${c.id}`);
    expect(pub.body.seed).toBeNull();
    expect(pub.body.odds.map((o: { probability: number }) => o.probability)).toEqual([0.1, 0.4, 0.5]);

    const first = Array.from({ length: 100 }, (_, i) => claim(c.id, `p-${i}`));
    await sleep(5);
    await evictCampaign(c.id, 3);
    const res = await Promise.all([...first, ...Array.from({ length: 100 }, (_, i) => claim(c.id, `q-${i}`))]);
    expect(res.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body?.error?.code}`)).toEqual([]);
    const won = res.filter((r) => r.body.outcome === "won");
    const byPrize = (id: string) => won.filter((r) => r.body.prizeId === id).length;
    expect(byPrize("big")).toBeLessThanOrEqual(3);
    expect(byPrize("small")).toBeLessThanOrEqual(8);

    // One free draw a day; sharing (optional) adds two.
    const again = await claim(c.id, "p-0");
    expect(again.status).toBe(409);
    expect(["no_chances", "limit_reached"]).toContain(again.body.error.code);
    const loser = res.slice(0, 100).findIndex((r) => r.body.outcome === "no_prize");
    const user = `p-${loser}`;
    const shared = await api(`/public/campaigns/${c.id}/tasks/share`, { method: "POST", headers: await sessionHeader(c.id, user), json: {} });
    expect(shared.status).toBe(200);
    expect(shared.body.drawsLeftToday).toBe(2);
    const twice = await api(`/public/campaigns/${c.id}/tasks/share`, { method: "POST", headers: await sessionHeader(c.id, user), json: { userId: user } });
    expect(twice.body.drawsLeftToday).toBe(2); // once a day only
    const extra = await claim(c.id, user);
    expect(extra.status).toBe(200);
    expect(extra.body.nonce).toBe(2);

    // Before the end: no seed, no log.
    expect((await api(`/public/campaigns/${c.id}/draws`)).status).toBe(409);
    const wait = Date.parse(c.endsAt) - Date.now() + 50;
    if (wait > 0) await sleep(wait);
    const exported = await api(`/public/campaigns/${c.id}/draws`);
    expect(exported.status).toBe(200);
    const x = exported.body as DrawExport;
    const report = verifyDrawExport(x);
    expect(report.issues).toEqual([]);
    expect(report.draws).toBe(201);
    expect(report.wins.big! + report.wins.small!).toBe(won.length + (extra.body.outcome === "won" ? 1 : 0));
    expect(x.shards.some((s) => s.entries.some((e) => e.type === "transfer"))).toBe(true);
    const revealed = await api(`/public/campaigns/${c.id}`);
    expect(revealed.body.seed).toBe(x.seed);

    // Every draw was decided with the beacon of a window that closed after it entered: the reply names that
    // beacon, the log holds the window (its entrants and beacon) before the draw, and the proof needs the beacon.
    expect(x.algorithm).toBe("hmac-sha256-v2");
    const someone = res[7]!.body;
    expect(someone.beacon).toMatch(/^[0-9a-f]{64}$/);
    expect(someone.proof).toBe(windowDrawProof(x.seed, someone.beacon, "p-7", 1));
    const logged = x.shards.flatMap((s) => s.entries);
    const draw = logged.find((e) => e.claimId === someone.claimId)!;
    const window = logged.find((e) => e.type === "window" && e.beacon === someone.beacon)!;
    expect(window.entrants!.map((e) => e[0])).toContain(someone.claimId);
    expect(window.seq).toBeLessThan(draw.seq);
    expect(window.window).toBe(draw.window);

    // A changed beacon fails verification even when the forger re-hashes the entry.
    const rebeaconed = structuredClone(x);
    const wShard = rebeaconed.shards.find((s) => s.entries.some((e) => e.type === "window"))!;
    const wIdx = wShard.entries.findIndex((e) => e.type === "window");
    const w = wShard.entries[wIdx]!;
    w.beacon = "0".repeat(64);
    w.hash = entryHash((({ hash: _h, ...rest }) => rest)(w));
    const rb = verifyDrawExport(rebeaconed);
    expect(rb.ok).toBe(false);
    expect(rb.issues.find((i) => /beacon is not/.test(i.reason))).toMatchObject({ shard: wShard.shard, index: wIdx });

    // Tampering with one logged draw is detected and located.
    const tampered = structuredClone(x);
    const shard = tampered.shards.find((s) => s.entries.filter((e) => e.type === "draw").length > 3)!;
    const idx = shard.entries.findIndex((e, i) => i > 2 && e.type === "draw" && e.prizeId === null);
    shard.entries[idx]!.prizeId = "big";
    const bad = verifyDrawExport(tampered);
    expect(bad.ok).toBe(false);
    expect(bad.issues[0]).toMatchObject({ shard: shard.shard, index: idx });

    // Every draw's answer carried a receipt of its place in the log: all hold in the published log. Cutting the log
    // short after a winning draw (a chain that is still internally whole) fails for the winner who kept the receipt.
    const receipts = [...res, extra].map((r) => r.body.receipt);
    expect(receipts.every((r) => r && /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expect(verifyDrawExport(x, receipts).issues).toEqual([]);
    const winner = won[won.length - 1]!.body.receipt;
    const cut = structuredClone(x);
    const cutShard = cut.shards.find((s) => s.shard === winner.shard)!;
    cutShard.entries = cutShard.entries.slice(0, winner.seq - 1);
    const cutReport = verifyDrawExport(cut, [winner]);
    expect(cutReport.ok).toBe(false);
    expect(cutReport.issues.find((i) => /receipt/.test(i.reason))).toMatchObject({ shard: winner.shard, seq: winner.seq });
  }, 90_000);

  it("a campaign row edited in D1 after the start (odds, stock, commitment) fails verification: the log is published with the terms that drew", async () => {
    const { adminKey, tenant } = await createTenant();
    const productId = await couponProductOf(tenant.id);
    const c = await liveCampaign(adminKey, {
      kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: "改库抽奖",
      prizes: [{ id: "big", name: "100元券", productId, stock: 5, weight: 2 }, { id: "small", name: "5元券", productId, stock: 50, weight: 30 }],
      noPrizeWeight: 68, drawsPerDay: 1, shards: 1,
    }, { runMs: 4_000 });
    const res = await Promise.all(Array.from({ length: 6 }, (_, i) => claim(c.id, `t-${i}`)));
    expect(res.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await sleep(Math.max(0, Date.parse(c.endsAt) - Date.now() + 50));
    const honest = (await api(`/campaigns/${c.id}/draws`, { token: adminKey })).body as DrawExport;
    expect(verifyDrawExport(honest).issues).toEqual([]);
    const row = (await env.DB.prepare("SELECT definition, seed FROM campaigns WHERE id = ?").bind(c.id).first<{ definition: string; seed: string }>())!;
    expect(row.seed).toBe(honest.seed);

    // The page's odds for the big prize raised from 2% to 5% (taken from the no-prize share): few draws land in the
    // moved band, so a replay against the edited weights alone still came out ✔.
    const def = JSON.parse(row.definition);
    def.prizes[0].weight = 5;
    def.noPrizeWeight = 65;
    await env.DB.prepare("UPDATE campaigns SET definition = ? WHERE id = ?").bind(JSON.stringify(def), c.id).run();
    const edited = (await api(`/campaigns/${c.id}/draws`, { token: adminKey })).body as DrawExport;
    expect(edited.prizes.map((p) => p.weight)).toEqual([2, 30]);
    expect(edited.published!.prizes.map((p) => p.weight)).toEqual([5, 30]);
    const report = verifyDrawExport(edited);
    expect(report.ok).toBe(false);
    expect(report.issues.map((i) => i.code)).toContain("published");

    // A new seed and its commitment written over the row: the page's commitment no longer matches the one that drew.
    def.prizes[0].weight = 2;
    def.noPrizeWeight = 68;
    const fakeSeed = "ab".repeat(32);
    const fakeCommitment = createHash("sha256").update(fakeSeed).digest("hex");
    await env.DB.prepare("UPDATE campaigns SET definition = ?, seed = ?, seed_commitment = ? WHERE id = ?").bind(JSON.stringify(def), fakeSeed, fakeCommitment, c.id).run();
    const reseeded = (await api(`/campaigns/${c.id}/draws`, { token: adminKey })).body as DrawExport;
    expect(reseeded.seed).toBe(honest.seed);
    expect(reseeded.published!.seedCommitment).toBe(fakeCommitment);
    expect(verifyDrawExport(reseeded).issues.map((i) => i.code)).toContain("published");
    // The lottery page checks the revealed seed against the commitment it shows: the seed it is given is the one that
    // drew, so the rewritten pair does not read as "✔ 种子与承诺一致".
    const page = (await api(`/public/campaigns/${c.id}`)).body;
    expect(page.seedCommitment).toBe(fakeCommitment);
    expect(page.seed).toBe(honest.seed);
    expect(createHash("sha256").update(page.seed).digest("hex")).not.toBe(page.seedCommitment);
    expect((await api(`/campaigns/${c.id}`, { token: adminKey })).body.seed).toBe(honest.seed);
  });
});
