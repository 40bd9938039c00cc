import { cohortSql } from "./cohort";
import { TENANT, TO } from "./metric";

/**
 * (user, cohort week, day offset) for every day a cohort user was active, up to {horizon} days after the range.
 * DISTINCT per user-day first: the join then handles one row per active day instead of one per event.
 */
export const activityOffsetsSql = (horizonDays: number) => `
WITH cohort AS (${cohortSql})
SELECT c.user_id AS user_id, toMonday(c.c_at) AS cohort, dateDiff('day', toDate(c.c_at), a.day) AS off
FROM cohort AS c
INNER JOIN (
  SELECT DISTINCT user_id, toDate(occurred_at) AS day FROM events
  WHERE ${TENANT} AND user_id != '' AND occurred_at >= parseDateTime64BestEffort({from:String}, 3, 'UTC')
    AND occurred_at < ${TO} + INTERVAL ${horizonDays} DAY
) AS a ON a.user_id = c.user_id`;
