-- The profile view, cheaper per inserted block (bench:analytics; numbers in analytics/README.md):
-- * it groups by two UInt64 hashes (tenant, user) instead of (LowCardinality(String), UInt64): a key with a String
--   part makes ClickHouse serialise every key into an arena, which cost ~3 s of CPU per 10M events; two UInt64s fit
--   the fixed-width hash method. The tenant is carried with any() (one value per tenant hash).
-- * active days are collected with groupArray, without arrayDistinct: merges dedupe them (groupUniqArrayArray), and
--   cohort queries already tolerate a repeated day (analytics/metrics/cohort.ts).
-- The table and its key are unchanged; only the view is replaced.
DROP VIEW IF EXISTS user_profiles_mv;
CREATE MATERIALIZED VIEW IF NOT EXISTS user_profiles_mv TO user_profiles AS
SELECT any(tenant) AS tenant_id, user_key,
       min(if(type = 'user_signed_up', occurred_at, toDateTime64('2105-01-01 00:00:00', 3, 'UTC'))) AS signed_up_at,
       min(if(type = 'order_paid', occurred_at, toDateTime64('2105-01-01 00:00:00', 3, 'UTC'))) AS first_paid_at,
       max(if(type = 'user_signed_up', acquisition_campaign_id, '')) AS acquisition_campaign_id,
       groupArray(toDate(occurred_at)) AS active_days
FROM (
  SELECT tenant_id AS tenant, cityHash64(tenant_id) AS tenant_key, cityHash64(user_id) AS user_key,
         type, occurred_at, acquisition_campaign_id
  FROM events
  WHERE user_id != ''
)
GROUP BY tenant_key, user_key;
