/**
 * A time limit (a group buy's team time, 5–1440 minutes; an assist's hours) as people say it: whole hours in hours
 * (1440 → 24 小时), the rest in minutes (90 → 90 分钟). Shared with the widget (site/widget/widget.ts).
 */
export const timeSpan = (minutes: number, zh: boolean): string =>
  minutes % 60 ? (zh ? `${minutes} 分钟` : `${minutes} min`) : zh ? `${minutes / 60} 小时` : `${minutes / 60} h`;
