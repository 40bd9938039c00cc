import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "./router";

const route = createRoute({
  method: "get",
  path: "/docs",
  tags: ["platform"],
  summary: "This API reference as a web page (rendered from /openapi.json in the browser, served from this origin)",
  responses: { 200: { description: "The reference page", content: { "text/html": { schema: z.string() } } } },
});

/** The page is site/src/pages/docs/api.astro in the static assets, served under the API's own path (no CDN). */
export const docsRoutes = createRouter().openapi(route, async (c) => {
  const page = await c.env.ASSETS.fetch(new Request(new URL("/docs/api/", c.req.url)));
  return new Response(page.body, { status: page.status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } }) as never;
});
