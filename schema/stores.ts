/**
 * Store locations and opening hours (issue 19 item 6, nearby stores). Coordinates are WGS-84 degrees — what the
 * browser's geolocation reports — and map links say so (coordinate=wgs84). Hours are Asia/Shanghai wall-clock time.
 */
import { z } from "@hono/zod-openapi";
import { text } from "./text";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "HH:MM-HH:MM"; an end at or before the start runs past midnight ("22:00-02:00"); "00:00-24:00" is all day. */
export const HOURS_SPAN = /^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
export const HoursSpan = z
  .string()
  .regex(HOURS_SPAN, "HH:MM-HH:MM (24-hour, Asia/Shanghai; an end before the start runs past midnight)")
  .refine((s) => s.slice(0, 5) !== s.slice(6), "a span cannot start and end at the same minute");

const Day = z.array(HoursSpan).max(4).default([]);
export const OpeningHours = z
  .object({ mon: Day, tue: Day, wed: Day, thu: Day, fri: Day, sat: Day, sun: Day })
  .strict()
  .openapi("OpeningHours", {
    description: "Per weekday (Asia/Shanghai) the spans a store is open; a missing or empty day is closed",
    example: { mon: ["09:00-21:00"], tue: ["09:00-21:00"], wed: [], thu: [], fri: ["09:00-21:00"], sat: ["10:00-02:00"], sun: ["10:00-22:00"] },
  });
export type OpeningHours = z.infer<typeof OpeningHours>;

export const Latitude = z.number().min(-90).max(90).openapi({ description: "WGS-84 latitude, degrees" });
export const Longitude = z.number().min(-180).max(180).openapi({ description: "WGS-84 longitude, degrees" });
export const City = text().trim().max(40);

/** The location fields of a store, as the operator sends them (all optional; lat and lng go together). */
export const StoreLocationFields = {
  lat: Latitude.nullable().optional(),
  lng: Longitude.nullable().optional(),
  city: City.optional(),
  hours: OpeningHours.nullable().optional(),
};
export const bothOrNeither = (s: { lat?: number | null; lng?: number | null }) => (s.lat == null) === (s.lng == null);
export const BOTH_OR_NEITHER = { message: "give lat and lng together", path: ["lng"] };

/** Where a voucher can be used: ?lat=&lng= (nearest first), ?city= (that city), or neither (all, by name). */
const coord = (min: number, max: number, name: string) =>
  z
    .string()
    .regex(/^-?\d{1,3}(\.\d{1,12})?$/, `${name} must be a decimal number of degrees`)
    .transform(Number)
    .pipe(z.number().min(min).max(max));
export const NearbyQuery = z
  .object({
    lat: coord(-90, 90, "lat").optional().openapi({ param: { description: "WGS-84 latitude of the buyer" } }),
    lng: coord(-180, 180, "lng").optional().openapi({ param: { description: "WGS-84 longitude of the buyer" } }),
    city: City.min(1).optional().openapi({ param: { description: "Only stores in this city" } }),
  })
  .refine(bothOrNeither, BOTH_OR_NEITHER);
export type NearbyQuery = z.infer<typeof NearbyQuery>;

export const NearbyStore = z
  .object({
    id: z.string(),
    name: z.string(),
    address: z.string(),
    city: z.string(),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
    distanceMeters: z.number().nullable().openapi({ description: "From the given point (haversine); null without one or without store coordinates" }),
    openNow: z.boolean().nullable().openapi({ description: "null when the store's hours are unknown" }),
    todayHours: z.array(z.string()).nullable().openapi({ description: "Today's spans (Asia/Shanghai); [] = closed today; null = unknown" }),
    mapUrl: z.string().nullable().openapi({ description: "A map link (no SDK), when the store has coordinates" }),
  })
  .openapi("NearbyStore");
export type NearbyStore = z.infer<typeof NearbyStore>;

export const NearbyStores = z
  .object({
    voucherCode: z.string(),
    restricted: z.boolean().openapi({ description: "true when the product names its stores; else every store of the brand" }),
    order: z.enum(["distance", "name"]),
    cities: z.array(z.string()).openapi({ description: "Cities of the stores where it can be used (for a city picker)" }),
    stores: z.array(NearbyStore),
  })
  .openapi("NearbyStores");
export type NearbyStores = z.infer<typeof NearbyStores>;
