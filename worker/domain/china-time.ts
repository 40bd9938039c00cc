/** kaquan's brands trade in China: Asia/Shanghai, UTC+8 all year (no daylight saving), so a fixed offset is exact. */
export const CHINA_OFFSET_MS = 8 * 3_600_000;
export const BUSINESS_UTC_OFFSET = "+08:00";

/** The China calendar day (YYYY-MM-DD) an instant falls on: days roll over at midnight China time. */
export const chinaDay = (at: Date | string | number): string => new Date(new Date(at).getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);

/**
 * An instant as China wall-clock time, `2026-12-07 09:47:57.577`: the form Excel and WPS read as a date and time, for
 * the CSV files people open (an ISO `…Z` is text to them, and eight hours off what the brand's own clock said).
 */
export const chinaDateTime = (at: Date | string | number): string =>
  new Date(new Date(at).getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 23).replace("T", " ");
