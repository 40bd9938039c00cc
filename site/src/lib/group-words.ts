/**
 * A group buy's team time (5–1440 minutes) as people say it: whole hours in hours (1440 → 24 小时), the rest in
 * minutes (90 → 90 分钟). [Chinese, English].
 */
export const teamSpan = (minutes: number): [string, string] =>
  minutes >= 60 && minutes % 60 === 0 ? [`${minutes / 60} 小时`, `${minutes / 60} h`] : [`${minutes} 分钟`, `${minutes} min`];
