/** kaquan's brands trade in China: Asia/Shanghai, UTC+8 all year (no daylight saving), so a fixed offset is exact. */
export const CHINA_OFFSET_MS = 8 * 3_600_000;
export const BUSINESS_UTC_OFFSET = "+08:00";

/** The China calendar day (YYYY-MM-DD) an instant falls on: days roll over at midnight China time. */
export const chinaDay = (at: Date | string | number): string => new Date(new Date(at).getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
