import { hmacSha256Hex, randomToken, timingSafeEqual } from "./crypto";

/**
 * A first-party device identity the worker issues: `dv_<random>.<HMAC(device|tenant|id) first 32 hex>`. It travels
 * as the cookie `kq_dev_<tenant>` on the platform's pages and, for the widget, as the `x-device-id` header. An id the
 * client made up (or a token of another brand) does not verify and counts as no device at all.
 */
export const DEVICE_TTL_S = 400 * 24 * 3600;

export const deviceCookieName = (slug: string) => `kq_dev_${slug.replace(/[^a-z0-9]/g, "_")}`;

const mac = async (secret: string, tenantId: string, id: string) => (await hmacSha256Hex(secret, `device|${tenantId}|${id}`)).slice(0, 32);

export async function issueDeviceToken(secret: string, tenantId: string): Promise<{ deviceId: string; token: string }> {
  const deviceId = `dv_${randomToken(20)}`;
  return { deviceId, token: `${deviceId}.${await mac(secret, tenantId, deviceId)}` };
}

/** The device id of a token this worker signed for this tenant, else null. */
export async function verifyDeviceToken(secret: string, tenantId: string, token: string | null | undefined): Promise<string | null> {
  const m = /^(dv_[A-Za-z0-9]{20})\.([0-9a-f]{32})$/.exec(token ?? "");
  if (!m) return null;
  return timingSafeEqual(await mac(secret, tenantId, m[1]!), m[2]!) ? m[1]! : null;
}

/** The signed device a request names: its x-device-id header (widget), else the brand's device cookie (our pages). */
export async function deviceOfRequest(secret: string, tenantId: string, slug: string, headers: Headers): Promise<string | null> {
  const fromHeader = await verifyDeviceToken(secret, tenantId, headers.get("x-device-id"));
  if (fromHeader) return fromHeader;
  const name = deviceCookieName(slug);
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return verifyDeviceToken(secret, tenantId, decodeURIComponent(part.slice(i + 1).trim()));
  }
  return null;
}
