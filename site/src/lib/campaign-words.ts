/**
 * How the public campaign list (活动, pages/campaigns/) words a campaign's state and time in one line, so that a word is
 * not said twice ("已结束 · 11/30 20:00 结束" → "已于 11月30日 20:00 结束"). Pure (no DOM): [zh, en] pairs for `t(...)`;
 * tested in test/unit/campaign-words-unit.test.ts.
 */
export type Words = [string, string];

export interface ListedCampaign {
  kind: string;
  phase: string; // scheduled | live | ended
  startsAt: string;
  endsAt: string;
  paused?: boolean;
  soldOut?: boolean;
}

const EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The calendar day and time of `ms` in `timeZone` (the device's own when not given). */
function parts(ms: number, timeZone?: string) {
  const f = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), hm: `${p.hour}:${p.minute}` };
}

/** Days from `now`'s calendar day to `at`'s (0 today, 1 tomorrow, -1 yesterday), in the same time zone. */
function dayOffset(at: ReturnType<typeof parts>, now: ReturnType<typeof parts>) {
  return Math.round((Date.UTC(at.y, at.m - 1, at.d) - Date.UTC(now.y, now.m - 1, now.d)) / 86_400_000);
}

/**
 * A moment as people say it: 今天 20:00 / 明天 10:00 / 昨天 20:00, else 11月30日 20:00 (with the year only when it is
 * not this year's: 2027年1月5日 10:00).
 */
export function whenWords(iso: string, now: number, timeZone?: string): Words {
  const at = parts(Date.parse(iso), timeZone);
  const today = parts(now, timeZone);
  const near = ({ [-1]: ["昨天", "yesterday"], 0: ["今天", "today"], 1: ["明天", "tomorrow"] } as Record<number, Words>)[dayOffset(at, today)];
  if (near) return [`${near[0]} ${at.hm}`, `${near[1]} ${at.hm}`];
  return at.y === today.y
    ? [`${at.m}月${at.d}日 ${at.hm}`, `${EN_MONTHS[at.m - 1]} ${at.d}, ${at.hm}`]
    : [`${at.y}年${at.m}月${at.d}日 ${at.hm}`, `${EN_MONTHS[at.m - 1]} ${at.d} ${at.y}, ${at.hm}`];
}

/**
 * The state and time after the campaign's kind: what a visitor needs — when it starts (not started yet), what is
 * happening and when it ends (running), when it ended (over).
 *   scheduled: 12月1日 10:00 开始            (paused: 已暂停 · 12月1日 10:00 开始)
 *   live:      进行中 · 今天 20:00 结束       (已暂停 / 已抢光 / 奖品已抽完 · 今天 20:00 结束)
 *   ended:     已于 11月30日 20:00 结束
 */
export function campaignStateWords(c: ListedCampaign, now: number, timeZone?: string): Words {
  if (c.phase === "ended") {
    const [zh, en] = whenWords(c.endsAt, now, timeZone);
    // 已于 11月30日 20:00 结束, but 已于今天 12:00 结束.
    return [`已于${/^\d/.test(zh) ? " " : ""}${zh} 结束`, `Ended ${en}`];
  }
  if (c.phase === "scheduled") {
    const [zh, en] = whenWords(c.startsAt, now, timeZone);
    return c.paused ? [`已暂停 · ${zh} 开始`, `Paused · starts ${en}`] : [`${zh} 开始`, `Starts ${en}`];
  }
  const state: Words = c.paused ? ["已暂停", "Paused"] : !c.soldOut ? ["进行中", "Live"] : c.kind === "lottery" ? ["奖品已抽完", "All prizes drawn"] : ["已抢光", "Sold out"];
  const [zh, en] = whenWords(c.endsAt, now, timeZone);
  return [`${state[0]} · ${zh} 结束`, `${state[1]} · ends ${en}`];
}
