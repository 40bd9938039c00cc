-- Runs in a row that failed or found nothing (worker/services/recommendations.ts). Such a tenant was retried every 5
-- minutes for ever, and the cron refreshes a few tenants a minute, oldest first: a few dozen idle brands took every
-- slot and pushed the hourly refresh of brands with sales back by hours. Now the retry waits 5, 10, 20, 40 minutes,
-- then hourly like any other; a run with lists resets it.
ALTER TABLE recommendation_runs ADD COLUMN misses INTEGER NOT NULL DEFAULT 0;
