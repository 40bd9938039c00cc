import { describe, expect, it } from "vitest";
import { productArticleHtml, productCardsHtml } from "../../worker/domain/product-html";

const base = {
  id: "prd_1", kind: "card_key", name: "视频会员月卡", subtitle: "", priceCents: 1990, faceValueCents: 2500,
  validity: { kind: "relative", days: 30 }, scope: "视频 App", usageRules: "", tutorial: "", description: "",
  media: { images: [] }, stock: null,
} as never;

describe("product HTML (prerendered pages)", () => {
  it("shows the kind alone when there is no subtitle, and both with one", () => {
    const none = productArticleHtml(base, "zh");
    expect(none).toContain('<p class="muted">卡密</p>');
    expect(none).not.toMatch(/卡密 ·\s*</);
    expect(productCardsHtml([base], "demo", "zh")).toContain('<p class="muted">卡密</p>');
    const withSub = productArticleHtml({ ...(base as object), subtitle: "<b>限时</b>" } as never, "zh");
    expect(withSub).toContain('<p class="muted">卡密 · &lt;b&gt;限时&lt;/b&gt;</p>');
  });
});
