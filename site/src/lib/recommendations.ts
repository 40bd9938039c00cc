/**
 * Recommendation strips (issue 19): 其他人也买了 on a product page, 为你推荐 on the member centre. They read the edge
 * cache (never the warehouse) after the page's main content, into a box whose height is reserved, so nothing moves.
 */
import { t } from "./i18n";
import { el, imageProps, shopFetch, store, yuan } from "./shop-api";
import { trackRecommendation } from "./visit";

type Surface = "product" | "member";

export async function showRecommendations(box: HTMLElement, surface: Surface, fromProductId?: string) {
  const path = surface === "product" ? `/products/${encodeURIComponent(fromProductId!)}/also-bought?limit=6` : "/for-you?limit=6";
  const r = await shopFetch<any>(path);
  const items: any[] = r.status === 200 ? r.body.items : [];
  const list = box.querySelector<HTMLElement>(".reco-list")!;
  list.innerHTML = "";
  if (!items.length) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  items.forEach((p, position) => {
    const href = `/shop/product/?t=${encodeURIComponent(store())}&id=${encodeURIComponent(p.id)}`;
    const img = p.image ? el("img", { ...imageProps(p.image, "120px"), alt: "", loading: "lazy", width: 120, height: 68 } as Partial<HTMLImageElement>) : el("span", { class: "reco-ph" });
    const a = el("a", { href, class: "reco-item" }, img, el("span", { class: "reco-name" }, p.name), el("span", { class: "reco-price" }, yuan(p.priceCents)));
    a.dataset.productId = p.id;
    a.addEventListener("click", () => trackRecommendation({ type: "recommendation_clicked", surface, productId: p.id, position, ...(fromProductId ? { fromProductId } : {}) }));
    list.append(a);
  });
  trackRecommendation({ type: "recommendation_shown", surface, items: items.length, ...(fromProductId ? { productId: fromProductId } : {}) });
}

/** Runs `fn` once the page is idle (after its main content), never before the first paint. */
export function afterMain(fn: () => void) {
  const idle = (window as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => void }).requestIdleCallback;
  if (idle) idle(fn, { timeout: 1500 });
  else setTimeout(fn, 200);
}

export const recoTitle = (surface: Surface) => (surface === "product" ? t("其他人也买了", "Others also bought") : t("为你推荐", "For you"));
