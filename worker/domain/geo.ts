/**
 * Nearby stores: great-circle distance and opening hours. Pure. Coordinates are WGS-84 degrees; hours are
 * Asia/Shanghai wall-clock time (UTC+8 all year, no daylight saving), so "now" is shifted by a fixed 8 hours.
 */
import { WEEKDAYS, type OpeningHours } from "../../schema/stores";
import { CHINA_OFFSET_MS } from "./china-time";

/** The IUGG mean Earth radius in metres. */
export const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

export interface Point { lat: number; lng: number }

/** Haversine distance in metres between two WGS-84 points (spherical Earth: within about 0.5% of the ellipsoid). */
export function haversineMeters(a: Point, b: Point): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}


/** Weekday (0 = Monday) and minute of the day in Asia/Shanghai. */
export function shanghaiClock(now: Date): { day: number; minute: number } {
  const local = new Date(now.getTime() + CHINA_OFFSET_MS);
  return { day: (local.getUTCDay() + 6) % 7, minute: local.getUTCHours() * 60 + local.getUTCMinutes() };
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
/** A span as [start, end) minutes of its own day; an overnight span ends past 1440. */
export function spanMinutes(span: string): [number, number] {
  const start = minutes(span.slice(0, 5));
  const end = minutes(span.slice(6, 11));
  return [start, end <= start ? end + 1440 : end];
}

export interface OpenState { openNow: boolean | null; todayHours: string[] | null }

/**
 * Whether the store is open at `now`: inside one of today's spans, or inside last night's span that runs past
 * midnight. Unknown hours give nulls.
 */
export function openState(hours: OpeningHours | null, now: Date): OpenState {
  if (!hours) return { openNow: null, todayHours: null };
  const { day, minute } = shanghaiClock(now);
  const today = hours[WEEKDAYS[day]!] ?? [];
  const yesterday = hours[WEEKDAYS[(day + 6) % 7]!] ?? [];
  const open =
    today.some((s) => { const [a, b] = spanMinutes(s); return minute >= a && minute < b; }) ||
    yesterday.some((s) => { const [, b] = spanMinutes(s); return b > 1440 && minute < b - 1440; });
  return { openNow: open, todayHours: today };
}

/** A map link with no SDK: Amap's marker page, told the point is WGS-84 (it converts to its own GCJ-02). */
export function mapUrl(p: Point, name: string): string {
  const q = new URLSearchParams({ position: `${p.lng},${p.lat}`, name, coordinate: "wgs84", callnative: "0" });
  return `https://uri.amap.com/marker?${q}`;
}

/** Stores with a distance first, nearest first; then those without, by name (stable for equal keys). */
export function byDistance<T extends { distanceMeters: number | null; name: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => {
    if (a.distanceMeters === null || b.distanceMeters === null) {
      if (a.distanceMeters !== b.distanceMeters) return a.distanceMeters === null ? 1 : -1;
      return a.name.localeCompare(b.name, "zh");
    }
    return a.distanceMeters - b.distanceMeters || a.name.localeCompare(b.name, "zh");
  });
}
