/**
 * The flash-sale and lottery pages, prerendered at the edge like the product page (routes/product-page.ts): the
 * static page (site/src/pages/campaigns/flash/, …/lottery/) with the campaign's name (and the flash sale's hero image,
 * the lottery's description and seed commitment) and its data written in, so the page paints its largest element
 * without waiting for an API call. A preview link, another kind or an unknown campaign gets the static asset unchanged
 * (the page's script then asks the API).
 */
import type { Campaign } from "../../schema/campaigns";
import { scriptJson } from "../domain/product-html";
import { campaignForPage, PAGE_KINDS } from "../services/campaign-page";
import { prerenderPage } from "./prerender";

export const FLASH_PAGE = "/campaigns/flash/";
export const LOTTERY_PAGE = "/campaigns/lottery/";

const dataScript = (campaign: Campaign) => `<script type="application/json" id="campaign-data">${scriptJson(campaign)}</script>`;

/** The name and title every campaign page shows; the operator's name reads the same in both languages (no data-en). */
const withName = (campaign: Campaign) =>
  new HTMLRewriter()
    .on("title", { element: (el) => void el.setInnerContent(`${campaign.name} · kaquan`) })
    .on("#name", { element: (el) => void el.removeAttribute("data-en").setInnerContent(campaign.name) });

function campaignPage(request: Request, env: Env, path: string, page: keyof typeof PAGE_KINDS, rewrite: (campaign: Campaign) => HTMLRewriter) {
  const url = new URL(request.url);
  if (url.pathname !== path || request.method !== "GET" || url.searchParams.has("preview")) return env.ASSETS.fetch(request);
  return prerenderPage(env, url, path, () => campaignForPage(env, page, url.searchParams.get("id") ?? ""), rewrite);
}

export function flashPage(request: Request, env: Env): Promise<Response> {
  return campaignPage(request, env, FLASH_PAGE, "flash", (campaign) => {
    const image = campaign.product?.image;
    return withName(campaign)
      .on("#hero", { element: (el) => void (image && el.setAttribute("src", image)) })
      .on("#box", {
        element: (el) => {
          el.setAttribute("data-prerendered", "zh");
          el.after(dataScript(campaign), { html: true });
        },
      });
  });
}

export function lotteryPage(request: Request, env: Env): Promise<Response> {
  return campaignPage(request, env, LOTTERY_PAGE, "lottery", (campaign) =>
    withName(campaign)
      .on("#desc", { element: (el) => void el.setInnerContent(campaign.description ?? "") })
      .on("#commit", { element: (el) => void el.setInnerContent(campaign.seedCommitment ?? "") })
      .on("#stage", { element: (el) => void el.after(dataScript(campaign), { html: true }) }),
  );
}
