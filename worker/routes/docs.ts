import { createRouter } from "./router";

/**
 * GET /api/v1/docs: the API reference page (site/src/pages/docs/api.astro), served from this origin's static
 * assets under the API's own path; it renders /api/v1/openapi.json in the browser, with no CDN.
 */
export const docsRoutes = createRouter().get("/docs", async (c) => {
  const page = await c.env.ASSETS.fetch(new Request(new URL("/docs/api/", c.req.url)));
  return new Response(page.body, { status: page.status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } });
});
