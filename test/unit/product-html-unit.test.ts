import { describe, expect, it } from "vitest";
import { productArticleHtml, productCardsHtml, yuan } from "../../worker/domain/product-html";

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
});
