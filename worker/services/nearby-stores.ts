/**
 * Where a held voucher can be used (issue 19 item 6): the product's store restriction, else every store of the
 * brand; nearest first from the buyer's point, or one city's stores. Distance and open-now are computed here, at the
 * edge (domain/geo.ts).
 */
import type { NearbyQuery, NearbyStore, NearbyStores } from "../../schema/stores";
import { listStores, productStoreIds } from "../db/stores";
import { getVoucherByCode } from "../db/vouchers";
import { byDistance, haversineMeters, mapUrl, openState } from "../domain/geo";
import { ApiError } from "../errors";

export async function storesForVoucher(
  db: D1Database, tenantId: string, buyerId: string, code: string, q: NearbyQuery, now = new Date(),
): Promise<NearbyStores> {
  const voucher = await getVoucherByCode(db, tenantId, code);
  // Another buyer's voucher is as unknown as a code that does not exist.
  if (!voucher || voucher.holder_id !== buyerId) throw ApiError.notFound("Voucher");
  const [all, only] = await Promise.all([listStores(db, tenantId), productStoreIds(db, tenantId, voucher.product_id)]);
  const usable = only.length ? all.filter((s) => only.includes(s.id)) : all;
  const cities = [...new Set(usable.map((s) => s.city).filter(Boolean))].sort((a, b) => a.localeCompare(b, "zh"));
  const here = q.lat !== undefined && q.lng !== undefined ? { lat: q.lat, lng: q.lng } : null;
  const rows: NearbyStore[] = usable
    .filter((s) => !q.city || s.city === q.city)
    .map((s) => {
      const at = s.lat !== null && s.lng !== null ? { lat: s.lat, lng: s.lng } : null;
      return {
        id: s.id, name: s.name, address: s.address, city: s.city, lat: s.lat, lng: s.lng,
        distanceMeters: here && at ? Math.round(haversineMeters(here, at)) : null,
        ...openState(s.hours, now),
        mapUrl: at ? mapUrl(at, s.name) : null,
      };
    });
  return { voucherCode: voucher.code, restricted: only.length > 0, order: here ? "distance" : "name", cities, stores: byDistance(rows) };
}
