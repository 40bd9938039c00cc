-- Cohort days are China days (Asia/Shanghai, UTC+8, no daylight saving: BUSINESS_TZ in analytics/metrics/buckets.ts,
-- which must name the same zone as this file). The profile view kept each user's active days as UTC dates, so an
-- activity at 07:00 China time counted for the day before and "day N" retention counted UTC days. It now keeps China
-- dates, in a new column active_days_cn; the cohort queries compare them with the China date of the cohort event
-- (toDate(c_at, 'Asia/Shanghai')), and never convert the list at query time.
-- The days already held are re-derived, not converted (a UTC date is one of two China dates): from `events` for every
-- day events are still held for; the days before a user's earliest held event (raw events deleted by retention, or
-- moved to a pseudonym by an erasure) keep their UTC date, the best that is left (16 of its 24 hours are that China
-- date). Sign-up and first payment are instants and stay as they are.
-- Every statement is idempotent, so a re-run after a crash is harmless: inserts only add days to a set (merges and the
-- queries dedupe them), and the first statement brings back an (empty) active_days if a crash came after the last one
-- dropped it, so the statements that read it still run, and copy nothing twice.
ALTER TABLE user_profiles ADD COLUMN IF NOT EXISTS active_days SimpleAggregateFunction(groupUniqArrayArray, Array(Date));
ALTER TABLE user_profiles ADD COLUMN IF NOT EXISTS active_days_cn SimpleAggregateFunction(groupUniqArrayArray, Array(Date));
-- The view of 0006, but for the day: events arriving from here on get China days.
DROP VIEW IF EXISTS user_profiles_mv;
CREATE MATERIALIZED VIEW IF NOT EXISTS user_profiles_mv TO user_profiles AS
SELECT any(tenant) AS tenant_id, user_key,
       min(if(type = 'user_signed_up', occurred_at, toDateTime64('2105-01-01 00:00:00', 3, 'UTC'))) AS signed_up_at,
       min(if(type = 'order_paid', occurred_at, toDateTime64('2105-01-01 00:00:00', 3, 'UTC'))) AS first_paid_at,
       max(if(type = 'user_signed_up', acquisition_campaign_id, '')) AS acquisition_campaign_id,
       groupArray(toDate(occurred_at, 'Asia/Shanghai')) AS active_days_cn
FROM (
  SELECT tenant_id AS tenant, cityHash64(tenant_id) AS tenant_key, cityHash64(user_id) AS user_key,
         type, occurred_at, acquisition_campaign_id
  FROM events
  WHERE user_id != ''
)
GROUP BY tenant_key, user_key;
-- The events already held, as China days (after the new view, so an event that arrived in between is not missed).
INSERT INTO user_profiles (tenant_id, user_key, signed_up_at, first_paid_at, acquisition_campaign_id, active_days_cn)
SELECT tenant_id, cityHash64(user_id) AS user_key,
       toDateTime64('2105-01-01 00:00:00', 3, 'UTC'), toDateTime64('2105-01-01 00:00:00', 3, 'UTC'), '',
       arrayDistinct(groupArray(toDate(occurred_at, 'Asia/Shanghai')))
FROM events
WHERE user_id != ''
GROUP BY tenant_id, user_key;
-- The days no held event can give again: a user's UTC days before the UTC date of their earliest held event (every
-- day, for a user with no event left).
INSERT INTO user_profiles (tenant_id, user_key, signed_up_at, first_paid_at, acquisition_campaign_id, active_days_cn)
SELECT tenant_id, user_key,
       toDateTime64('2105-01-01 00:00:00', 3, 'UTC'), toDateTime64('2105-01-01 00:00:00', 3, 'UTC'), '', kept
FROM (
  SELECT p.tenant_id AS tenant_id, p.user_key AS user_key, arrayFilter(d -> e.held = 0 OR d < e.first_day, p.days) AS kept
  FROM (SELECT tenant_id, user_key, groupUniqArrayArray(active_days) AS days FROM user_profiles GROUP BY tenant_id, user_key) AS p
  LEFT ANY JOIN (
    SELECT tenant_id, cityHash64(user_id) AS user_key, toDate(min(occurred_at), 'UTC') AS first_day, toUInt8(1) AS held
    FROM events WHERE user_id != '' GROUP BY tenant_id, user_key
  ) AS e ON p.tenant_id = e.tenant_id AND p.user_key = e.user_key
)
WHERE notEmpty(kept);
ALTER TABLE user_profiles DROP COLUMN IF EXISTS active_days;
-- The inserts above wrote a second row per user (a third for some): folded now, as the bulk load does (analytics/
-- generate.ts), since the cohort queries read unmerged rows 27-56% slower and no background merge may come soon.
OPTIMIZE TABLE user_profiles FINAL;
