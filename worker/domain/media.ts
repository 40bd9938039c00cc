// Product images: which uploads are accepted and which stored size answers a request. Pure.

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];
/** Widths the admin page renders in the browser at upload (Workers cannot resize locally; see README). */
export const IMAGE_WIDTHS = [320, 640, 1280] as const;
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** The type the bytes really are (magic numbers), so a declared type cannot smuggle in HTML or SVG. */
export function sniffImage(b: Uint8Array): ImageType | null {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === "RIFF" && String.fromCharCode(...b.subarray(8, 12)) === "WEBP") return "image/webp";
  return null;
}

/** The smallest stored width at least as wide as asked, else the widest stored; null = the original. */
export function pickWidth(stored: number[], wanted: number | undefined): number | null {
  if (!wanted || stored.length === 0) return null;
  const sorted = [...stored].sort((a, b) => a - b);
  return sorted.find((w) => w >= wanted) ?? sorted.at(-1)!;
}

/** Object keys are per tenant, so one brand's key can neither read through nor overwrite another's images. */
export const mediaKey = (tenantId: string, imageId: string, width: number | null) =>
  `t/${tenantId}/img/${imageId}/${width === null ? "orig" : `w${width}`}`;

export const mediaUrl = (tenantId: string, imageId: string) => `/api/v1/media/${tenantId}/${imageId}`;
