import { beforeAll, describe, expect, inject, it } from "vitest";
import { fitsThePhone, phoneContext, phonePage, screenshot, useChromium } from "./chromium";
import { admin } from "./stack";

const browser = useChromium();
const ids: Record<"win" | "lose" | "ended" | "longWheel" | "longGrid" | "wheel4" | "wheel6" | "wheel8", string> = {
  win: "", lose: "", ended: "", longWheel: "", longGrid: "", wheel4: "", wheel6: "", wheel8: "",
};
/** Prize names as brands write them: a condition in brackets, a bundle's whole name. */
const LONG_NAMES = ["100元代金券（满200元可用）", "视频会员月卡 VIP 年度会员 + 音乐会员季卡 超值组合装", "20元无门槛代金券", "五元券", "音乐会员月卡兑换码"];

async function createLongNames(display: "wheel" | "grid", startsAt: number, names = LONG_NAMES) {
  const { products } = await admin("/products");
  const productId = (products.find((p: any) => p.name === "5元代金券") ?? products.find((p: any) => p.kind === "coupon")).id;
  const made = await admin("/campaigns", "POST", {
    kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" }, name: `长奖品名抽奖 ${display} ${names.length + 1}`, display,
    startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + 3_600_000).toISOString(),
    prizes: names.map((name, i) => ({ id: `p${i}`, name, productId, stock: 10, weight: 10 })), noPrizeWeight: 50, drawsPerDay: 2,
  });
  return made.id as string;
}

/**
 * Where each slice's label lies, in the wheel's own units (radius 96), from the text as Chromium laid it out: the
 * farthest corner of its box from the centre, and how far a corner strays past its slice's edge (≤ 0: inside).
 */
const LABEL_GEOMETRY = `(() => {
  const svg = document.querySelector("#stage svg");
  const groups = [...svg.querySelectorAll("g[data-seg]")];
  const step = 360 / groups.length;
  const toSvg = svg.getScreenCTM().inverse();
  return groups.map((g, i) => {
    const text = g.querySelector("text");
    const b = text.getBBox();
    const m = toSvg.multiply(text.getScreenCTM());
    const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]].map(([x, y]) => new DOMPoint(x, y).matrixTransform(m));
    const past = corners.map((p) => Math.abs(((((Math.atan2(p.x, -p.y) * 180) / Math.PI - i * step) + 540) % 360) - 180) - step / 2);
    // How far the text's lines are turned from upright on the screen (the wheel's own turn included), in degrees.
    const s = text.getScreenCTM();
    const tilt = Math.abs((Math.atan2(s.b, s.a) * 180) / Math.PI);
    return { seg: g.dataset.seg, text: text.textContent, rim: Math.max(...corners.map((p) => Math.hypot(p.x, p.y))), past: Math.max(...past), tilt };
  });
})()`;

async function createLottery(name: string, noPrizeWeight: number, startsAt: number, runMs = 3_600_000) {
  const { products } = await admin("/products");
  const productId = (products.find((p: any) => p.name === "5元代金券") ?? products.find((p: any) => p.kind === "coupon")).id;
  const made = await admin("/campaigns", "POST", {
    kind: "lottery", organiser: { name: "测试品牌", contact: "400-000-0000" },
    name,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(startsAt + runMs).toISOString(),
    // Weights make the outcome certain (win) or all but certain (lose: one chance in a million).
    prizes: [{ id: "gift", name: "五元券", productId, stock: 20, weight: 1 }],
    noPrizeWeight,
    drawsPerDay: 2,
  });
  return made.id as string;
}

beforeAll(async () => {
  const startsAt = Date.now() + 3_000;
  ids.win = await createLottery("好运抽奖", 0, startsAt);
  ids.lose = await createLottery("谢谢参与抽奖", 1_000_000, startsAt);
  ids.ended = await createLottery("已开奖抽奖", 1, startsAt, 1_000);
  ids.longWheel = await createLongNames("wheel", startsAt);
  ids.longGrid = await createLongNames("grid", startsAt);
  // 4, 6 and 8 slices (the prizes and 谢谢参与): slices at 3 and 9 o'clock, and at 60° and 45° off them.
  ids.wheel4 = await createLongNames("wheel", startsAt, LONG_NAMES.slice(0, 3));
  ids.wheel6 = await createLongNames("wheel", startsAt, LONG_NAMES);
  ids.wheel8 = await createLongNames("wheel", startsAt, [...LONG_NAMES, "腾讯视频VIP会员年卡（12个月）官方直充到账", "十元券"]);
  await new Promise((r) => setTimeout(r, startsAt - Date.now() + 300));
});

describe("lottery page on a phone", () => {
  it("shows every prize's whole name on the wheel, wrapped and sized to stay inside its slice (it read 100元代…)", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${ids.longWheel}`);
    await expect.poll(() => page.locator("#stage g[data-seg]").count(), { timeout: 10_000 }).toBe(6);
    const labels = (await page.evaluate(LABEL_GEOMETRY)) as { seg: string; text: string; rim: number; past: number }[];
    for (const [i, name] of LONG_NAMES.entries()) {
      const label = labels.find((l) => l.seg === `p${i}`)!;
      expect(label.text.replace(/\s+/g, "")).toBe(`${name.replace(/\s+/g, "")}10.00%`);
    }
    for (const l of labels) {
      expect(l.rim, l.text).toBeLessThanOrEqual(96);
      expect(l.past, l.text).toBeLessThanOrEqual(0);
    }
    // The longest name takes several lines; none is cut short.
    expect(await page.locator('#stage g[data-seg="p1"] tspan:not(.odds)').count()).toBeGreaterThan(1);
    expect(await page.textContent("#stage")).not.toContain("…");
    await fitsThePhone(page);
    await screenshot(page, "lottery-long-prize-names");
    expect(errors).toEqual([]);
    await context.close();
  });

  for (const slices of [4, 6, 8] as const) {
    it(`turns every label on a ${slices}-slice wheel to read within 45° of upright, before the draw and where it lands (at 90° and 270° they read sideways)`, async () => {
      const { baseUrl } = inject("stack");
      const { context, page, errors } = await phonePage(browser(), { reducedMotion: "reduce" });
      await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${ids[`wheel${slices}`]}`);
      await expect.poll(() => page.locator("#stage g[data-seg]").count(), { timeout: 10_000 }).toBe(slices);
      const readable = async () => {
        const labels = (await page.evaluate(LABEL_GEOMETRY)) as { seg: string; text: string; rim: number; past: number; tilt: number }[];
        for (const l of labels) {
          expect(l.tilt, l.text).toBeLessThanOrEqual(45.5);
          expect(l.rim, l.text).toBeLessThanOrEqual(96);
          expect(l.past, l.text).toBeLessThanOrEqual(0);
        }
        return labels;
      };
      const before = await readable();
      // The slices at 3 and 9 o'clock (4 and 8 slices) read level, along their radius.
      if (slices !== 6) for (const i of [slices / 4, (3 * slices) / 4]) expect(before[i]!.tilt, before[i]!.text).toBeLessThan(1);
      // A name too long for its slice is cut with …, never drawn past the slice (checked above).
      if (slices === 8) expect(await page.textContent("#stage")).toContain("…");
      await screenshot(page, `lottery-wheel-${slices}`);
      await expect.poll(() => page.isEnabled("#draw"), { timeout: 10_000 }).toBe(true);
      await page.click("#draw");
      await expect.poll(() => page.getAttribute("#stage", "data-landed"), { timeout: 10_000 }).not.toBeNull();
      const landed = await page.getAttribute("#stage", "data-landed");
      // The slice under the pointer (top centre of the wheel) is the drawn prize.
      const under = await page.evaluate(() => {
        const document = (globalThis as any).document;
        const box = document.getElementById("stage").getBoundingClientRect();
        return (document.elementFromPoint(box.left + box.width / 2, box.top + 34)?.closest("g[data-seg]")?.dataset.seg ?? null) as string | null;
      });
      expect(under).toBe(landed);
      const after = await readable();
      // The prize under the pointer reads upright (within the landing's jitter of under a third of a slice).
      expect(after.find((l) => l.seg === landed)!.tilt).toBeLessThanOrEqual(0.3 * (360 / slices) + 0.5);
      await screenshot(page, `lottery-wheel-${slices}-landed`);
      expect(errors).toEqual([]);
      await context.close();
    });
  }

  it("shows every prize's whole name in the 九宫格, wrapped inside its cell", async () => {
    const { baseUrl } = inject("stack");
    const { context, page, errors } = await phonePage(browser());
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${ids.longGrid}`);
    await expect.poll(() => page.locator("#stage .cell").count(), { timeout: 10_000 }).toBe(8);
    for (const [i, name] of LONG_NAMES.entries()) expect(await page.locator(`#stage .cell[data-seg="p${i}"] span`).first().textContent()).toBe(name);
    // Nothing spills out of a cell (the cells hide overflow, so a spill would cut the name or its odds).
    const spills = await page.$$eval("#stage .cell", (cells) => cells.filter((c) => c.scrollHeight > c.clientHeight + 1 || c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent));
    expect(spills).toEqual([]);
    await screenshot(page, "lottery-long-prize-names-grid");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("after the end, shows the revealed seed and the verify command within the phone's width", async () => {
    const { baseUrl } = inject("stack");
    const context = await phoneContext(browser());
    const page = await context.newPage();
    await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${ids.ended}`);
    await expect.poll(() => page.locator("#reveal a").count(), { timeout: 20_000 }).toBe(1);
    // The page hashes the seed itself (WebCrypto) and says whether it is the one committed to before opening.
    await expect.poll(() => page.textContent("#seed-verdict"), { timeout: 10_000 }).toBe("✔ 种子与承诺一致");
    expect(await page.getAttribute("#seed-verdict", "class")).toBe("verdict pass");
    expect(await page.evaluate<string>(`getComputedStyle(document.getElementById("seed-verdict")).backgroundColor`)).toBe("rgb(240, 253, 244)");
    await screenshot(page, "lottery-revealed");
    // The reveal is built by the script: unstyled, its 64-hex seed and command widened the page to ~770 px.
    await fitsThePhone(page);
    await context.close();
  });

  it("says ✘ when the revealed seed is not the one committed to (a seed swapped after opening), in either language", async () => {
    const { baseUrl } = inject("stack");
    for (const [lang, text] of [["zh", "✘ 种子与承诺不一致"], ["en", "✘ The seed does not match its commitment"]] as const) {
      const context = await phoneContext(browser());
      const page = await context.newPage();
      // The campaign read that carries the revealed seed answers with another seed, as a swapped one would be.
      await page.route(new RegExp(`/api/v1/public/campaigns/${ids.ended}$`), async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        if (body.seed) body.seed = "f".repeat(64);
        await route.fulfill({ response: res, json: body });
      });
      await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&lang=${lang}&id=${ids.ended}`);
      await expect.poll(() => page.locator("#seed-verdict strong").textContent(), { timeout: 20_000 }).toBe(text);
      expect(await page.getAttribute("#seed-verdict", "class")).toBe("verdict fail");
      expect(await page.getAttribute("#seed-verdict", "role")).toBe("alert");
      expect(await page.textContent("#reveal code")).toBe("f".repeat(64));
      if (lang === "zh") await screenshot(page, "lottery-seed-mismatch");
      await fitsThePhone(page);
      await context.close();
    }
  });

  for (const outcome of ["win", "lose"] as const) {
    it(`shows odds and the seed commitment, then the ${outcome === "win" ? "winning" : "losing"} result at once`, async () => {
      const { baseUrl } = inject("stack");
      const { context, page, errors } = await phonePage(browser());
      await page.goto(`${baseUrl}/campaigns/lottery/?t=demo&id=${ids[outcome]}`);
      await expect.poll(() => page.textContent("#commit"), { timeout: 10_000 }).toMatch(/^[0-9a-f]{64}$/);
      await expect.poll(() => page.textContent("#odds tbody"), { timeout: 10_000 }).toContain("五元券");
      await expect.poll(() => page.isEnabled("#draw"), { timeout: 10_000 }).toBe(true);
      // The wheel's slices are equal, so each names its published chance; the lower half's labels are turned upright.
      expect(await page.textContent('#stage g[data-seg="gift"]')).toBe(`五元券${outcome === "win" ? "100.00" : "0.00"}%`);
      expect(await page.textContent('#stage g[data-seg="none"]')).toBe(`谢谢参与${outcome === "win" ? "0.00" : "100.00"}%`);
      expect(await page.getAttribute('#stage g[data-seg="none"] text', "transform")).toContain("rotate(180)");
      await page.click("#draw");
      await expect.poll(() => page.textContent("#result"), { timeout: 10_000 }).toMatch(outcome === "win" ? /恭喜/ : /未中奖/);
      await screenshot(page, `lottery-${outcome}`);
      // The result's proof line is built by the script; it must wrap within the phone's width (was 770 px).
      await fitsThePhone(page);
      expect(errors).toEqual([]);
      await context.close();
    });
  }
});
