/**
 * The lottery page's line under the draw button once a visitor's draws are used up. Draws come back at midnight China
 * time (the shard's day, worker/domain/china-time.ts), so "明天再来" is said only when the lottery is still open then:
 * a lottery that ends before midnight has no tomorrow to come back to. Pure: tested in test/unit/draw-chances-unit.test.ts.
 */
import { CHINA_OFFSET_MS } from "../../../worker/domain/china-time";
import { REJECT } from "./reject-text";

const DAY_MS = 86_400_000;

/** The next midnight China time after `now` (ms since the epoch). */
export const nextChinaMidnight = (now: number) => Math.floor((now + CHINA_OFFSET_MS) / DAY_MS + 1) * DAY_MS - CHINA_OFFSET_MS;

/** Whether a campaign ending at `endsAt` is still open after the coming midnight (China time), when chances return. */
const openTomorrow = (endsAt: string, now: number) => Date.parse(endsAt) > nextChinaMidnight(now);

/** A claim refused for today's limit (daily_limit_reached): "come back tomorrow" only when the campaign is open then. */
export function dailyLimitWords(endsAt: string, now: number): readonly [string, string] {
  return openTomorrow(endsAt, now) ? REJECT.daily_limit_reached! : ["今日已领取，本活动今天结束", "Daily limit reached; the campaign ends today"];
}

export function drawsUsedUpWords(wins: number, endsAt: string, now: number): [string, string] {
  return openTomorrow(endsAt, now)
    ? [`今日抽奖次数已用完，已中奖 ${wins} 次，明天再来`, `No draws left today; won ${wins}. Come back tomorrow`]
    : [`抽奖次数已用完，已中奖 ${wins} 次，本活动今天结束`, `No draws left; won ${wins}. The lottery ends today`];
}
