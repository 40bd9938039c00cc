/**
 * A static page with data written in at the edge (the product and flash-sale pages): the asset and the data are read
 * at once; without data (none to show, or a failed read) the asset is answered unchanged and the page's script asks
 * the API. The answer depends on data, so it is never the asset's 304 and never cached as it.
 */
export async function prerenderPage<T>(
  env: Env, url: URL, path: string, load: () => Promise<T | null>, rewrite: (data: T) => HTMLRewriter,
): Promise<Response> {
  const [page, data] = await Promise.all([
    env.ASSETS.fetch(new Request(new URL(path, url))),
    // A failed read only costs the prerender.
    load().catch((e: unknown) => {
      console.error(JSON.stringify({ at: "prerender", path, error: e instanceof Error ? e.message : String(e) }));
      return null;
    }),
  ]);
  if (!page.ok || !data) return page;
  const headers = new Headers(page.headers);
  headers.delete("etag");
  headers.set("cache-control", "private, no-cache");
  return rewrite(data).transform(new Response(page.body, { status: 200, headers }));
}
