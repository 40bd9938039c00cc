// R2 access for product images (the bucket is storage like D1: only this layer touches it).
import { mediaKey, type ImageType } from "../domain/media";

export async function putImage(bucket: R2Bucket, tenantId: string, imageId: string, width: number | null, bytes: Uint8Array, type: ImageType) {
  await bucket.put(mediaKey(tenantId, imageId, width), bytes, { httpMetadata: { contentType: type } });
}

export function imageExists(bucket: R2Bucket, tenantId: string, imageId: string) {
  return bucket.head(mediaKey(tenantId, imageId, null)).then((o) => o !== null);
}

/** The widths stored for an image (from the object names). */
export async function storedWidths(bucket: R2Bucket, tenantId: string, imageId: string): Promise<number[]> {
  const prefix = `t/${tenantId}/img/${imageId}/w`;
  const list = await bucket.list({ prefix });
  return list.objects.map((o) => Number(o.key.slice(prefix.length))).filter((n) => Number.isInteger(n));
}

export function getImage(bucket: R2Bucket, tenantId: string, imageId: string, width: number | null) {
  return bucket.get(mediaKey(tenantId, imageId, width));
}
