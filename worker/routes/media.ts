import { createRoute, z } from "@hono/zod-openapi";
import { ErrorBody } from "../../schema/errors";
import { IMAGE_TYPES, IMAGE_WIDTHS, MAX_IMAGE_BYTES } from "../domain/media";
import { requireKey } from "../middleware/auth";
import { serveImage, uploadImage, uploadVariant } from "../services/media";
import { bearerAuth, createRouter, errors, json } from "./router";

const tags = ["media"];
const operator = [requireKey("operator")];
const ImageId = z.string().regex(/^img_[0-9a-f]{32}$/);
const StoredImage = z
  .object({ id: ImageId, url: z.string().openapi({ description: "On this origin; add ?w=<px> for a stored width" }), widths: z.array(z.number()) })
  .openapi("StoredImage");
const imageBody = {
  body: {
    required: true,
    description: `The image bytes (at most ${MAX_IMAGE_BYTES} bytes); content-type must match them`,
    content: Object.fromEntries(IMAGE_TYPES.map((t) => [t, { schema: z.any().openapi({ type: "string", format: "binary" }) }])),
  },
};
const refused = {
  413: json(ErrorBody, "Too large"),
  415: json(ErrorBody, "Not a PNG, JPEG or WebP, or not what content-type says"),
};

const upload = createRoute({
  method: "post", path: "/media/images", tags, security: bearerAuth, middleware: operator,
  summary: "Upload a product image (the original); stored in R2 under this brand, id = hash of the bytes",
  request: imageBody,
  responses: { 201: json(StoredImage, "Stored"), 400: errors[400], 401: errors[401], 403: errors[403], 429: errors[429], ...refused },
});
const variant = createRoute({
  method: "put", path: "/media/images/{imageId}/widths/{width}", tags, security: bearerAuth, middleware: operator,
  summary: `Store a resized copy (${IMAGE_WIDTHS.join(", ")} px wide) made by the uploader, served for ?w=`,
  request: { params: z.object({ imageId: ImageId, width: z.coerce.number().int() }), ...imageBody },
  responses: { 200: json(StoredImage, "Stored"), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 429: errors[429], ...refused },
});
const serve = createRoute({
  method: "get", path: "/media/{tenantId}/{imageId}", tags,
  summary: "A product image from our origin: the smallest stored width ≥ w, else the original (immutable)",
  request: {
    params: z.object({ tenantId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/), imageId: ImageId }),
    query: z.object({ w: z.coerce.number().int().min(1).max(4096).optional() }),
  },
  responses: {
    200: { description: "The image", content: Object.fromEntries(IMAGE_TYPES.map((t) => [t, { schema: z.any().openapi({ type: "string", format: "binary" }) }])) },
    400: errors[400], 404: errors[404],
  },
});

export const mediaRoutes = createRouter()
  .openapi(upload, async (c) => c.json(await uploadImage(c.env, c.var.principal.tenantId, c.req.raw), 201))
  .openapi(variant, async (c) => {
    const { imageId, width } = c.req.valid("param");
    return c.json(await uploadVariant(c.env, c.var.principal.tenantId, imageId, width, c.req.raw), 200);
  })
  .openapi(serve, async (c) => {
    const { tenantId, imageId } = c.req.valid("param");
    return serveImage(c.env, tenantId, imageId, c.req.valid("query").w) as any;
  });
