-- One row per (tenant, user), kept up to date by a materialized view: sign-up time, first paid order, acquisition
-- campaign and the set of active days. Cohort retention reads ~users rows instead of every event (measured in
-- bench:analytics). Every aggregate here is idempotent (min, max, distinct days), so a duplicate event changes
-- nothing. '2105-01-01' stands for "never" so that min() ignores events of other types.
CREATE TABLE IF NOT EXISTS user_profiles
(
    tenant_id LowCardinality(String),
    user_id String,
    signed_up_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    first_paid_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    acquisition_campaign_id SimpleAggregateFunction(max, String),
    active_days SimpleAggregateFunction(groupUniqArrayArray, Array(Date))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant_id, user_id);
CREATE MATERIALIZED VIEW IF NOT EXISTS user_profiles_mv TO user_profiles AS
SELECT tenant_id, user_id,
       min(if(type = 'user_signed_up', occurred_at, toDateTime64('2105-01-01 00:00:00', 3, 'UTC'))) AS signed_up_at,
       min(if(type = 'order_paid', occurred_at, toDateTime64('2105-01-01 00:00:00', 3, 'UTC'))) AS first_paid_at,
       max(if(type = 'user_signed_up', acquisition_campaign_id, '')) AS acquisition_campaign_id,
       groupUniqArray(toDate(occurred_at)) AS active_days
FROM events
WHERE user_id != ''
GROUP BY tenant_id, user_id;
INSERT INTO user_profiles
SELECT tenant_id, user_id,
       min(if(type = 'user_signed_up', occurred_at, toDateTime64('2105-01-01 00:00:00', 3, 'UTC'))),
       min(if(type = 'order_paid', occurred_at, toDateTime64('2105-01-01 00:00:00', 3, 'UTC'))),
       max(if(type = 'user_signed_up', acquisition_campaign_id, '')),
       groupUniqArray(toDate(occurred_at))
FROM events
WHERE user_id != ''
GROUP BY tenant_id, user_id;
