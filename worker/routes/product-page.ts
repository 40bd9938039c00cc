/**
 * The product page, prerendered at the edge: the static page (site/src/pages/shop/product/) with the product's
 * article and its data written in, so the page paints its largest element without waiting for an API call.
 * Anything else under the path, or a product that cannot be shown, is the static asset unchanged (the page's script
 * then asks the API and shows its answer).
 */
import { productArticleHtml, scriptJson } from "../domain/product-html";
import { productForPage } from "../services/product-page";

export const PRODUCT_PAGE = "/shop/product/";

export async function productPage(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname !== PRODUCT_PAGE || request.method !== "GET") return env.ASSETS.fetch(request);
  // A plain GET: the answer depends on data, so no conditional request may turn it into the asset's 304.
  const [page, product] = await Promise.all([
    env.ASSETS.fetch(new Request(new URL(PRODUCT_PAGE, url))),
    // A failed read only costs the prerender: the page's script asks the API and shows its answer (or error).
    productForPage(env, url.searchParams.get("t") || "demo", url.searchParams.get("id") ?? "").catch((e: unknown) => {
      console.error(JSON.stringify({ at: "productPage", error: e instanceof Error ? e.message : String(e) }));
      return null;
    }),
  ]);
  if (!page.ok || !product) return page;
  const headers = new Headers(page.headers);
  headers.delete("etag");
  headers.set("cache-control", "private, no-cache");
  const rewritten = new HTMLRewriter()
    .on("title", { element: (el) => void el.setInnerContent(`${product.name} · kaquan`) })
    .on("#product", {
      element: (el) => {
        el.setAttribute("data-prerendered", "zh");
        el.setInnerContent(productArticleHtml(product, "zh"), { html: true });
        el.after(`<script type="application/json" id="product-data">${scriptJson(product)}</script>`, { html: true });
      },
    })
    .transform(new Response(page.body, { status: 200, headers }));
  return rewritten;
}
