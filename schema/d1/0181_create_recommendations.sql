-- Recommendations (issue 19 item 7), computed in the warehouse by the hourly cron and cached here: pages read this
-- table and never wait for the warehouse; a failed refresh leaves the last cache in place.
CREATE TABLE recommendations (
  tenant_id TEXT NOT NULL,
  -- 'also_bought' (subject = a product id), 'for_you' (subject = a buyer id), 'top' (subject = '': the fallback).
  kind TEXT NOT NULL CHECK (kind IN ('also_bought', 'for_you', 'top')),
  subject_id TEXT NOT NULL,
  -- JSON array of { productId, score } best first (product ids only: the edge filters to published products on read).
  items TEXT NOT NULL,
  run_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, subject_id)
);

-- One row per tenant: when its cache was last refreshed, and the last attempt (an outage shows here). A tenant whose
-- last run failed or found nothing is retried sooner than hourly (a new brand's first sales show up within minutes).
CREATE TABLE recommendation_runs (
  tenant_id TEXT PRIMARY KEY,
  run_id TEXT,
  computed_at TEXT,
  attempted_at TEXT NOT NULL,
  last_error TEXT,
  -- product lists in the last successful run (0 = nothing to recommend yet)
  lists INTEGER NOT NULL DEFAULT 0
);
