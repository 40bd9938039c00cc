import { kaquanClient } from "../scripts/lib/api/client";

/** The pages bench:site measures: home, the shop's product list, the first product page, the first lottery and flash-sale pages, 我的卡券 and the member centre with its points page, of the seeded Demo Brand. */
export async function discoverPages(baseUrl: string, _stateDir: string): Promise<Record<string, string>> {
  const pages: Record<string, string> = { home: "/", shop: "/shop/?t=demo" };
  const kq = kaquanClient(baseUrl);
  const shop = (await kq.GET("/shop/{tenant}/products", { params: { path: { tenant: "demo" } } })).data;
  const product = shop?.products[0];
  if (product) pages.product = `/shop/product/?t=demo&id=${product.id}`;
  const list = (await kq.GET("/public/tenants/{slug}/campaigns", { params: { path: { slug: "demo" } } })).data;
  const lottery = list?.campaigns.find((c) => c.kind === "lottery");
  if (lottery) pages.lottery = `/campaigns/lottery/?t=demo&id=${lottery.id}`;
  const flash = list?.campaigns.find((c) => c.kind === "flash_sale");
  if (flash) pages.flash = `/campaigns/flash/?t=demo&id=${flash.id}`;
  pages.vouchers = "/shop/vouchers/?t=demo";
  // Issue 17: the member centre and its points page (as a visitor who has not joined yet sees them).
  pages.member = "/shop/member/?t=demo";
  pages.points = "/shop/member/points/?t=demo";
  return pages;
}
