-- Segment runs (issue 19): one computation of a segment's members. A run stages its members page by page in
-- segment_run_members with its keyset cursor saved in the same batch, so a crash mid-run resumes where it stopped;
-- only when the last page is in does one batch swap them into segment_members and point segments.current_run_id at
-- the run (segment_members' key has no run id, so a run cannot write there without showing its members early).
CREATE TABLE segment_runs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  segment_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  -- The warehouse is asked "as of" this instant on every page of the run.
  as_of TEXT NOT NULL,
  -- Last warehouse user id done (keyset).
  cursor TEXT NOT NULL DEFAULT '',
  members INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT
);
CREATE INDEX segment_runs_segment ON segment_runs(tenant_id, segment_id, started_at);
-- At most one running run per segment: a second start finds and resumes it.
CREATE UNIQUE INDEX segment_runs_one_running ON segment_runs(tenant_id, segment_id) WHERE status = 'running';

CREATE TABLE segment_run_members (
  tenant_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  buyer_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, run_id, buyer_id)
) WITHOUT ROWID;
