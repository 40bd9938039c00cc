-- Segments (issue 19, 千人千券): operator-defined groups of buyers, computed in the warehouse (rules) or uploaded
-- (CSV of member ids or phones, hashed on upload). Members are synced to the edge here so the claim path checks a
-- segment with one primary-key lookup and never calls the warehouse.
CREATE TABLE segments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  -- 'rules' (computed in ClickHouse) or 'upload'.
  source TEXT NOT NULL CHECK (source IN ('rules', 'upload')),
  -- JSON, schema/segments.ts SegmentRules (rules segments only).
  rules TEXT NOT NULL DEFAULT '{}',
  -- Recompute every N minutes (0 = on demand only).
  refresh_minutes INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  size INTEGER NOT NULL DEFAULT 0,
  -- The run whose members are current (segment_members rows of older runs are deleted after a swap).
  current_run_id TEXT,
  computed_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX segments_tenant ON segments(tenant_id, created_at);

-- Edge copy of a segment's members: one row per (segment, buyer) of the current run.
CREATE TABLE segment_members (
  tenant_id TEXT NOT NULL,
  segment_id TEXT NOT NULL,
  buyer_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, segment_id, buyer_id)
) WITHOUT ROWID;
CREATE INDEX segment_members_buyer ON segment_members(tenant_id, buyer_id);
