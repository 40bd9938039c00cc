/**
 * The product page, prerendered at the edge: the static page (site/src/pages/shop/product/) with the product's
 * article and its data written in, so the page paints its largest element without waiting for an API call.
 * Anything else under the path, or a product that cannot be shown, is the static asset unchanged (the page's script
 * then asks the API and shows its answer).
 */
import { productArticleHtml, scriptJson } from "../domain/product-html";
import { productForPage } from "../services/product-page";
import { prerenderPage } from "./prerender";

export const PRODUCT_PAGE = "/shop/product/";

export async function productPage(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname !== PRODUCT_PAGE || request.method !== "GET") return env.ASSETS.fetch(request);
  const load = () => productForPage(env, url.searchParams.get("t") || "demo", url.searchParams.get("id") ?? "");
  return prerenderPage(env, url, PRODUCT_PAGE, load, (product) =>
    new HTMLRewriter()
      .on("title", { element: (el) => void el.setInnerContent(`${product.name} · kaquan`) })
      .on("#product", {
        element: (el) => {
          el.setAttribute("data-prerendered", "zh");
          el.setInnerContent(productArticleHtml(product, "zh"), { html: true });
          el.after(`<script type="application/json" id="product-data">${scriptJson(product)}</script>`, { html: true });
        },
      }));
}
