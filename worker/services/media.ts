/**
 * Product images in R2, served from our own origin. The admin page uploads the original and the widths it renders in
 * the browser (canvas); the image id is the SHA-256 of the original, so a re-upload is the same image and every URL
 * is immutable.
 */
import { sha256Hex } from "../domain/crypto";
import { IMAGE_WIDTHS, imageSize, MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, mediaUrl, pickWidth, sniffImage, type ImageType } from "../domain/media";
import { getImage, imageExists, putImage, storedWidths } from "../db/media";
import { ApiError } from "../errors";

async function readImage(req: Request): Promise<{ bytes: Uint8Array; type: ImageType }> {
  const declared = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_IMAGE_BYTES) throw new ApiError(413, "image_too_large", `An image may be at most ${MAX_IMAGE_BYTES} bytes`);
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length > MAX_IMAGE_BYTES) throw new ApiError(413, "image_too_large", `An image may be at most ${MAX_IMAGE_BYTES} bytes`);
  if (bytes.length === 0) throw ApiError.badRequest("image_empty", "The request body is the image; it was empty");
  const type = sniffImage(bytes);
  if (!type || type !== declared) {
    throw new ApiError(415, "unsupported_image", "Send a PNG, JPEG or WebP image with its own content-type");
  }
  const size = imageSize(bytes, type);
  if (!size || size.width < 1 || size.height < 1 || size.width > MAX_IMAGE_SIDE || size.height > MAX_IMAGE_SIDE) {
    throw new ApiError(422, "invalid_image", size
      ? `The image is ${size.width}×${size.height} pixels; each side must be 1 to ${MAX_IMAGE_SIDE}`
      : "The image's header is missing or cut short; send the whole file");
  }
  return { bytes, type };
}

export async function uploadImage(env: Pick<Env, "MEDIA">, tenantId: string, req: Request) {
  const { bytes, type } = await readImage(req);
  const id = `img_${(await sha256Hex(bytes)).slice(0, 32)}`;
  await putImage(env.MEDIA, tenantId, id, null, bytes, type);
  return { id, url: mediaUrl(tenantId, id), widths: await storedWidths(env.MEDIA, tenantId, id) };
}

export async function uploadVariant(env: Pick<Env, "MEDIA">, tenantId: string, id: string, width: number, req: Request) {
  if (!(IMAGE_WIDTHS as readonly number[]).includes(width)) throw ApiError.badRequest("unsupported_width", `width must be one of ${IMAGE_WIDTHS.join(", ")}`);
  if (!(await imageExists(env.MEDIA, tenantId, id))) throw ApiError.notFound("Image");
  const { bytes, type } = await readImage(req);
  await putImage(env.MEDIA, tenantId, id, width, bytes, type);
  return { id, url: mediaUrl(tenantId, id), widths: await storedWidths(env.MEDIA, tenantId, id) };
}

/** The stored size closest above the asked width (the original when none is). */
export async function serveImage(env: Pick<Env, "MEDIA">, tenantId: string, id: string, wanted: number | undefined): Promise<Response> {
  const width = wanted ? pickWidth(await storedWidths(env.MEDIA, tenantId, id), wanted) : null;
  const obj = (await getImage(env.MEDIA, tenantId, id, width)) ?? (width !== null ? await getImage(env.MEDIA, tenantId, id, null) : null);
  if (!obj) throw ApiError.notFound("Image");
  return new Response(obj.body, {
    headers: {
      "content-type": obj.httpMetadata?.contentType ?? "application/octet-stream",
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
      etag: obj.httpEtag,
    },
  });
}
