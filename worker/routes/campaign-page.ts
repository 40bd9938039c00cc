/**
 * The flash-sale page, prerendered at the edge like the product page (routes/product-page.ts): the static page
 * (site/src/pages/campaigns/flash/) with the campaign's hero image, name and its data written in, so the page paints
 * its largest element without waiting for an API call. A preview link, another kind or an unknown campaign gets the
 * static asset unchanged (the page's script then asks the API).
 */
import { scriptJson } from "../domain/product-html";
import { flashCampaignForPage } from "../services/campaign-page";
import { prerenderPage } from "./prerender";

export const FLASH_PAGE = "/campaigns/flash/";

export async function flashPage(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname !== FLASH_PAGE || request.method !== "GET" || url.searchParams.has("preview")) return env.ASSETS.fetch(request);
  return prerenderPage(env, url, FLASH_PAGE, () => flashCampaignForPage(env, url.searchParams.get("id") ?? ""), (campaign) => {
    const image = campaign.product?.image;
    return new HTMLRewriter()
      .on("title", { element: (el) => void el.setInnerContent(`${campaign.name} · kaquan`) })
      .on("#hero", { element: (el) => void (image && el.setAttribute("src", image)) })
      // The operator's name reads the same in both languages: no "Loading…" swapped over it in English.
      .on("#name", { element: (el) => void el.removeAttribute("data-en").setInnerContent(campaign.name) })
      .on("#box", {
        element: (el) => {
          el.setAttribute("data-prerendered", "zh");
          el.after(`<script type="application/json" id="campaign-data">${scriptJson(campaign)}</script>`, { html: true });
        },
      });
  });
}
