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

/** Larger than this on a side is refused: no product image needs it, and a decoder would be asked for gigabytes. */
export const MAX_IMAGE_SIDE = 16_384;

/**
 * The pixel size an image's header declares (PNG IHDR, JPEG start-of-frame, WebP VP8/VP8L/VP8X), or null when the
 * header is missing or cut short: a magic number alone is not an image.
 */
export function imageSize(b: Uint8Array, type: ImageType): { width: number; height: number } | null {
  const u32 = (i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  const u16be = (i: number) => (b[i]! << 8) | b[i + 1]!;
  const u16le = (i: number) => b[i]! | (b[i + 1]! << 8);
  const u24le = (i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
  const tag = (i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));
  if (type === "image/png") return b.length >= 33 && tag(12, 4) === "IHDR" ? { width: u32(16), height: u32(20) } : null;
  if (type === "image/jpeg") {
    // Walk the marker segments to the first start-of-frame (SOF0-15 but DHT C4, JPG C8 and DAC CC).
    for (let i = 2; i + 9 < b.length; ) {
      if (b[i] !== 0xff) return null;
      const marker = b[i + 1]!;
      if (marker === 0xff) { i++; continue; }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { height: u16be(i + 5), width: u16be(i + 7) };
      if (marker === 0xd9 || marker === 0xda) return null;
      i += 2 + u16be(i + 2);
    }
    return null;
  }
  if (b.length < 30) return null;
  const chunk = tag(12, 4);
  if (chunk === "VP8 " && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) return { width: u16le(26) & 0x3fff, height: u16le(28) & 0x3fff };
  if (chunk === "VP8L" && b[20] === 0x2f) return { width: 1 + (u16le(21) & 0x3fff), height: 1 + (((b[22]! >> 6) | (b[23]! << 2) | ((b[24]! & 0x0f) << 10)) & 0x3fff) };
  if (chunk === "VP8X") return { width: 1 + u24le(24), height: 1 + u24le(27) };
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
