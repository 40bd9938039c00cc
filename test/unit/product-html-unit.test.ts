import { describe, expect, it } from "vitest";
import { productArticleHtml, productCardsHtml, validityName, yuan } from "../../worker/domain/product-html";

const base = {
  id: "prd_1", kind: "card_key", name: "视频会员月卡", subtitle: "", priceCents: 1990, faceValueCents: 2500,
  validity: { kind: "relative", days: 30 }, scope: "视频 App", usageRules: "", tutorial: "", description: "",
  media: { images: [] }, stock: null,
} as never;

describe("product HTML (prerendered pages)", () => {
  it("writes money as ¥12.30, and a debit as -¥1.00 (the console's ledgers show both)", () => {
    expect([yuan(1230), yuan(0), yuan(-100), yuan(-5)]).toEqual(["¥12.30", "¥0.00", "-¥1.00", "-¥0.05"]);
  });

  it("shows the kind alone when there is no subtitle, and both with one", () => {
    const none = productArticleHtml(base, "zh");
    expect(none).toContain('<p class="muted">卡密</p>');
    expect(none).not.toMatch(/卡密 ·\s*</);
    expect(productCardsHtml([base], "demo", "zh")).toContain('<p class="muted">卡密</p>');
    const withSub = productArticleHtml({ ...(base as object), subtitle: "<b>限时</b>" } as never, "zh");
    expect(withSub).toContain('<p class="muted">卡密 · &lt;b&gt;限时&lt;/b&gt;</p>');
  });

  it("lists a bundle's items by name and count under its price, escaped (组合内容)", () => {
    const bundle = { ...(base as object), kind: "bundle", name: "影音组合", bundleItems: [{ productId: "prd_a", name: "视频会员<月卡>", kind: "card_key", quantity: 1 }, { productId: "prd_b", name: "话费直充 10 元", kind: "direct_recharge", quantity: 2 }] } as never;
    const html = productArticleHtml(bundle, "zh");
    expect(html).toContain("组合内容");
    expect(html).toContain("<li><span>视频会员&lt;月卡&gt;</span> <span class=\"qty\">× 1</span></li>");
    expect(html).toContain("<li><span>话费直充 10 元</span> <span class=\"qty\">× 2</span></li>");
    expect(html.indexOf("组合内容")).toBeGreaterThan(html.indexOf('class="price"'));
    expect(html.indexOf("组合内容")).toBeLessThan(html.indexOf('class="facts"'));
    expect(productArticleHtml(base, "zh")).not.toContain("组合内容");
  });
});

describe("a fixed validity is written in China days", () => {
  it("a validity ending 23:59:59 UTC ends the next day in China, as 我的卡券 and the order page say", () => {
    expect(validityName("zh", { kind: "fixed", validFrom: "2026-01-01T00:00:00.000Z", validTo: "2027-12-31T23:59:59.000Z" })).toBe("2026-01-01 ~ 2028-01-01");
    // Opening at 00:00 China time is 16:00 UTC the day before: the page must not send the holder a day early.
    expect(validityName("zh", { kind: "fixed", validFrom: "2026-11-30T16:00:00.000Z", validTo: "2026-12-31T15:59:59.000Z" })).toBe("2026-12-01 ~ 2026-12-31");
  });
});
