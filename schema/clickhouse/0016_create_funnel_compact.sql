-- The funnel's compacted copy of its closed days (issue 15: the funnel under 500 ms at 10M events with margin).
-- windowFunnel's cost is each person's list of steps. A view matters to it only as the start of a chain, and of two
-- views of one campaign with no other step between them the later one always starts the better chain (same steps
-- after it, more of the window left). So a build keeps, per person, every non-view step and only the last view of
-- each campaign before each non-view step: at 10M events 8.0M rows become 3.7M, and the funnel reads them as one
-- merged part per build (bench/README.md, session 34). Built by analytics/funnel-compact.ts from funnel_people rows
-- before a day frontier; a device whose visitor had signed up by then is stored under that user (is_device = 0).
-- The funnel reads a build only while funnel_people still holds exactly the rows it was built from (raw_rows below);
-- otherwise, and for a span ending before the frontier, it reads funnel_people alone.
CREATE TABLE IF NOT EXISTS funnel_compact
(
    build UInt64,
    tenant_id LowCardinality(String),
    person_key UInt64,
    occurred_at DateTime('UTC'),
    is_device UInt8,
    step UInt8,
    campaign_id LowCardinality(String) DEFAULT '',
    -- The person has only views in this build: their views can only show that they viewed, unless a step after the
    -- build's rows lies within the window (analytics/metrics/funnel.ts feeds windowFunnel only those).
    views_only UInt8 DEFAULT 0
)
ENGINE = MergeTree
PARTITION BY build
ORDER BY (tenant_id, person_key, occurred_at);
-- One row per tenant per build, written once the build's rows are complete; the newest build is the current one.
-- raw_rows: the tenant's funnel_people rows (links included) before the frontier, counted before the build read them.
CREATE TABLE IF NOT EXISTS funnel_compact_builds
(
    build UInt64,
    tenant_id LowCardinality(String),
    frontier DateTime('UTC'),
    raw_rows UInt64
)
ENGINE = ReplacingMergeTree(build)
ORDER BY tenant_id;
