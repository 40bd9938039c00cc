import { DatabaseSync } from "node:sqlite";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import type { DrawExport, DrawLogEntry } from "../../schema/campaigns";
import { icsTime } from "../../site/src/lib/ics";
import { entryHash } from "../../worker/domain/draw";
import { downloadText, fitsThePhone, pageErrors, phoneContext, screenshot, useChromium } from "./chromium";
import { admin, d1File } from "./stack";

/** Issue 13 leftovers on the campaign pages: 提醒我, the wheel and 九宫格, plain-words results, CLS, one request a tap. */
const browser = useChromium();

async function product(name: string): Promise<string> {
  const { products } = await admin("/products");
  return (products.find((p: any) => p.name === name) ?? products.find((p: any) => p.kind === "coupon" && p.status === "published")).id;
}

async function lottery(name: string, display: "wheel" | "grid", opts: { startsIn?: number; runMs?: number; noPrizeWeight?: number; perUserLimit?: number; tasks?: unknown[] } = {}) {
  const productId = await product("5元代金券");
  // A lottery must start in the future (its odds and seed commitment are published first): wait for the start.
  const startsAt = Date.now() + (opts.startsIn ?? 2500);
  const made = await admin("/campaigns", "POST", {
    kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name, display, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + (opts.runMs ?? 3_600_000)).toISOString(),
    prizes: [
      { id: "a", name: "五元券", productId, stock: 50, weight: 1 },
      { id: "b", name: "二十元券", productId, stock: 50, weight: 1 },
      { id: "c", name: "百元券", productId, stock: 50, weight: 1 },
    ],
    noPrizeWeight: opts.noPrizeWeight ?? 1, drawsPerDay: 5, perUserLimit: opts.perUserLimit ?? 10, shards: 2,
    ...(opts.tasks ? { tasks: opts.tasks } : {}),
  });
  if (opts.startsIn === undefined) await new Promise((r) => setTimeout(r, Math.max(0, startsAt - Date.now() + 300)));
  return made;
}

/** A coupon claim of 50 units, live now for an hour. */
async function liveCoupon(name: string, limits: { perUserLimit: number; perUserDailyLimit?: number }) {
  return admin("/campaigns", "POST", {
    kind: "coupon_claim", name, productId: await product("5元代金券"), stock: 50, ...limits, shards: 1,
    startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
}

/** Records, from before the page's own scripts run: layout shifts (CLS), running animations and grid light steps. */
async function instrumented(context: BrowserContext): Promise<Page> {
  await context.addInitScript(() => {
    const w = globalThis as any;
    const document = w.document;
    w.__cls = 0;
    w.__maxAnimations = 0;
    w.__litSteps = 0;
    new w.PerformanceObserver((list: any) => {
      for (const e of list.getEntries()) {
        if (e.hadRecentInput) continue;
        w.__cls += e.value;
        // What moved, for the log of the CLS test (a CI retry keeps only the passing attempt's assertion).
        (w.__shifts ??= []).push({ value: Math.round(e.value * 1000) / 1000, at: Math.round(e.startTime), nodes: (e.sources ?? []).map((x: any) => x.node?.id || x.node?.className || x.node?.nodeName) });
      }
    }).observe({ type: "layout-shift", buffered: true });
    const frame = () => {
      w.__maxAnimations = Math.max(w.__maxAnimations, document.getAnimations().filter((a: any) => a.playState === "running").length);
      w.requestAnimationFrame(frame);
    };
    w.requestAnimationFrame(frame);
    new w.MutationObserver((records: any[]) => {
      for (const r of records) if (r.target.classList?.contains("lit") && !(r.oldValue ?? "").includes("lit")) w.__litSteps++;
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["class"], attributeOldValue: true });
  });
  return context.newPage();
}

/** Taps 立即抽奖 and returns the draw response the server gave. */
async function drawOnce(page: Page, id: string) {
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/campaigns/${id}/claims`) && r.request().method() === "POST"), page.click("#draw")]);
  expect(res.status()).toBe(200);
  return (await res.json()) as { outcome: string; prizeId: string | null; prizeName: string | null };
}

describe("campaign pages on a phone", () => {
  // These four wait on the clock (a start, an end, a lottery's 20 s run): side by side they wait once. Each makes its
  // own campaigns and contexts.
  it.concurrent("可验证 opens the draw check: waiting for the seed while live, verified after the end, refused when the proof is altered", { timeout: 120_000 }, async ({ expect }) => {
    const { baseUrl } = inject("stack");
    const c = await lottery("验证测试", "wheel", { startsIn: 1500, runMs: 20_000 });
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${c.id}`);
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 15_000 }).toBe(true);
    // Two draws: both land in the visitor's home shard, so the linked (second) one has a neighbour in its chain. The
    // lottery runs 20 s: two draws with their animations on a loaded CI machine took longer than 9.
    await drawOnce(page, c.id);
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 15_000 }).toBe(true);
    const drawn = await drawOnce(page, c.id);
    await expect.poll(() => page.locator("#result a.proof").count(), { timeout: 15_000 }).toBe(1);
    const href = (await page.getAttribute("#result a.proof", "href"))!;
    await page.click("#result a.proof");
    await expect.poll(() => page.textContent("#verdict"), { timeout: 10_000 }).toContain("种子将在活动结束");
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(c.endsAt) - Date.now() + 500)));
    await page.reload();
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("验证通过");
    // The outcome recomputed from the proof, the published weights and the shard's stock at that point.
    expect(await page.textContent("#outcome")).toBe(drawn.prizeId ? `结果：中奖 ${drawn.prizeName}` : "结果：未中奖");
    expect(await page.textContent("#verdict")).toMatch(/已逐条核对全部 2 个分片共 \d+ 条记录（这次抽奖在分片 \d+）/);
    await fitsThePhone(page);
    // The long hashes get the room on a phone: no label column squeezes them into a few characters a line.
    const squeezed = await page.$$eval("#out dl dd", (dds) =>
      dds.filter((dd) => dd.getBoundingClientRect().width < 0.5 * dd.parentElement!.getBoundingClientRect().width).map((dd) => dd.textContent!.slice(0, 16)),
    );
    expect(squeezed).toEqual([]);
    await screenshot(page, "verify-draw");
    const altered = new URL(href, baseUrl);
    altered.searchParams.set("n", "99");
    await page.goto(altered.href);
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("凭证与公布的种子不符");
    // A different beacon (as if the operator had picked one) is refused: it is not the hash of the logged window.
    const rebeaconed = new URL(href, baseUrl);
    expect(rebeaconed.searchParams.get("b")).toMatch(/^[0-9a-f]{64}$/);
    rebeaconed.searchParams.set("b", "0".repeat(64));
    await page.goto(rebeaconed.href);
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("开奖信标与公布的抽奖记录不符");
    // The draw's log receipt is checked too: one the published log does not hold (a log cut short or rewritten) fails.
    const receipt = new URL(href, baseUrl).searchParams.get("r")!;
    expect(receipt).toMatch(/^\d+:\d+:[0-9a-f]{64}$/);
    const cut = new URL(href, baseUrl);
    cut.searchParams.set("r", receipt.replace(/:[0-9a-f]{64}$/, `:${"1".repeat(64)}`));
    await page.goto(cut.href);
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("回执与公布的抽奖记录不符");
    // Another entry of the same shard tampered in the published log: the untouched draw's link no longer passes, and
    // the verdict names the first bad entry. (a) its contents changed, so its hash no longer matches them;
    // (b) an outcome the seed does not give, re-hashed so the entry's own hash still holds.
    const [shardNo, seqNo] = receipt.split(":").map(Number) as [number, number];
    let tamper: (entries: DrawLogEntry[]) => number = () => 0;
    let tamperLog: (x: DrawExport) => void = () => undefined;
    let tamperedSeq = 0;
    await page.route(`**/api/v1/public/campaigns/${c.id}/draws`, async (route) => {
      const x = (await (await route.fetch()).json()) as DrawExport;
      tamperedSeq = tamper(x.shards.find((s) => s.shard === shardNo)!.entries);
      tamperLog(x);
      await route.fulfill({ json: x });
    });
    const neighbour = (entries: DrawLogEntry[]) => entries.find((e) => e.type === "draw" && e.seq !== seqNo)!;
    tamper = (entries) => {
      const e = neighbour(entries);
      e.at = new Date(Date.parse(e.at) - 60_000).toISOString();
      return e.seq;
    };
    await page.goto(href.startsWith("http") ? href : new URL(href, baseUrl).href);
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("记录内容与其哈希不符");
    let verdict = (await page.textContent("#verdict"))!;
    expect(verdict).toMatch(/^✘/);
    expect(verdict).toContain(`本分片（分片 ${shardNo}）第 ${tamperedSeq} 条记录不成立`);
    expect(verdict).toContain("这条不是您的这次抽奖");
    expect(await page.locator("#outcome").count()).toBe(0);
    tamper = (entries) => {
      const e = neighbour(entries);
      e.prizeId = e.prizeId ? null : "a";
      const { hash: _, ...rest } = e;
      e.hash = entryHash(rest);
      return e.seq;
    };
    await page.reload();
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("记录的结果与种子、公布的中奖权重和当时库存算出的结果不符");
    verdict = (await page.textContent("#verdict"))!;
    expect(verdict).toMatch(/^✘/);
    expect(verdict).toContain(`第 ${tamperedSeq} 条记录`);
    // The other shard's log tampered (an entry planted there): the draw's own shard still holds, but the campaign's
    // published log does not, so the draw is not verified, and the verdict names the other shard.
    tamper = () => 0;
    const otherNo = 1 - shardNo;
    tamperLog = (x) => {
      const own = x.shards.find((s) => s.shard === shardNo)!.entries;
      const planted = { ...neighbour(own), seq: 1, nonce: 9_999 };
      const other = x.shards.find((s) => s.shard === otherNo);
      if (other) other.entries.unshift(planted);
      else x.shards.push({ shard: otherNo, entries: [planted] } as DrawExport["shards"][number]);
    };
    await page.reload();
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toMatch(/^✘/);
    verdict = (await page.textContent("#verdict"))!;
    expect(verdict).toContain(`分片 ${otherNo} 第 1 条记录不成立`);
    expect(verdict).toContain("这条不在您这次抽奖的分片");
    expect(await page.locator("#outcome").count()).toBe(0);
    // The log untouched, but the campaign's row edited in D1 after the start (its odds as the page shows them): the
    // log is published with the terms that drew, the verdict says the published ones differ (it read ✔ when no draw
    // landed where the edit moved).
    tamperLog = () => undefined;
    const db = new DatabaseSync(d1File(inject("stack").stateDir), { timeout: 5_000 });
    const { definition } = db.prepare("SELECT definition FROM campaigns WHERE id = ?").get(c.id) as { definition: string };
    const edited = JSON.parse(definition);
    edited.noPrizeWeight += 1;
    db.prepare("UPDATE campaigns SET definition = ? WHERE id = ?").run(JSON.stringify(edited), c.id);
    // The worker reads a campaign's row again after 5 s.
    await new Promise((r) => setTimeout(r, 5_500));
    await page.reload();
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("活动页公布的中奖权重、奖品数量或种子承诺与实际开奖所用的不一致");
    expect(await page.textContent("#verdict")).toMatch(/^✘/);
    expect(await page.locator("#outcome").count()).toBe(0);
    db.prepare("UPDATE campaigns SET definition = ? WHERE id = ?").run(definition, c.id);
    db.close();
    await new Promise((r) => setTimeout(r, 5_500));
    // Untampered again: ✔ with the outcome.
    await page.reload();
    await expect.poll(() => page.textContent("#verdict"), { timeout: 15_000 }).toContain("验证通过");
    expect(await page.textContent("#outcome")).toBe(drawn.prizeId ? `结果：中奖 ${drawn.prizeName}` : "结果：未中奖");
    await page.unroute(`**/api/v1/public/campaigns/${c.id}/draws`);
    await context.close();
  });

  it.concurrent("提醒我 before a flash sale opens: an .ics with the start, the URL and a 5-minute alarm; a notification at the start", { timeout: 120_000 }, async ({ expect }) => {
    const { baseUrl } = inject("stack");
    const startsAt = new Date(Date.now() + 15_000);
    const c = await admin("/campaigns", "POST", {
      kind: "flash_sale", name: "提醒测试, 整点; 秒杀", description: "第一行\n第二行", productId: await product("音乐会员月卡"), priceCents: 100, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    });
    const context = await phoneContext(browser());
    await context.grantPermissions(["notifications"], { origin: baseUrl });
    await context.addInitScript(() => {
      const w = globalThis as any;
      w.__notes = [];
      const Real = w.Notification;
      w.Notification = class extends Real {
        constructor(title: string, opts?: object) {
          w.__notes.push(title);
          super(title, opts);
        }
      };
    });
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${c.id}`);
    await expect.poll(() => page.isVisible("#remind"), { timeout: 15_000 }).toBe(true);
    await screenshot(page, "flash-remind");
    await fitsThePhone(page);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#remind")]);
    expect(download.suggestedFilename()).toBe(`kaquan-${c.id}.ics`);
    const ics = await downloadText(download);
    expect(ics.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/); // CRLF line ends only
    const unfolded = ics.replace(/\r\n /g, "");
    expect(unfolded).toContain(`\r\nDTSTART:${icsTime(startsAt)}\r\n`);
    expect(unfolded).toMatch(/BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\n/);
    expect(unfolded).toContain(`\r\nURL:${baseUrl}/campaigns/flash/?t=demo&id=${c.id}\r\n`);
    expect(unfolded).toContain("SUMMARY:开抢：提醒测试\\, 整点\\; 秒杀\r\n");
    expect(unfolded).toContain("DESCRIPTION:第一行\\n第二行\\n");
    await expect.poll(() => page.textContent("#result"), { timeout: 5_000 }).toContain("开抢时也会通知你");
    // The local notification fires at the start while the page stays open; the button then opens.
    await expect.poll(() => page.evaluate(() => (globalThis as any).__notes), { timeout: 60_000 }).toEqual(["开抢：提醒测试, 整点; 秒杀"]);
    await expect.poll(() => page.isVisible("#remind"), { timeout: 5_000 }).toBe(false);
    await expect.poll(() => page.isEnabled("#go"), { timeout: 10_000 }).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it.concurrent("an ended flash sale says 活动已结束 on its button and offers no sharing", { timeout: 60_000 }, async ({ expect }) => {
    const { baseUrl } = inject("stack");
    const c = await admin("/campaigns", "POST", {
      kind: "flash_sale", name: "即将结束的秒杀", productId: await product("音乐会员月卡"), priceCents: 100, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 15_000).toISOString(),
    });
    const context = await phoneContext(browser());
    const page = await context.newPage();
    const errors = pageErrors(page);
    // 15 s of sale: a loaded CI machine once took more than 4 s to show the page, which then had already ended.
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${c.id}`);
    await expect.poll(() => page.textContent("#go"), { timeout: 12_000 }).toBe("立即抢购");
    expect(await page.isVisible("#share")).toBe(true);
    await expect.poll(() => page.textContent("#go"), { timeout: 30_000 }).toBe("活动已结束");
    expect(await page.isDisabled("#go")).toBe(true);
    expect(await page.isVisible("#share")).toBe(false);
    expect(await page.isVisible("[data-share-poster]")).toBe(false);
    await fitsThePhone(page);
    await screenshot(page, "flash-ended");
    expect(errors).toEqual([]);
    await context.close();
  });

  it.concurrent("the campaign list says each state once: 已于 … 结束, … 开始, 进行中 · … 结束", { timeout: 60_000 }, async ({ expect }) => {
    const { baseUrl } = inject("stack");
    const productId = await product("音乐会员月卡");
    const sale = (name: string, startsAt: number, endsAt: number) => admin("/campaigns", "POST", {
      kind: "flash_sale", name, productId, priceCents: 100, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(),
    });
    const stamp = Date.now();
    await sale(`列表·已结束 ${stamp}`, Date.now() - 1000, Date.now() + 2000);
    await sale(`列表·未开始 ${stamp}`, Date.now() + 3 * 86_400_000, Date.now() + 4 * 86_400_000);
    await new Promise((r) => setTimeout(r, 3000));
    const context = await phoneContext(browser());
    const page = await context.newPage();
    const errors = pageErrors(page);
    await page.goto(`${baseUrl}/campaigns/?t=demo`);
    const meta = (name: string) => page.locator("#list li", { hasText: name }).locator(".muted").textContent();
    // It read 秒杀 · 已结束 · 2026/11/30 20:00 结束 (and 即将开始 · … 开始).
    await expect.poll(() => meta(`列表·已结束 ${stamp}`), { timeout: 10_000 }).toMatch(/^秒杀 · 已于(今天|昨天) \d\d:\d\d 结束$/);
    expect(await meta(`列表·未开始 ${stamp}`)).toMatch(/^秒杀 · \d{1,2}月\d{1,2}日 \d\d:\d\d 开始$/);
    const lines = await page.locator("#list li .muted").allTextContents();
    expect(lines.some((l) => /^抽奖 · 进行中 · .+ 结束$/.test(l))).toBe(true);
    for (const line of lines) {
      expect(line).not.toMatch(/已结束|即将开始/);
      expect(line.split("结束").length + line.split("开始").length - 2, line).toBeLessThanOrEqual(1);
    }
    // The items are built by the page's script: their styles must reach them (the names were default blue links).
    expect(await page.locator("#list li a").first().evaluate((a: any) => (globalThis as any).getComputedStyle(a).fontWeight)).toBe("600");
    await fitsThePhone(page);
    await screenshot(page, "campaign-list");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a flash sale of one unit: the loser is told what to do next, the winner pays and back on the page finds the order; the rules' validity is the one 我的卡券 shows", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const c = await admin("/campaigns", "POST", {
      kind: "flash_sale", name: "一件秒杀", productId: await product("音乐会员月卡"), priceCents: 100, stock: 1, perUserLimit: 1, shards: 1,
      startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const url = `${baseUrl}/campaigns/flash/?t=demo&id=${c.id}`;
    const [winner, loser] = [await phoneContext(browser()), await phoneContext(browser())];
    const [w, l] = [await winner.newPage(), await loser.newPage()];
    const errors = [...pageErrors(w), ...pageErrors(l)];
    await l.goto(url);
    await expect.poll(() => l.textContent("#go"), { timeout: 12_000 }).toBe("立即抢购");
    // The product's validity ends 2027-12-31T23:59:59Z, which is 2028-01-01 in China: the day 我的卡券 and the order page show.
    await expect.poll(() => l.textContent("#rules")).toContain("权益有效期：2026-01-01 至 2028-01-01。");
    // The loser's page missed the sell-out (its live polls fail, as on a slow network) and taps anyway.
    await l.route("**/live", (r) => r.abort());
    await w.goto(url);
    await expect.poll(() => w.textContent("#go"), { timeout: 12_000 }).toBe("立即抢购");
    await w.click("#go");
    await w.waitForURL(/\/pay\/checkout\//, { timeout: 15_000 });
    await l.click("#go");
    await expect.poll(() => l.textContent("#result"), { timeout: 10_000 }).toBe("已抢光。本页库存会自动刷新，有名额放回时可以再抢 其他活动");
    expect(await l.getAttribute("#result a", "href")).toBe("/campaigns/?t=demo");
    await l.unroute("**/live");
    await l.reload();
    await expect.poll(() => l.textContent("#stock"), { timeout: 10_000 }).toBe("已抢光；若有人超时未支付，名额会放回");
    await fitsThePhone(l);
    await screenshot(l, "flash-loser");
    await w.getByRole("button", { name: "确认支付" }).click();
    await w.waitForURL(/\/shop\/order\//, { timeout: 20_000 });
    const orderUrl = new URL(w.url());
    // Back on the sale: the button says 已抢到, and what was bought is one tap away.
    await w.goto(url);
    await expect.poll(() => w.textContent("#result"), { timeout: 10_000 }).toBe("你已抢到并完成支付 查看订单");
    expect(await w.textContent("#go")).toBe("已抢到");
    expect(await w.getAttribute("#result a", "href")).toBe(`/shop/order/?t=demo&o=${orderUrl.searchParams.get("o")}`);
    await screenshot(w, "flash-winner-paid");
    expect(errors).toEqual([]);
    await winner.close();
    await loser.close();
  });

  for (const display of ["wheel", "grid"] as const) {
    it(`${display === "wheel" ? "大转盘" : "九宫格"}: lands on the server's prize, then says it in plain words with a 可验证 link`, { timeout: 120_000 }, async () => {
      const { baseUrl } = inject("stack");
      const c = await lottery(`展示测试 ${display}`, display);
      const context = await phoneContext(browser());
      const page = await instrumented(context);
      const errors = pageErrors(page);
      await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${c.id}`);
      await expect.poll(() => page.getAttribute("#stage", "data-display"), { timeout: 15_000 }).toBe(display);
      await expect.poll(() => page.isEnabled("#draw"), { timeout: 10_000 }).toBe(true);
      await screenshot(page, `lottery-${display}`);
      if (display === "grid") {
        // Four outcomes on eight cells: each chance is shown once (on every cell, 4 × 25% read as 100% per row).
        const odds = await page.$$eval("#stage .cell small", (s) => s.map((x: any) => x.textContent as string));
        expect(odds).toEqual(["25.00%", "25.00%", "25.00%", "25.00%"]);
      }
      for (let i = 0; i < 2; i++) {
        const r = await drawOnce(page, c.id);
        const key = r.prizeId ?? "none";
        await expect.poll(() => page.getAttribute("#stage", "data-landed"), { timeout: 15_000 }).toBe(key);
        if (display === "wheel") {
          // Geometry, not a flag: the segment under the pointer (top centre of the wheel) is the server's prize.
          const under = await page.evaluate(() => {
            const document = (globalThis as any).document;
            const box = document.getElementById("stage").getBoundingClientRect();
            return (document.elementFromPoint(box.left + box.width / 2, box.top + 34)?.closest("g[data-seg]")?.dataset.seg ?? null) as string | null;
          });
          expect(under).toBe(key);
        } else {
          const lit = await page.$$eval("#stage .lit", (cells) => cells.map((c: any) => c.dataset.seg as string));
          expect(lit).toEqual([key]);
        }
        const text = (await page.textContent("#result"))!;
        expect(text).toContain(r.outcome === "won" ? `恭喜抽中 ${r.prizeName}，已放入我的卡券` : "未中奖");
        expect(text).toContain("可验证");
        expect(text).not.toMatch(/[0-9a-f]{16}|npm /); // no hashes or commands on the result card
        await fitsThePhone(page);
      }
      // It animated (so the reduced-motion test below can tell the difference).
      const moved = await page.evaluate(() => ((globalThis as any).__maxAnimations as number) + ((globalThis as any).__litSteps as number));
      expect(moved).toBeGreaterThan(display === "grid" ? 8 : 0);
      await screenshot(page, `lottery-${display}-landed`);
      expect(errors).toEqual([]);
      await context.close();
    });

    it(`${display}: prefers-reduced-motion shows the result without animation`, async () => {
      const { baseUrl } = inject("stack");
      const c = await lottery(`静态展示 ${display}`, display);
      const context = await phoneContext(browser(), { reducedMotion: "reduce" });
      const page = await instrumented(context);
      await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${c.id}`);
      await expect.poll(() => page.isEnabled("#draw"), { timeout: 15_000 }).toBe(true);
      const r = await drawOnce(page, c.id);
      await expect.poll(() => page.getAttribute("#stage", "data-landed"), { timeout: 10_000 }).toBe(r.prizeId ?? "none");
      expect(await page.textContent("#result")).toMatch(r.outcome === "won" ? /恭喜抽中/ : /未中奖/);
      expect(await page.evaluate(() => (globalThis as any).__maxAnimations)).toBe(0);
      expect(await page.evaluate(() => (globalThis as any).__litSteps)).toBeLessThanOrEqual(1);
      await context.close();
    });
  }

  it("a visitor who reached the campaign's win limit is told so and cannot draw again", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const c = await lottery("一次中奖上限", "wheel", { noPrizeWeight: 0, perUserLimit: 1 });
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${c.id}`);
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 15_000 }).toBe(true);
    expect((await drawOnce(page, c.id)).outcome).toBe("won");
    await expect.poll(() => page.textContent("#chances"), { timeout: 10_000 }).toContain("中奖上限");
    await expect.poll(() => page.isDisabled("#draw"), { timeout: 5_000 }).toBe(true);
    await page.reload();
    await expect.poll(() => page.textContent("#chances"), { timeout: 15_000 }).toContain("中奖上限");
    expect(await page.isDisabled("#draw")).toBe(true);
    await context.close();
  });

  it("in English: the grid, the result and its 可验证 link, and 提醒我 read in English", async () => {
    const { baseUrl } = inject("stack");
    const c = await lottery("English grid", "grid");
    const flash = await admin("/campaigns", "POST", {
      kind: "flash_sale", name: "Later sale", productId: await product("音乐会员月卡"), priceCents: 100, stock: 5, perUserLimit: 1, shards: 1,
      startsAt: new Date(Date.now() + 3_600_000).toISOString(), endsAt: new Date(Date.now() + 7_200_000).toISOString(),
    });
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${c.id}&lang=en`);
    await expect.poll(() => page.textContent("#stage .mid"), { timeout: 15_000 }).toBe("Luck");
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 10_000 }).toBe(true);
    expect(await page.textContent("#draw")).toBe("Draw");
    await drawOnce(page, c.id);
    await expect.poll(() => page.textContent("#result"), { timeout: 15_000 }).toMatch(/^(You won .+\. It is in My vouchers|No prize this time).*Verifiable/);
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${flash.id}&lang=en`);
    await expect.poll(() => page.isVisible("#remind"), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#remind")).toBe("Remind me");
    expect(await page.textContent("#clock-label")).toBe("Starts in");
    await context.close();
  });

  it("a tap is exactly one request (the claim or draw) once the session exists", async () => {
    const { baseUrl } = inject("stack");
    const coupon = await liveCoupon("一次请求领券", { perUserLimit: 2 });
    const draw = await lottery("一次请求抽奖", "wheel");
    const context = await phoneContext(browser());
    expect((await context.request.post(`${baseUrl}/api/v1/shop/demo/guest`, { data: {} })).status()).toBe(200);
    const page = await context.newPage();
    const seen: string[] = [];
    let counting = false;
    // The stock/odds poll runs on its own timer, tap or not: it is left out of the count.
    page.on("request", (r) => {
      if (counting && !r.url().endsWith("/live")) seen.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });

    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${coupon.id}`);
    await expect.poll(() => page.isEnabled("#go"), { timeout: 15_000 }).toBe(true);
    counting = true;
    await page.click("#go");
    await expect.poll(() => page.textContent("#result"), { timeout: 10_000 }).toContain("领取成功，券已放入我的卡券");
    counting = false;
    expect(seen).toEqual([`POST /api/v1/public/campaigns/${coupon.id}/claims`]);

    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${draw.id}`);
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 15_000 }).toBe(true);
    for (let i = 0; i < 2; i++) {
      seen.length = 0;
      counting = true;
      await page.click("#draw");
      await expect.poll(() => page.textContent("#result"), { timeout: 15_000 }).toMatch(/恭喜抽中|未中奖/);
      await expect.poll(() => page.isEnabled("#draw"), { timeout: 10_000 }).toBe(true);
      counting = false;
      expect(seen).toEqual([`POST /api/v1/public/campaigns/${draw.id}/claims`]);
    }
    await context.close();
  });

  it("a buyer back after today's claim finds 今日已领，明天再来, not a button that can only be refused", async () => {
    const { baseUrl } = inject("stack");
    const coupon = await liveCoupon("每日一领", { perUserLimit: 3, perUserDailyLimit: 1 });
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${coupon.id}`);
    await expect.poll(() => page.isEnabled("#go"), { timeout: 15_000 }).toBe(true);
    await page.click("#go");
    await expect.poll(() => page.textContent("#result"), { timeout: 10_000 }).toContain("领取成功");
    await page.reload();
    await expect.poll(() => page.textContent("#go"), { timeout: 15_000 }).toBe("今日已领，明天再来");
    expect(await page.isEnabled("#go")).toBe(false);
    await context.close();
  });

  it("the share task adds its chance, then says today's are all added instead of taking taps that add nothing", async () => {
    const { baseUrl } = inject("stack");
    const c = await lottery("分享加次数", "wheel", { tasks: [{ id: "share", name: "分享给好友（可选）", extraChances: 1, perDay: 1 }] });
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${c.id}`);
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 15_000 }).toBe(true);
    await page.click("#tasks button");
    await expect.poll(() => page.textContent("#chances"), { timeout: 10_000 }).toContain("6");
    await expect.poll(() => page.textContent("#tasks button")).toBe("分享给好友（可选）：今日 1 次已加满");
    expect(await page.isEnabled("#tasks button")).toBe(false);
    await context.close();
  });

  it("a campaign link on the other kind's page goes to the campaign's own page before anything can be tapped", async () => {
    const { baseUrl } = inject("stack");
    const coupon = await liveCoupon("错页领券", { perUserLimit: 1 });
    const draw = await lottery("错页抽奖", "wheel");
    const context = await phoneContext(browser());
    const page = await context.newPage();
    const errors = pageErrors(page);
    const claims: string[] = [];
    page.on("request", (r) => void (r.url().endsWith("/claims") && claims.push(r.url())));
    // Before, the lottery page drew a flash sale (an order made, the limit used) and said 未中奖; the flash page drew a
    // lottery and said 领取成功 whatever came out.
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${coupon.id}&utm_source=wx`);
    await page.waitForURL(/\/campaigns\/flash\/\?/, { timeout: 15_000 });
    expect(new URL(page.url()).search).toBe(`?t=demo&id=${coupon.id}&utm_source=wx`);
    await expect.poll(() => page.textContent("#name"), { timeout: 15_000 }).toBe("错页领券");
    await page.goto(`${baseUrl}/campaigns/flash/?t=demo&id=${draw.id}`);
    await page.waitForURL(/\/campaigns\/lottery\/\?/, { timeout: 15_000 });
    await expect.poll(() => page.isEnabled("#draw"), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("#name")).toBe("错页抽奖");
    expect(claims).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  // Issue 15 #4: the worker writes the campaign into the page (worker/routes/campaign-page.ts).
  it("flash and lottery pages show the campaign's name while every API call is held, and never ask for its definition", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const flash = await admin("/campaigns", "POST", {
      kind: "coupon_claim", name: "边缘写入的领券活动", productId: await product("5元代金券"), stock: 20, perUserLimit: 1, shards: 1,
      startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const draw = await lottery("边缘写入的抽奖", "grid");
    for (const [path, c, ready] of [["flash", flash, "#go"], ["lottery", draw, "#draw"]] as const) {
      const context = await phoneContext(browser());
      const page = await context.newPage();
      const errors = pageErrors(page);
      const asked: string[] = [];
      const held: (() => Promise<void>)[] = [];
      let holding = true;
      await page.route("**/api/v1/**", (route) => {
        asked.push(new URL(route.request().url()).pathname);
        if (holding) held.push(() => route.continue());
        else void route.continue();
      });
      await page.goto(`${baseUrl}/campaigns/${path}/?t=demo&id=${c.id}`);
      await expect.poll(() => asked.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(await page.textContent("h1#name"), path).toBe(c.name);
      const heading = await page.locator("h1#name").boundingBox();
      holding = false;
      await Promise.all(held.map((release) => release()));
      await expect.poll(() => page.isEnabled(ready), { timeout: 15_000 }).toBe(true);
      expect(await page.textContent("h1#name")).toBe(c.name);
      expect(await page.locator("h1#name").boundingBox()).toEqual(heading);
      expect(asked, path).not.toContain(`/api/v1/public/campaigns/${c.id}`);
      expect(errors).toEqual([]);
      await screenshot(page, `campaign-prerendered-${path}`);
      await context.close();
    }
  });

  it("flash, coupon and lottery pages load without layout shift (CLS < 0.1)", { timeout: 120_000 }, async () => {
    const { baseUrl } = inject("stack");
    const { campaigns } = (await (await fetch(`${baseUrl}/api/v1/public/tenants/demo/campaigns`)).json()) as { campaigns: any[] };
    // A live one first: the tests above leave sold-out, upcoming and ended ones of their own in the list. One with
    // minutes to go: the demo's 三分钟限时抽奖 and some of the tests' own end within seconds, and one that ended while
    // its page loaded never filled its chances (two CI runs needed the retry: no CLS line logged for the lottery).
    const lasting = (c: any) => !c.endsAt || Date.parse(c.endsAt) > Date.now() + 120_000;
    const pick = (kind: string) => campaigns.find((c: any) => c.kind === kind && c.phase === "live" && !c.soldOut && lasting(c))
      ?? campaigns.find((c: any) => c.kind === kind && c.phase !== "ended") ?? campaigns.find((c: any) => c.kind === kind);
    for (const [path, kind, ready] of [
      ["flash", "flash_sale", "#stock"],
      ["flash", "coupon_claim", "#stock"],
      ["lottery", "lottery", "#chances"],
    ] as const) {
      const context = await phoneContext(browser());
      const page = await instrumented(context);
      const started = Date.now();
      await page.goto(`${baseUrl}/campaigns/${path}/?t=demo&id=${pick(kind).id}`);
      await expect.poll(() => page.textContent(ready), { timeout: 15_000 }).not.toBe("");
      await expect.poll(() => page.locator("#rules li").count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await page.waitForLoadState("networkidle");
      const cls = await page.evaluate(() => (globalThis as any).__cls as number);
      const shifts = await page.evaluate(() => (globalThis as any).__shifts ?? []);
      console.log(JSON.stringify({ kind, cls: Math.round(cls * 1000) / 1000, ms: Date.now() - started, shifts }));
      expect(cls, `${kind} page CLS`).toBeLessThan(0.1);
      await context.close();
    }
  });
});
