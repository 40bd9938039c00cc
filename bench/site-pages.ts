/** The pages bench:site measures: home, the first product page, the first lottery and flash-sale pages and 我的卡券 of the seeded Demo Brand. */
export async function discoverPages(baseUrl: string, _stateDir: string): Promise<Record<string, string>> {
  const pages: Record<string, string> = { home: "/" };
  const shop = (await (await fetch(`${baseUrl}/api/v1/shop/demo/products`)).json()) as { products?: { id: string }[] };
  const product = shop.products?.[0];
  if (product) pages.product = `/shop/product/?t=demo&id=${product.id}`;
  const list = (await (await fetch(`${baseUrl}/api/v1/public/tenants/demo/campaigns`)).json()) as { campaigns?: { id: string; kind: string }[] };
  const lottery = list.campaigns?.find((c) => c.kind === "lottery");
  if (lottery) pages.lottery = `/campaigns/lottery/?t=demo&id=${lottery.id}`;
  const flash = list.campaigns?.find((c) => c.kind === "flash_sale");
  if (flash) pages.flash = `/campaigns/flash/?t=demo&id=${flash.id}`;
  pages.vouchers = "/shop/vouchers/?t=demo";
  return pages;
}
