/**
 * The shop's product list (/shop/), prerendered at the edge like the product page: the static page
 * (site/src/pages/shop/) with the cards and their data written in, so the first product's image (the page's largest
 * element) needs no API call. An unknown store gets the static page (its script asks the API and says so).
 */
import { productCardsHtml, scriptJson } from "../domain/product-html";
import { productsForPage } from "../services/product-page";
import { prerenderPage } from "./prerender";

export const SHOP_PAGE = "/shop/";

export async function shopPage(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  if (request.method !== "GET") return env.ASSETS.fetch(request);
  return prerenderPage(env, url, SHOP_PAGE, () => productsForPage(env, url.searchParams.get("t") || "demo"), (shop) =>
    new HTMLRewriter().on("#list", {
      element: (el) => {
        el.setAttribute("data-prerendered", "zh");
        el.setInnerContent(productCardsHtml(shop.products, shop.slug, "zh"), { html: true });
        el.after(`<script type="application/json" id="products-data">${scriptJson({ products: shop.products })}</script>`, { html: true });
      },
    }));
}
