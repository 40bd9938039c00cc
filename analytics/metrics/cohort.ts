import { TENANT } from "./metric";

/**
 * A user's cohort event: the first {cohortEvent} ever (sign-up or first paid order), kept when it falls in the range;
 * {acq} non-empty keeps only users whose sign-up carried that acquisition campaign.
 */
export const cohortSql = `
  SELECT user_id, min(occurred_at) AS c_at FROM events
  WHERE ${TENANT} AND type = {cohortEvent:String} AND user_id != ''
    AND ({acq:String} = '' OR user_id IN (
      SELECT user_id FROM events
      WHERE ${TENANT} AND type = 'user_signed_up' AND acquisition_campaign_id = {acq:String}))
  GROUP BY user_id
  HAVING c_at >= parseDateTime64BestEffort({from:String}, 3, 'UTC') AND c_at < parseDateTime64BestEffort({to:String}, 3, 'UTC')`;
